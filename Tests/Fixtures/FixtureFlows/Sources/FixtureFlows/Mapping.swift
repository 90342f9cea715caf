import Baton
import Foundation

struct MapParams: FlowParameters {
    var n = 5
    var failAt = -1
    var perElement = false
}

struct SquareFailure: Error, CustomStringConvertible {
    let x: Int
    var description: String { "cannot square \(x)" }
}

let square = task("square") { (x: Int) -> Int in
    guard x != RunInfoFailAt.value else { throw SquareFailure(x: x) }
    return x * x
}

/// Which element fails; set by the flow before it maps (one run per runner process).
enum RunInfoFailAt {
    nonisolated(unsafe) static var value = -1
}

let mapping = Flow("mapping", description: "Maps a task over n elements") { (params: MapParams) -> [Int] in
    RunInfoFailAt.value = params.failAt
    if params.perElement {
        return await square.mapResults(0..<params.n).map { (try? $0.get()) ?? -1 }
    }
    return try await square.map(0..<params.n)
}

struct Pair: Codable, Sendable {
    var left: Int
    var right: Int
}

let combine = task("combine") { (pair: Pair) -> Int in pair.left + pair.right }
let describe = task("describe") { (total: Int) -> String in "total \(total)" }
let audit = task("audit") { () -> String in "audited" }

/// A graph: two squares in parallel, combined by value, described through a future, audited after
/// both squares with waitFor.
let graph = Flow("graph", description: "Futures, waitFor and data edges") { () -> String in
    RunInfoFailAt.value = -1
    let a = square.submit(3)
    let b = square.submit(4)
    let total = combine.submit(Pair(left: try await a.value, right: try await b.value))
    let text = describe.submit(total)
    _ = try await audit.submit(NoInput(), waitFor: [a, b]).value
    return try await text.value
}

struct ChildParams: FlowParameters {
    var x = 2
}

let childFlow = Flow("child-flow", description: "Squares its parameter") { (params: ChildParams) -> Int in
    logger.info("child squaring \(params.x)")
    RunInfoFailAt.value = -1
    return try await square(params.x)
}

let parentFlow = Flow("parent-flow", description: "Calls child-flow as a subflow") { () -> Int in
    let inner = try await childFlow(ChildParams(x: 4))
    return inner + 1
}
