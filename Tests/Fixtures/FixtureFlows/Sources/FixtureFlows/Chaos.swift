import Baton
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The flows of `baton-bench chaos`, the fault suite. Each execution attempt of a run leaves marker
/// files in `markers`: `<run>.a<attempt>.p<pid>.start` when its body begins and `.end` when it ends,
/// each holding a JSON object (run, attempt, pid, ppid: the supervising process, tag). While the body
/// runs it holds an exclusive lock on `<run>.lock`; an attempt that finds it taken, because another
/// process executes the same run at that moment, leaves `.overlap` as well. The kernel releases the
/// lock of a killed process, so the markers tell a run executed twice at once from one retried.
struct ChaosParams: FlowParameters {
    var markers = ""
    /// Names the request that made the run, so that the suite can tell a run it created is missing.
    var tag = ""
    var n = 20
    /// How long each mapped task sleeps, so that kills land mid-run.
    var sleepMs = 20
}

let chaosStep = task("chaos-step") { (sleepMs: Int) -> Int in
    if sleepMs > 0 { try await Task.sleep(for: .milliseconds(sleepMs)) }
    return sleepMs
}

/// Maps `chaos-step` over `n` elements between its markers.
func chaosBody(_ params: ChaosParams) async throws -> Int {
    let marker = ChaosMarker(params)
    marker?.write("start")
    defer { marker?.finish() }
    let results = try await chaosStep.map(Array(repeating: params.sleepMs, count: params.n))
    return results.count
}

/// Retried twice when its runner or supervisor dies (or its body throws).
let chaosRetrying = Flow("chaos-retrying", description: "The fault suite's run with retries", retries: 2, retryDelay: .milliseconds(200)) {
    (params: ChaosParams) -> Int in
    try await chaosBody(params)
}

/// Never retried: a crash is its end.
let chaosOnce = Flow("chaos-once", description: "The fault suite's run without retries") { (params: ChaosParams) -> Int in
    try await chaosBody(params)
}

/// One attempt's markers and its hold on the run's lock.
final class ChaosMarker: Sendable {
    let base: String
    let fields: String
    let lockFD: Int32

    init?(_ params: ChaosParams) {
        guard !params.markers.isEmpty, let info = RunInfo.current else { return nil }
        base = params.markers + "/\(info.flowRunID).a\(info.attempt).p\(getpid())"
        fields = #"{"run":"\#(info.flowRunID)","attempt":\#(info.attempt),"pid":\#(getpid()),"ppid":\#(getppid()),"tag":"\#(params.tag)""#
        lockFD = open(params.markers + "/\(info.flowRunID).lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if lockFD < 0 || flock(lockFD, LOCK_EX | LOCK_NB) != 0 { write("overlap") }
    }

    func write(_ kind: String) {
        let text = fields + #","time":\#(Date().timeIntervalSince1970)}"# + "\n"
        FileManager.default.createFile(atPath: base + "." + kind, contents: Data(text.utf8))
    }

    func finish() {
        write("end")
        if lockFD >= 0 { close(lockFD) }
    }
}
