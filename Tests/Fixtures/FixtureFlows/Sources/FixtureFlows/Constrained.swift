import Baton

/// Parameters with every kind of limit a schema states: a range, an integer range, values, a length
/// with a pattern, an item count.
struct ConstrainedParams: FlowParameters {
    var threshold = 0.5
    var parts = 3
    var region = "eu"
    var label = "run"
    var tags: [String] = []

    static let parameterDescriptions = ["threshold": "The share to reach", "label": "A `lowercase` word"]
    static let parameterConstraints: [String: ParameterConstraint] = [
        "threshold": .range(0.0...1.0),
        "parts": .range(1...10),
        "region": .oneOf(["eu", "us"]),
        "label": .length(1...8).and(.pattern("^[a-z]+$")),
        "tags": .items(0...3),
    ]
}

struct Part: Codable, Sendable {
    var name: String
    var index: Int
}

struct Measure: Codable, Sendable {
    var part: String
    var size: Int
}

let listParts = task("list-parts", description: "Name the parts") { (count: Int) -> [Part] in
    (0..<count).map { Part(name: "part-\($0 + 1)", index: $0) }
}

let measure = task("measure", description: "Measure one part") { (part: Part) -> Measure in
    Measure(part: part.name, size: (part.index + 1) * 10)
}

let sum = task("sum", description: "Add the sizes") { (measures: [Measure]) -> Int in
    measures.reduce(0) { $0 + $1.size }
}

/// A short run whose first task feeds the others: list, measure each, sum.
let constrained = Flow("constrained", description: "Checks its *limited* parameters; see `baton flow inspect`") {
    (params: ConstrainedParams) -> Int in
    let parts = try await listParts(params.parts)
    var measures: [Measure] = []
    for part in parts { measures.append(try await measure(part)) }
    return try await sum(measures)
}
