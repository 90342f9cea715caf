import BatonCore
import BatonHTTP
import BatonProcess
import BatonRunner
import BatonServices
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `baton worker start --api URL`: a worker on a host that has no store, only the server's API and
/// an API key whose role allows running. It announces itself, claims the due runs of its pool in its
/// key's project, fetches each version's library by hash into its own library store, and executes
/// each run in a runner child as a worker on the store's host does; the run's events go to the server
/// in numbered batches through a spool on disk (see `APIRecorder`).
///
/// It does not poll: it follows the server's live events (`/api/events`), which say when runs are
/// queued, finished or cancelled, and sleeps until the next run of its pool is due or its next
/// heartbeat. While the server is out of reach its runs go on; it tries again, waiting longer each
/// time (up to five seconds), and catches up with what it missed when the stream is back.
public final class RemoteWorker: @unchecked Sendable {
    // @unchecked: `active` and `workerID` are only touched under `lock`.
    let link: ServerLink
    let home: BatonHome
    let options: WorkerOptions
    let say: @Sendable (String) -> Void
    let client: HTTPClient
    let wakeup: WakeupPipe
    private let lock = NSLock()
    private var active: [String: RunControl] = [:]
    private var workerID = ""
    /// Held by a run fetching its version's library (see `APIRecorder.fetching`).
    private let fetching = NSLock()
    /// The server's `limits` events, for runs whose tasks wait for a concurrency slot.
    private let slots = SlotBroadcast()
    /// Set once the grace period after Ctrl-C is over: a run's thread waiting for the server gives up.
    private var abandoning = false

    enum Wake: UInt8 { case work = 210, runEnded = 211 }

    public init(link: ServerLink, home: BatonHome, options: WorkerOptions, say: @escaping @Sendable (String) -> Void) throws {
        self.link = link
        self.home = home
        self.options = options
        self.say = say
        client = try link.connection()
        wakeup = try WakeupPipe()
    }

    private var activeCount: Int { lock.withLock { active.count } }

    /// What the main loop keeps from one pass to the next.
    private struct Loop {
        /// Set at Ctrl-C or SIGTERM: when the grace period ends.
        var stopping: Date?
        var cancelled = false
        var nextHeartbeat: Date
        /// When the next run of the pool is due, as the last claim said.
        var nextDue: Date?
        /// When to try the server again after it could not be reached.
        var retryAt: Date?
        /// Since when the server has been out of reach.
        var away: Date?
        /// Claims are asked for when something may be due: at first, when the server's events or a
        /// run's end say so, when the next due run's time comes, and after a failure.
        var claimOwed = true
    }

    /// Works until Ctrl-C or SIGTERM, then lets running flows finish for up to the grace period,
    /// cancels what is left, waits for their ends to reach the server, and returns.
    public func run() throws {
        let token = Interrupts.add { [wakeup] signal in wakeup.ring(UInt8(truncatingIfNeeded: signal)) }
        defer { Interrupts.remove(token) }
        try home.prepare()
        // Spools of runs an earlier process of this home left: those runs were crashed when it died.
        try? FileManager.default.removeItem(atPath: home.path + "/spool")

        guard let me = try waitForServer({ try announce() }) else { return }
        lock.withLock { workerID = me.id }
        say("worker '\(options.name)' started on \(ProcessIdentity.localHost) through \(link.url): pool '\(options.pool)', up to \(options.limit) runs at once (Ctrl-C to stop)")
        Thread.detachNewThread { [self] in followEvents() }

        var loop = Loop(stopping: Interrupts.signalReceived.map { _ in Date().addingTimeInterval(options.grace) }, nextHeartbeat: Date().addingTimeInterval(options.heartbeat))
        while true {
            let now = Date()
            try pass(&loop, workerID: me.id, now: now)
            if let deadline = loop.stopping {
                if activeCount == 0 { break }
                if now >= deadline && !loop.cancelled { cancelAll(&loop) }
            }
            sleep(&loop)
        }
        _ = try? waitForServer({ try link.send(client, "POST", "/api/workers/\(me.id)/stop") }, giveUp: Date().addingTimeInterval(10))
        say("worker '\(options.name)' stopped")
    }

