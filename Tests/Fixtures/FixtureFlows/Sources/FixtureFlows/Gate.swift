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
