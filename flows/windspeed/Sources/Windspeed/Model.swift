import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One reading as a weather station reports it.
struct Reading: Codable, Sendable {
    var city: String
    var windSpeed: Double  // metres per second
    var observedAt: String
}

enum SpeedUnit: String, Codable, Sendable {
    case knots = "kn"
    case milesPerHour = "mph"
    case kilometresPerHour = "km/h"

    func convert(metresPerSecond value: Double) -> Double {
        switch self {
        case .knots: value * 1.943_844
        case .milesPerHour: value * 2.236_936
        case .kilometresPerHour: value * 3.6
        }
    }
}

/// A reading converted to the flow's unit and rated on the Beaufort scale.
struct Observation: Codable, Sendable {
    var city: String
    var observedAt: String
    var speed: Double
    var unit: SpeedUnit
    var beaufort: Int
    var description: String

    init(reading: Reading, unit: SpeedUnit) {
        city = reading.city
        observedAt = reading.observedAt
        speed = (unit.convert(metresPerSecond: reading.windSpeed) * 10).rounded() / 10
        self.unit = unit
        let limits = [0.5, 1.6, 3.4, 5.5, 8.0, 10.8, 13.9, 17.2, 20.8, 24.5, 28.5, 32.7]
        beaufort = limits.firstIndex { reading.windSpeed < $0 } ?? 12
        description = [
            "calm", "light air", "light breeze", "gentle breeze", "moderate breeze", "fresh breeze", "strong breeze",
            "near gale", "gale", "strong gale", "storm", "violent storm", "hurricane force",
        ][beaufort]
    }

    var formattedSpeed: String { "\(speed) \(unit.rawValue)" }
}

struct WindspeedError: Error, CustomStringConvertible {
    let description: String
}

/// Where readings come from: the built-in sample stations, a JSON file, or an HTTP endpoint. Files and
/// endpoints return either one reading or an object of readings keyed by city.
struct StationSource {
    let location: String
    init(_ location: String) { self.location = location }

    func reading(for city: String) async throws -> Reading {
        let data: Data
        if location.isEmpty {
            data = Data(sampleStations.utf8)
        } else if location.hasPrefix("http://") || location.hasPrefix("https://") {
            let address = location.replacingOccurrences(
                of: "{city}", with: city.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? city)
            guard let url = URL(string: address) else { throw WindspeedError(description: "not a URL: \(address)") }
            let (body, response) = try await URLSession.shared.data(from: url)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard status == 200 else { throw WindspeedError(description: "\(address) answered HTTP \(status)") }
            data = body
        } else {
            data = try Data(contentsOf: URL(fileURLWithPath: location))
        }
        let decoder = JSONDecoder()
        if let one = try? decoder.decode(Reading.self, from: data) { return one }
        let all = try decoder.decode([String: Reading].self, from: data)
        guard let reading = all[city] else {
            throw WindspeedError(description: "no station for \(city); known: \(all.keys.sorted().joined(separator: ", "))")
        }
        return reading
    }
}

/// The built-in sample: recorded readings of a few stations, so the flow runs offline.
let sampleStations = """
    {
      "Boston": {"city": "Boston", "windSpeed": 6.7, "observedAt": "2026-11-21T14:00:00Z"},
      "Chicago": {"city": "Chicago", "windSpeed": 9.3, "observedAt": "2026-11-21T14:00:00Z"},
      "Denver": {"city": "Denver", "windSpeed": 3.1, "observedAt": "2026-11-21T14:00:00Z"},
      "Reykjavik": {"city": "Reykjavik", "windSpeed": 17.9, "observedAt": "2026-11-21T14:00:00Z"},
      "Wellington": {"city": "Wellington", "windSpeed": 12.4, "observedAt": "2026-11-21T14:00:00Z"}
    }
    """

/// A CSV file that observations are appended to, with a header when it is new.
struct CSVFile {
    let path: String

    /// Appends one row and returns the number of data rows in the file.
    func append(_ observation: Observation) throws -> Int {
        let fm = FileManager.default
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        if !fm.fileExists(atPath: path) {
            try "city,observed_at,speed,unit,beaufort,description\n".write(toFile: path, atomically: true, encoding: .utf8)
        }
        let row = [
            observation.city, observation.observedAt, String(observation.speed), observation.unit.rawValue,
            String(observation.beaufort), observation.description,
        ].joined(separator: ",") + "\n"
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw WindspeedError(description: "cannot open \(path) for writing")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(row.utf8))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").count - 1
    }
}