    /// One pass: a heartbeat when it is due, and claims while there is room and one is owed. A server
    /// out of reach is tried again later; a worker it took for gone announces itself again.
    private func pass(_ loop: inout Loop, workerID: String, now: Date) throws {
        do {
            if now >= loop.nextHeartbeat {
                try heartbeat(workerID)
                loop.nextHeartbeat = now.addingTimeInterval(options.heartbeat)
            }
            if let due = loop.nextDue, due.addingTimeInterval(-options.lead) <= now { loop.claimOwed = true }
            if loop.stopping == nil, loop.claimOwed || loop.retryAt.map({ $0 <= now }) == true {
                loop.claimOwed = false
                loop.nextDue = try claimWhileRoom(workerID)
            }
            loop.retryAt = nil
            if let since = loop.away {
                say("the server is back after \(Int(Date().timeIntervalSince(since))) s")
                loop.away = nil
            }
        } catch let error as BatonError where error.code == .storeUnavailable {
            loop.claimOwed = true
            let since = loop.away ?? Date()
            if loop.away == nil { say("\(error.message); running flows go on, and this worker tries again") }
            loop.away = since
            let pause = min(5, 0.25 * pow(2, min(5, Date().timeIntervalSince(since).rounded(.down))))
            let retry = Date().addingTimeInterval(pause)
            loop.retryAt = retry
            loop.nextHeartbeat = min(loop.nextHeartbeat, retry)
        } catch let error as BatonError where error.code == .conflict {
            // Recorded as stopped while it lived: the heartbeat announces it again.
            say(error.message)
            loop.claimOwed = true
            loop.nextHeartbeat = now
            loop.retryAt = now.addingTimeInterval(1)
        }
    }

    private func heartbeat(_ workerID: String) throws {
        let answer = try link.send(client, "POST", "/api/workers/\(workerID)/heartbeat")
        if (try? JSONValue(json: Data(answer)))?.objectValue?["reannounced"]?.boolValue == true {
            say("this worker had been recorded as gone while it lived (paused, or cut off too long): announced again")
        }
    }

    /// Claims runs while this worker has room; returns when the next run of its pool is due.
    private func claimWhileRoom(_ workerID: String) throws -> Date? {
        let target = "/api/workers/\(workerID)/claim"
        let lead: JSONValue = .object(["lead": .int(Int64(options.lead.rounded(.up)))])
        while activeCount < options.limit {
            let claim = try link.decode(RemoteClaim.self, from: try link.send(client, "POST", target, json: lead), target)
            guard let assignment = claim.assignment else { return claim.nextDue }
            start(assignment)
        }
        return nil
    }

    private func cancelAll(_ loop: inout Loop) {
        loop.cancelled = true
        lock.withLock { abandoning = true }
        say("the grace period is over: cancelling \(activeCount) run(s)")
        for control in lock.withLock({ Array(active.values) }) { control.cancel(reason: "the worker stopped") }
    }

