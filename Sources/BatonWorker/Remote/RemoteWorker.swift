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

        var stopping: Date? = Interrupts.signalReceived.map { _ in Date().addingTimeInterval(options.grace) }
        var cancelled = false
        var nextHeartbeat = Date().addingTimeInterval(options.heartbeat)
        var nextDue: Date?
        var retryAt: Date?
        var away: Date?
        // Claims are asked for when something may be due: at first, when the server's events or a
        // run's end say so, when the next due run's time comes, and after a failure.
        var claimOwed = true
        while true {
            let now = Date()
            do {
                if now >= nextHeartbeat {
                    let answer = try link.send(client, "POST", "/api/workers/\(me.id)/heartbeat")
                    if (try? JSONValue(json: Data(answer)))?.objectValue?["reannounced"]?.boolValue == true {
                        say("this worker had been recorded as gone while it lived (paused, or cut off too long): announced again")
                    }
                    nextHeartbeat = now.addingTimeInterval(options.heartbeat)
                }
                if let due = nextDue, due.addingTimeInterval(-options.lead) <= now { claimOwed = true }
                if stopping == nil, claimOwed || retryAt.map({ $0 <= now }) == true {
                    claimOwed = false
                    nextDue = nil
                    while activeCount < options.limit {
                        let target = "/api/workers/\(me.id)/claim"
                        let claim = try link.decode(
                            RemoteClaim.self, from: try link.send(client, "POST", target, json: .object(["lead": .int(Int64(options.lead.rounded(.up)))])), target)
                        guard let assignment = claim.assignment else {
                            nextDue = claim.nextDue
                            break
                        }
                        start(assignment)
                    }
                }
                retryAt = nil
                if let since = away {
                    say("the server is back after \(Int(Date().timeIntervalSince(since))) s")
                    away = nil
                }
            } catch let error as BatonError where error.code == .storeUnavailable {
                claimOwed = true
                if away == nil {
                    away = Date()
                    say("\(error.message); running flows go on, and this worker tries again")
                }
                retryAt = Date().addingTimeInterval(min(5, 0.25 * pow(2, Double(min(5, Int(Date().timeIntervalSince(away!)))))))
                nextHeartbeat = min(nextHeartbeat, retryAt!)
            } catch let error as BatonError where error.code == .conflict {
                // Recorded as stopped while it lived: the heartbeat announces it again.
                say(error.message)
                claimOwed = true
                nextHeartbeat = now
                retryAt = now.addingTimeInterval(1)
            }
            if let deadline = stopping {
                if activeCount == 0 { break }
                if now >= deadline && !cancelled {
                    cancelled = true
                    lock.withLock { abandoning = true }
                    say("the grace period is over: cancelling \(activeCount) run(s)")
                    for control in lock.withLock({ Array(active.values) }) { control.cancel(reason: "the worker stopped") }
                }
            }

            var wake = nextHeartbeat
            if let retryAt { wake = min(wake, retryAt) }
            if stopping == nil, activeCount < options.limit, let due = nextDue { wake = min(wake, due.addingTimeInterval(-options.lead)) }
            if let deadline = stopping, !cancelled { wake = min(wake, deadline) }
            var entry = pollfd(fd: wakeup.fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = max(0, min(Int32.max, Int32((wake.timeIntervalSinceNow * 1000).rounded(.up))))
            _ = poll(&entry, 1, milliseconds)
            for byte in wakeup.drain() {
                if byte == Wake.work.rawValue || byte == Wake.runEnded.rawValue { claimOwed = true }
                guard byte == UInt8(SIGINT) || byte == UInt8(SIGTERM) else { continue }
                if stopping == nil {
                    stopping = Date().addingTimeInterval(options.grace)
                    say("stopping: claiming no more runs; \(activeCount) running may take up to \(Int(options.grace)) s (Ctrl-C again to stop at once)")
                }
            }
        }
        _ = try? waitForServer({ try link.send(client, "POST", "/api/workers/\(me.id)/stop") }, giveUp: Date().addingTimeInterval(10))
        say("worker '\(options.name)' stopped")
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
            do {
                let stream = try link.connection()
                try stream.events(link.inProject("/api/events")) { event in
                    pause = 0.25
                    guard event.event == "flow_run", let run = (try? JSONValue(json: Data(event.data.utf8)))?.objectValue,
                        let id = run["id"]?.stringValue, let state = run["state"]?.stringValue
                    else { return true }
                    if state == StateType.cancelling.rawValue, let control = lock.withLock({ active[id] }) {
                        control.cancel(reason: "cancelled by request")
                    } else if state == StateType.scheduled.rawValue || StateType(rawValue: state)?.isFinal == true {
                        wakeup.ring(Wake.work.rawValue)
                    }
                    return true
                }
            } catch {}
            wakeup.ring(Wake.work.rawValue)
            Thread.sleep(forTimeInterval: pause)
            pause = min(pause * 2, 5)
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
                let recorder = try APIRecorder(link: link, workerID: workerID, assignment: assignment, home: home, fetching: fetching, say: say)
                let supervisor = RunSupervisor(store: recorder)
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
