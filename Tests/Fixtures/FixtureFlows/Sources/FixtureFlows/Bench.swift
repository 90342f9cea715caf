import Baton

struct BenchParams: FlowParameters {
    var n = 1000
    /// A secret to read first (`baton-bench mask`): every event of the run then goes through the mask.
    var secret = ""
}

let noop = task("noop") { (i: Int) -> Int in i }

/// `baton-bench seq`: a no-op task called `n` times in sequence.
let benchSeq = Flow("bench-seq", description: "A no-op task called n times in sequence") { (params: BenchParams) -> Int in
    var sum = 0
    for i in 0..<params.n { sum &+= try await noop(i) }
    return sum
}

/// `baton-bench map`: a no-op task mapped over `n` elements.
let benchMap = Flow("bench-map", description: "A no-op task mapped over n elements") { (params: BenchParams) -> Int in
    if !params.secret.isEmpty { _ = try await Secret.value(params.secret) }
    return try await noop.map(0..<params.n).count
}

struct Reading: Codable, Sendable {
    var station: String
    var value: Double
}

/// Fails the first attempt of each task run, as a flaky API does.
let etlExtract = task("etl-extract", retries: 2) { (station: String) -> Reading in
    if attemptNumber() == 1 { throw TransientError() }
    return Reading(station: station, value: 12.5)
}
let etlTransform = task("etl-transform") { (reading: Reading) -> Reading in
    Reading(station: reading.station.uppercased(), value: reading.value * 1.94)
}
let etlLoad = task("etl-load") { (reading: Reading) -> Int in 1 }
let etlNotify = task("etl-notify") { (rows: Int) -> String in "loaded \(rows) row" }

/// `baton-bench etl`: extract (failing once, retried), transform, load, notify.
let benchETL = Flow("bench-etl", description: "Extract with a retry, transform, load, notify") { () -> String in
    let reading = try await etlExtract("oslo")
    let clean = try await etlTransform(reading)
    let rows = try await etlLoad(clean)
    return try await etlNotify(rows)
}

let cachedLookup = task("cached-lookup") { (key: String) -> String in "value of \(key)" }
    .cache(.inputs)

/// `baton-bench cache`: a cached task; the second run of the same input is a hit.
let benchCache = Flow("bench-cache", description: "A cached task called with the same input") { () -> String in
    try await cachedLookup("answer")
}