    /// Sleeps until the next heartbeat, retry, due run or the end of the grace period, or until the
    /// server's events, a run's end or a signal wake it.
    private func sleep(_ loop: inout Loop) {
        var wake = loop.nextHeartbeat
        if let retryAt = loop.retryAt { wake = min(wake, retryAt) }
        if loop.stopping == nil, activeCount < options.limit, let due = loop.nextDue { wake = min(wake, due.addingTimeInterval(-options.lead)) }
        if let deadline = loop.stopping, !loop.cancelled { wake = min(wake, deadline) }
        var entry = pollfd(fd: wakeup.fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = max(0, min(Int32.max, Int32((wake.timeIntervalSinceNow * 1000).rounded(.up))))
        _ = poll(&entry, 1, milliseconds)
        for byte in wakeup.drain() {
            if byte == Wake.work.rawValue || byte == Wake.runEnded.rawValue { loop.claimOwed = true }
            guard byte == UInt8(SIGINT) || byte == UInt8(SIGTERM), loop.stopping == nil else { continue }
            loop.stopping = Date().addingTimeInterval(options.grace)
            say("stopping: claiming no more runs; \(activeCount) running may take up to \(Int(options.grace)) s (Ctrl-C again to stop at once)")
        }
    }

    /// Records this process as a worker of its pool on the server.
    private func announce() throws -> WorkerView {
        let me = ProcessIdentity.current
        let fields: [String: JSONValue] = [
            "name": .string(options.name), "pool": .string(options.pool), "limit": .int(Int64(options.limit)),
            "heartbeat": .int(Int64(max(1, options.heartbeat.rounded()))), "host": .string(me.host ?? ProcessIdentity.localHost),
            "pid": .int(Int64(me.pid)), "processStart": .string(me.start),
        ]
        return try link.decode(WorkerView.self, from: try link.send(client, "POST", "/api/workers", json: .object(fields)), "/api/workers")
    }

    /// Runs `request` until the server answers it, waiting longer each time it is out of reach; nil
    /// when this process is told to stop first (or `giveUp` passes). Only the main loop watches the
    /// signals' pipe; a run's thread (`onRunThread`) gives up once the grace period is over.
    private func waitForServer<T>(_ request: () throws -> T, giveUp: Date = .distantFuture, onRunThread: Bool = false) throws -> T? {
        var pause = 0.25
        var said = false
        while true {
            do {
                return try request()
            } catch let error as BatonError where error.code == .storeUnavailable {
                if !said {
                    say("\(error.message); trying again" + (onRunThread ? "" : " (Ctrl-C to stop)"))
                    said = true
                }
                if Date() >= giveUp { return nil }
                if onRunThread {
                    if lock.withLock({ abandoning }) { return nil }
                    Thread.sleep(forTimeInterval: pause)
                } else {
                    var entry = pollfd(fd: wakeup.fd, events: Int16(POLLIN), revents: 0)
                    if poll(&entry, 1, Int32(pause * 1000)) == 1, wakeup.drain().contains(where: { $0 == UInt8(SIGINT) || $0 == UInt8(SIGTERM) }) {
                        return nil
                    }
                }
                pause = min(pause * 2, 5)
            }
        }
    }

    /// Follows the server's live events for as long as the process lives: queued and finished runs
    /// wake the claim loop; a run of this worker being cancelled is cancelled here. A stream that
    /// ends is opened again (and the loop woken, for what it missed meanwhile).
    private func followEvents() {
        var pause = 0.25
        while true {
            if (try? followStream()) == true { pause = 0.25 }
            // What the stream would have said while it was not open: look again.
            wakeup.ring(Wake.work.rawValue)
            slots.ring()
            Thread.sleep(forTimeInterval: pause)
            pause = min(pause * 2, 5)
        }
    }

    /// Follows one event stream until it ends; whether it was open (said hello) at all.
    private func followStream() throws -> Bool {
        let opened = Locked(false)
        try link.connection().events(link.inProject("/api/events")) { [self] event in
            opened.withLock { $0 = true }
            noticed(event)
            return true
        }
        return opened.withLock { $0 }
    }

    /// What one live event means to this worker.
    private func noticed(_ event: ServerSentEvent) {
        if event.event == "limits" { return slots.ring() }
        // The stream is open (again): what it would have said meanwhile is looked at once more.
        if event.event == "hello" {
            slots.ring()
            return wakeup.ring(Wake.work.rawValue)
        }
        guard event.event == "flow_run", let data = try? JSONValue(json: Data(event.data.utf8)), let id = data["id"]?.stringValue,
            let state = data["state"]?.stringValue.flatMap(StateType.init(rawValue:))
        else { return }
        // A run still starting here (claimed, its runner not yet up) is cancelled by the server
        // directly: `cancelled` without `cancelling` first. Its runner is stopped all the same.
        if state == .cancelling || state == .cancelled {
            lock.withLock { active[id] }?.cancel(reason: "cancelled by request")
        }
        if state == .scheduled || state.isFinal {
            wakeup.ring(Wake.work.rawValue)
        }
    }

    /// Executes a claimed run on a thread of its own, through a recorder of its own.
    private func start(_ assignment: RemoteAssignment) {
        let run = assignment.run
        let control = RunControl()
        let workerID = lock.withLock { () -> String in
            active[run.id] = control
            return self.workerID
        }
        let when = run.scheduledTime.map { " scheduled for \(Timestamps.iso($0))" } ?? ""
        say("run '\(run.name)' of \(run.flow) v\(run.version)\(run.deployment.map { " (deployment \($0))" } ?? "")\(when): starting")
        Thread.detachNewThread { [self] in
            var line: String
            do {
                let recorder = try APIRecorder(link: link, workerID: workerID, assignment: assignment, home: home, fetching: fetching, slots: slots, say: say)
                let supervisor = RunSupervisor(store: recorder, values: recorder)
                _ = try supervisor.execute(
                    run, reuse: assignment.reuse, control: control, interruptible: false,
                    workingDirectory: try home.prepareRunDirectory(for: run.id, configured: nil))
                guard let outcome = try waitForServer({ try recorder.done() }, onRunThread: true) else { throw BatonError(.io, "stopped before the server was back") }
                let final = outcome.run
                let took = final.duration().map { String(format: " in %.2f s", $0) } ?? ""
                line = "run '\(run.name)': \(final.state.name)\(took)" + (final.state.message.map { ": \($0)" } ?? "")
                if outcome.retried { line += "; its flow retries, so it is scheduled again" }
            } catch {
                line = "run '\(run.name)' could not be executed: \(error)"
            }
            say(line)
            lock.withLock { active[run.id] = nil }
            wakeup.ring(Wake.runEnded.rawValue)
        }
    }
}
