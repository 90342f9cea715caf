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
        let current = Subprocess.currentExecutable
        if (current as NSString).lastPathComponent == "baton" { return current }
        let sibling = ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent("baton")
        return FileManager.default.isExecutableFile(atPath: sibling) ? sibling : current
    }
}

/// Executes flow runs in runner children and records what they report.
///
/// The child loads exactly the run's version, runs the engine and streams its events; the supervisor
/// writes them to the store in batches as they arrive, answers the child's questions (cached results,
/// concurrency slots) from the store in order with those events, forwards cancellations, and passes
/// each event to an observer (the CLI prints them). A child that dies, by a signal or an exit,
/// without a final state leaves a `crashed` run whose message says how it ended, and its concurrency
/// slots are given back; the supervisor itself is unharmed. A store that cannot be written (its disk
/// full) is waited out: the events wait in memory while the runner goes on (see `StoreOutage`), and
/// the run's end is written once the store can be written again.
public final class RunSupervisor: Sendable {
    /// Where the run is recorded: the store, or a server's API for a worker on another host.
    let store: any RunRecorder
    /// Where the run's secrets and variables come from.
    let values: (any RunValueReader)?
    let executable: String
    /// How long a cancelled runner may take to stop by itself before it is killed.
    let stopGrace: Double
    /// Where the supervisor holds a lock per run attempt (`BATON_HOME/locks`), so that whoever
    /// watches the store learns at once when it dies; nil holds none (benchmarks, in-process tests).
    let locks: String?

    public init(
        store: any RunRecorder, values: (any RunValueReader)? = nil, runnerExecutable: String = RunnerExecutable.default, stopGrace: Double = 10,
        locks: String? = nil
    ) {
        self.store = store
        self.values = values
        self.executable = runnerExecutable
        self.stopGrace = stopGrace
        self.locks = locks
    }

