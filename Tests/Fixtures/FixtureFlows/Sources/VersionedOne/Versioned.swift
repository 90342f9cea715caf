import Baton

// Version 1 of the `versioned` flow: VersionedOne and VersionedTwo are two builds of one flow, so
// the tests have two versions to pick between without building a package while they run.

struct VersionedParams: FlowParameters {
    var count = 3
    var note = "hello"
}

let double = task("double") { (x: Int) -> Int in
    logger.info("doubling \(x)")
    return x * 2
}

let total = task("total") { (values: [Int]) -> Int in values.reduce(0, +) }

let announce = task("announce") { (sum: Int) -> String in
    logger.info("the total is \(sum)")
    return "v1: \(sum)"
}

/// Doubles 0..<count, adds them up and announces the sum as version 1.
let versioned = Flow("versioned", description: "A flow with two builds, version 1") { (params: VersionedParams) -> String in
    logger.info("version 1 with note \(params.note)")
    let doubled = try await double.map(0..<params.count)
    let sum = total.submit(doubled)
    return try await announce.submit(sum).value
}
