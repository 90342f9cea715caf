// windspeed: extract a city's wind speed (with retries), convert it, append it to a CSV file.
import Baton
import Foundation

struct Params: FlowParameters {
    var city = "Boston"
    var source = ""
    var output = "windspeed.csv"

    static let parameterDescriptions = [
        "city": "The city to read the wind speed of",
        "source": "Where readings come from: empty for the built-in sample stations, a JSON file, or an http(s) URL ({city} is replaced)",
        "output": "The CSV file each run appends its reading to",
    ]
}

/// The unit this version reports in.
let speedUnit = SpeedUnit.knots

let extract = task(
    "extract", description: "Read the current wind speed of a city", retries: 3, retryDelay: .milliseconds(200)
) { (city: String, source: String) -> Reading in
    logger.info("Reading the wind speed of \(city) from \(source.isEmpty ? "the sample stations" : source)")
    return try await StationSource(source).reading(for: city)
}

let transform = task("transform", description: "Convert the reading and rate it on the Beaufort scale") {
    (reading: Reading) -> Observation in
    let observation = Observation(reading: reading, unit: speedUnit)
    logger.info("\(reading.city): \(observation.formattedSpeed), Beaufort \(observation.beaufort) (\(observation.description))")
    return observation
}

let load = task("load", description: "Append the observation to the CSV file") {
    (observation: Observation, path: String) -> Int in
    let rows = try CSVFile(path: path).append(observation)
    logger.info("Appended to \(path) (\(rows) rows)")
    return rows
}

let windspeed = Flow(
    "windspeed", description: "Track the wind speed of a city in a CSV file", schedule: .every(minutes: 1)
) { (params: Params) -> Observation in
    let reading = try await extract(params.city, params.source)
    let observation = try await transform(reading)
    try await load(observation, params.output)
    return observation
}