    /// Runs `run` (a `pending` flow run) to a final state and returns it as stored. `reuse` holds the
    /// results a resumed run may return without running their tasks again.
    ///
    /// `control` lets the caller cancel the run from another thread (a worker stopping). With
    /// `interruptible` false, Ctrl-C and SIGTERM leave the run to the caller. The runner works in
    /// `workingDirectory`, else in this process's.
    public func execute(
        _ run: FlowRunRecord, reuse: [String: ReusedResult] = [:], control: RunControl? = nil, interruptible: Bool = true,
        workingDirectory: String? = nil, observer: @escaping (RunEvent) -> Void = { _ in }
    ) throws -> FlowRunRecord {
        let library = try store.runLibrary(of: run)
        let spec = FlowRunSpec(
            flowRunID: run.id, flowRunName: run.name, flow: run.flow, version: run.version, parameters: run.parameters,
            attempt: run.attempt, libraryHash: library.hash, flowVersions: library.flowVersions, reuse: reuse,
            flowOptions: library.flowOptions, notBefore: run.scheduledTime.flatMap { $0 > Date() ? $0 : nil })
        let wakeup = try WakeupPipe()
        let token = interruptible ? Interrupts.add { signal in wakeup.ring(UInt8(truncatingIfNeeded: signal)) } : nil
        let nudge = Nudge.add { wakeup.ring(UInt8(SIGUSR1)) }
        control?.attach(wakeup)
        // Locked before it is announced (by `baton run`, before the run exists), so that nobody finds
        // this run's supervisor unlocked while it lives; released when the run is over, or when this
        // process dies.
        let held = try locks.map { try RunLock.take(locks: $0, flowRunID: run.id, attempt: run.attempt) }
        var ended = false
        defer {
            token.map(Interrupts.remove)
            Nudge.remove(nudge)
            control?.detach()
            // A run left unfinished keeps its lock file, free: a sweep then finds it orphaned.
            held?.release(over: ended)
        }
        try persistently(wakeup) { try store.setSupervisor(flowRunID: run.id, process: .current) }
        if held != nil { store.ring("supervisors") }
        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable: executable, arguments: ["runner", "run"], messaging: true, workingDirectory: workingDirectory)
        } catch {
            try persistently(wakeup) { try store.markCrashed(flowRunID: run.id, message: "its runner could not be started: \(error)") }
            ended = true
            throw error
        }

        var session = Session(run: run, store: store, values: values, child: child, observer: observer)
        do {
            try child.send(.start(RunnerStart(libraryPath: library.path, libraryHash: library.hash, spec: spec)))
            _ = try child.pump(
                deadline: { [session.killAt, session.heldUntil, session.retryAt].compactMap { $0 }.min() },
                watch: { [wakeup.fd, session.doorbell?.fd ?? -1] },
                onReadable: { fd in
                    if fd == wakeup.fd {
                        for signal in Set(wakeup.drain().map(Int32.init)) {
                            if signal == RunControl.cancelByte, let control {
                                session.requestCancel(reason: control.reason, grace: stopGrace)
                            } else if signal == SIGUSR1 {
                                if try store.flowRun(run.id, project: nil).state.type == .cancelling {
                                    session.requestCancel(reason: "cancelled by request", grace: stopGrace)
                                }
                            } else {
                                session.requestCancel(
                                    reason: signal == SIGINT ? "interrupted (Ctrl-C)" : "interrupted (\(ExitStatus.signalName(signal)))",
                                    grace: stopGrace)
                            }
                        }
                    } else if let doorbell = session.doorbell, fd == doorbell.fd {
                        if doorbell.drain().contains("limits") { try session.slotsFreed() }
                    }
                },
                onDeadline: {
                    if let killAt = session.killAt, killAt <= Date() {
                        child.kill(SIGKILL)
                        session.killAt = nil
                        session.killed = true
                    }
                    try? session.releaseHeld(before: Date())
                    return false
                },
                batch: { messages, lines in try session.handle(messages, lines) })
        } catch {
            child.kill(SIGKILL)
            _ = child.wait()
            // The store may be what failed: the run still ends crashed, after what it reported, once
            // both can be written.
            try persistently(wakeup) {
                try session.drain()
                try session.releaseSlots()
                let outage = session.outageSentence.map { "; \($0)" } ?? ""
                try store.markCrashed(flowRunID: run.id, message: "the runner could not be supervised: \(error)\(outage)")
            } failed: { session.noteOutage($0) }
            ended = true
            store.ring("finished")
            return try final(run, wakeup)
        }
        let status = child.wait()
        try persistently(wakeup) {
            try session.drain()
            try session.releaseSlots()
            if !session.finished {
                let outage = session.outageSentence.map { "; \($0)" } ?? ""
                if session.overflowed {
                    try store.markCrashed(
                        flowRunID: run.id,
                        message: "the runner was stopped: \(StoreOutage.eventLimit) events waited in memory for the store\(outage)")
                } else if let reason = session.cancelReason {
                    let detail = session.killed ? "; the runner did not stop within \(Int(stopGrace)) s and was killed" : ""
                    try store.finish(flowRunID: run.id, state: RunState(.cancelled, message: reason + detail + outage))
                } else {
                    var message = session.failure ?? "the runner process \(status.description) before the flow run finished"
                    if session.failure == nil, let line = session.output.summary { message += ": \(line)" }
                    try store.markCrashed(flowRunID: run.id, message: message + outage)
                }
            }
        } failed: { session.noteOutage($0) }
        ended = true
        store.ring("finished")
        return try final(run, wakeup)
    }

    /// The run as recorded once it is over (read again while the recorder cannot be reached).
    private func final(_ run: FlowRunRecord, _ wakeup: WakeupPipe) throws -> FlowRunRecord {
        var record: FlowRunRecord?
        try persistently(wakeup) { record = try store.flowRun(run.id, project: nil) }
        return record!
    }

    /// Runs a write that ends a run again while it fails, waiting longer each time (up to
    /// `StoreOutage.maxPause`), and tells `failed` of each failure. A store out of space is waited
    /// out for as long as it takes, other store errors (locked past the busy timeout) for about five
    /// minutes, unless this process is told to stop meanwhile (a signal, a cancellation through
    /// `wakeup`); then the last error is thrown. A run whose end could not be written keeps its free
    /// lock file, so a later sweep crashes it.
    func persistently(_ wakeup: WakeupPipe, _ write: () throws -> Void, failed: (any Error) -> Void = { _ in }) throws {
        var pause = 0.1
        let deadline = Date().addingTimeInterval(300)
        while true {
            do {
                return try write()
            } catch {
                // An error of ours (no such run, say) does not heal by waiting; the store's errors may.
                if let known = error as? BatonError, ![.store, .storeFull, .storeUnavailable, .io].contains(known.code) { throw error }
                guard StoreOutage.canWaitOut(error) || Date() < deadline else { throw error }
                failed(error)
                var entry = pollfd(fd: wakeup.fd, events: Int16(POLLIN), revents: 0)
                if poll(&entry, 1, Int32(pause * 1000)) == 1, wakeup.drain().contains(where: { Int32($0) != SIGUSR1 }) { throw error }
                pause = min(pause * 2, StoreOutage.maxPause)
            }
        }
    }
}

/// Cancels a run that a supervisor executes, from another thread.
public final class RunControl: @unchecked Sendable {
    // @unchecked: `pipe` and `cancelled` are only touched under `lock`.
    static let cancelByte: Int32 = 0xFF
    private let lock = NSLock()
    private var pipe: WakeupPipe?
    private var cancelled: String?

    public init() {}

    /// Asks the run to stop (`cancelling`, then `cancelled`), now or as soon as it starts.
    public func cancel(reason: String) {
        lock.lock()
        cancelled = cancelled ?? reason
        let pipe = self.pipe
        lock.unlock()
        pipe?.ring(UInt8(Self.cancelByte))
    }

    var reason: String {
        lock.lock()
        defer { lock.unlock() }
        return cancelled ?? "cancelled"
    }

    func attach(_ pipe: WakeupPipe) {
        lock.lock()
        self.pipe = pipe
        let pending = cancelled != nil
        lock.unlock()
        if pending { pipe.ring(UInt8(Self.cancelByte)) }
    }

    func detach() {
        lock.lock()
        pipe = nil
        lock.unlock()
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
        let deadline = Date().addingTimeInterval(timeout)
        let result = try child.pump(deadline: { deadline }) { messages, lines in
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
