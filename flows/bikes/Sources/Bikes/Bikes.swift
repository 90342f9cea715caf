// bikes: poll a bike-share system's stations, add computed columns, write a CSV per run.
import Baton
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct Params: FlowParameters {
    var source = ""
    var outputDir = "bikes"
    var emptyBelow = 2

    static let parameterDescriptions = [
        "source": "Station data in GBFS form: empty for the built-in sample, a JSON file, or an http(s) URL",
        "outputDir": "The folder each run writes its CSV file to",
        "emptyBelow": "A station with fewer bikes than this counts as nearly empty",
    ]
}

let fetchStations = task(
    "fetch-stations", description: "Fetch the stations' status", retries: 2, retryDelay: .seconds(1)
) { (source: String) -> [Station] in
    let data: Data
    if source.isEmpty {
        data = Data(sampleFeed.utf8)
    } else if source.hasPrefix("http://") || source.hasPrefix("https://") {
        guard let url = URL(string: source) else { throw BikesError(description: "not a URL: \(source)") }
        let (body, response) = try await URLSession.shared.data(from: url)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else { throw BikesError(description: "\(source) answered HTTP \(status)") }
        data = body
    } else {
        data = try Data(contentsOf: URL(fileURLWithPath: source))
    }
    let feed = try JSONDecoder().decode(Feed.self, from: data)
    logger.info("Fetched \(feed.data.stations.count) stations (feed updated \(feed.lastUpdated))")
    return feed.data.stations
}

let addColumns = task("add-columns", description: "Add utilisation and availability flags") {
    (stations: [Station], emptyBelow: Int) -> [StationRow] in
    let rows = stations.map { StationRow(station: $0, emptyBelow: emptyBelow) }
    let empty = rows.filter(\.nearlyEmpty).count
    if empty > 0 { logger.warning("\(empty) of \(rows.count) stations are nearly empty") }
    return rows
}

let writeCSV = task("write-csv", description: "Write the rows to a CSV file named after the run") {
    (rows: [StationRow], directory: String) -> String in
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let name = RunInfo.current?.flowRunName ?? "local-\(Int(Date().timeIntervalSince1970))"
    let path = (directory as NSString).appendingPathComponent("stations-\(name).csv")
    let lines = [StationRow.header] + rows.map(\.csvLine)
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    logger.info("Wrote \(rows.count) stations to \(path)")
    return path
}

let bikes = Flow(
    "bikes", description: "Poll bike-share stations, add computed columns, save a CSV per run",
    schedule: .every(minutes: 5)
) { (params: Params) -> Summary in
    let stations = try await fetchStations(params.source)
    let rows = try await addColumns(stations, params.emptyBelow)
    let path = try await writeCSV(rows, params.outputDir)
    let bikes = rows.reduce(0) { $0 + $1.bikes }
    let docks = rows.reduce(0) { $0 + $1.capacity }
    return Summary(stations: rows.count, bikesAvailable: bikes, utilisation: docks == 0 ? 0 : Double(bikes) / Double(docks), csv: path)
}
