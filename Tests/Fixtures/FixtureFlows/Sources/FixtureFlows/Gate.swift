import Baton
import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct GateParams: FlowParameters {
    var gate = "/nonexistent"
    var lines = 0
}

/// Blocks until the file `gate` exists: the test opens the gate once it has set the scene.
let waitForGate = task("wait-for-gate") { (gate: String) -> String in
    print("waiting for the gate \(gate)")
    while !FileManager.default.fileExists(atPath: gate) { usleep(10_000) }
    return "open"
}

let chatter = task("chatter") { (lines: Int) -> Int in
    for n in 0..<lines { print("gate line \(n) of \(lines): some words to make the line the length of a real one") }
    return lines
}

/// Waits for a file to appear, then prints `lines` lines: a run whose moments a test controls.
let gated = Flow("gated", description: "Waits for a file to appear, then prints lines") { (params: GateParams) -> Int in
    _ = try await waitForGate(params.gate)
    return try await chatter(params.lines)
}

struct GatedMapParams: FlowParameters {
    var gate = "/nonexistent"
    var n = 1000
}

let gatedStep = task("gated-step") { (x: Int) -> Int in x + 1 }

/// Waits for a file to appear, then maps a task over n elements: a map a test sets going at a moment
/// it chooses (after stopping the server, say).
let gatedMap = Flow("gated-map", description: "Waits for a file to appear, then maps a task over n elements") { (params: GatedMapParams) -> Int in
    _ = try await waitForGate(params.gate)
    return try await gatedStep.map(0..<params.n).count
}

/// Retried twice when it crashes: its first attempt waits for the gate (a test kills it there), the
/// later ones go straight on.
let gatedRetrying = Flow("gated-retrying", description: "Waits for a file on its first attempt only; retried when it crashes", retries: 2, retryDelay: .milliseconds(200)) {
    (params: GateParams) -> Int in
    if (RunInfo.current?.attempt ?? 1) == 1 { _ = try await waitForGate(params.gate) }
    return try await chatter(params.lines)
}
