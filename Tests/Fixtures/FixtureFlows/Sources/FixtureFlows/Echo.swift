import Baton
import Foundation

enum Mode: String, Codable, Sendable, CaseIterable {
    case fast, careful
}

struct Window: Codable, Sendable, Equatable {
    var from = 1
    var to = 10
}

struct EchoParams: FlowParameters {
    var name = "world"
    var count = 3
    var ratio = 0.5
    var enabled = true
    var tags = ["a", "b"]
    var limit: Int? = nil
    var mode = Mode.fast
    var window = Window()
    var since = Date(timeIntervalSince1970: 1_763_700_000)

    static let parameterDescriptions = ["name": "Who to greet", "count": "How many greetings"]
}

struct Echo: Codable, Sendable {
    var greeting: String
    var params: EchoParams
}

let greet = task("greet", tags: ["fixture"]) { (name: String, count: Int) -> String in
    Array(repeating: "hello \(name)", count: count).joined(separator: ", ")
}

/// Echoes its parameters, of every kind a parameter can be.
let echo = Flow("echo", description: "Echoes its typed parameters") { (params: EchoParams) -> Echo in
    logger.debug("debug line")
    logger.warning("warning line")
    print("printed by the flow body")
    return Echo(greeting: try await greet(params.name, params.count), params: params)
}

/// A second flow in the same library, taking no parameters.
let noParams = Flow("no-params") { () -> String in
    "nothing to see"
}

let sayHello = task("say-hello") { () -> String in "hello" }

/// One task, nothing else: what `baton-bench run` measures end to end.
let hello = Flow("hello", description: "A flow of one task") { () -> String in
    try await sayHello()
}
