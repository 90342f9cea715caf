import BatonCore
import BatonEngine
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where runner children come from: `BATON_RUNNER`, else this executable when it is `baton`, else the
/// `baton` next to it (for `baton-bench` and tests).
public enum RunnerExecutable {
    public static var `default`: String {
        if let path = ProcessInfo.processInfo.environment["BATON_RUNNER"], !path.isEmpty { return path }
        let current = ChildProcess.currentExecutable
        if (current as NSString).lastPathComponent == "baton" { return current }
        let sibling = ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent("baton")
        return FileManager.default.isExecutableFile(atPath: sibling) ? sibling : current
    }
}

/// Executes flow runs in runner children and records what they report.
///
/// The child loads exactly the run's version, runs the engine and streams its events; the supervisor
/// writes them to the store in batches as they arrive and passes each to an observer (the CLI prints
/// them). A child that dies, by a signal or an exit, without a final state leaves a `crashed` run
/// whose message says how it ended; the supervisor itself is unharmed.
public final class RunSupervisor: Sendable {
    let store: any Store
    let executable: String

    public init(store: any Store, runnerExecutable: String = RunnerExecutable.default) {
        self.store = store
        self.executable = runnerExecutable
    }

    /// Runs `run` (a `pending` flow run) to a final state and returns it as stored.
    public func execute(_ run: FlowRunRecord, observer: (RunEvent) -> Void = { _ in }) throws -> FlowRunRecord {
        let version = try store.version(of: run.flow, number: run.version)
        let child = try ChildProcess(executable: executable, arguments: ["runner", "run"], messaging: true)
        let pid = child.pid
        let token = Interrupts.add { _ in Glibc.kill(-pid, SIGTERM) }
        defer { Interrupts.remove(token) }

        let spec = FlowRunSpec(
            flowRunID: run.id, flowRunName: run.name, flow: run.flow, version: run.version, parameters: run.parameters,
            attempt: run.attempt)
        var finished = false
        var failure: String?
        var output = CrashOutput()
        do {
            try child.send(.start(libraryPath: version.libraryPath, libraryHash: version.libraryHash, spec: spec))
            _ = try child.pump { messages, lines in
                var events: [RunEvent] = []
                for message in messages {
                    switch message {
                    case .event(let event):
                        events.append(event)
                        if case .flowRunState(_, let state, _) = event, state.type.isFinal { finished = true }
                    case .failure(_, let message): failure = message
                    case .manifest, .start: break
                    }
                }
                for line in lines where !line.isEmpty {
                    output.add(line)
                    let level: LogLevel = CrashOutput.isCrashLine(line) ? .error : .info
                    events.append(
                        .log(LogRecord(flowRunID: run.id, taskRunID: nil, taskRunName: nil, timestamp: Date(), level: level, message: line)))
                }
                try store.apply(events)
                events.forEach(observer)
            }
        } catch {
            child.kill(SIGKILL)
            _ = child.wait()
            try store.markCrashed(flowRunID: run.id, message: "the runner could not be supervised: \(error)")
            return try store.flowRun(run.id)
        }
        let status = child.wait()
        if let signal = Interrupts.signalReceived {
            let name = signal == SIGINT ? "Ctrl-C" : ChildProcess.signalName(signal)
            try store.finish(flowRunID: run.id, state: RunState(.cancelled, message: "interrupted (\(name))"))
        } else if !finished {
            var message = failure ?? "the runner process \(status.description) before the flow run finished"
            if failure == nil, let line = output.summary { message += ": \(line)" }
            try store.markCrashed(flowRunID: run.id, message: message)
        }
        return try store.flowRun(run.id)
    }
}

/// Reads a library's manifest in a runner child, so that flow code that crashes or hangs while it
/// describes itself cannot harm the caller. A hang is ended after `timeout` seconds.
public enum ManifestReader {
    public static func read(libraryPath: String, displayName: String, timeout: Double, executable: String = RunnerExecutable.default)
        throws -> LibraryManifest
    {
        let child = try ChildProcess(executable: executable, arguments: ["runner", "manifest", libraryPath], messaging: true)
        child.closeControl()
        let pid = child.pid
        let token = Interrupts.add { _ in Glibc.kill(-pid, SIGKILL) }
        defer { Interrupts.remove(token) }
        var manifest: String?
        var failure: BatonError?
        var output = CrashOutput()
        let result = try child.pump(until: Date().addingTimeInterval(timeout)) { messages, lines in
            lines.filter { !$0.isEmpty }.forEach { output.add($0) }
            for message in messages {
                switch message {
                case .manifest(let text): manifest = text
                case .failure(let code, let message): failure = BatonError(code, message)
                default: break
                }
            }
        }
        if result == .timedOut {
            child.kill(SIGKILL)
            _ = child.wait()
            throw BatonError(
                .registrationFailed,
                "\(displayName) did not describe its flows within \(Int(timeout)) s (its code hangs while registering) "
                    + "and was stopped; fix the hang or raise --timeout")
        }
        let status = child.wait()
        if Interrupts.signalReceived != nil { throw BatonError(.registrationFailed, "registration of \(displayName) was interrupted") }
        if let failure { throw failure }
        guard let manifest else {
            let detail = output.summary.map { ": \($0)" } ?? ""
            throw BatonError(
                .registrationFailed, "\(displayName) crashed while registering (the runner \(status.description))\(detail)")
        }
        return try LibraryManifest.decode(Data(manifest.utf8), library: displayName)
    }
}

/// What a child printed, read for the line that says why it crashed: Swift's "Fatal error: …", else the
/// runtime's "Program crashed: …", else the last line before the backtrace.
struct CrashOutput {
    private(set) var fatal: String?
    private(set) var crashed: String?
    private(set) var last: String?
    private var inBacktrace = false

    static func isCrashLine(_ line: String) -> Bool {
        line.contains("Fatal error:") || line.hasPrefix("*** ") || line.contains("Program crashed:")
    }

    mutating func add(_ line: String) {
        if fatal == nil, let range = line.range(of: "Fatal error:") {
            fatal = String(line[range.lowerBound...])
        } else if crashed == nil, let range = line.range(of: "Program crashed:") {
            crashed = String(line[range.lowerBound...]).replacingOccurrences(of: " ***", with: "")
        }
        if line.hasPrefix("*** ") { inBacktrace = true }
        if !inBacktrace { last = line }
    }

    var summary: String? { fatal ?? crashed ?? last }
}
