import BatonCore
import BatonEngine
import BatonRunner
import BatonSchedule
import BatonServices
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How a worker runs.
public struct WorkerOptions: Sendable {
    public var pool: String
    /// How many runs it executes at once.
    public var limit: Int
    public var name: String
    /// How long before a run's time its runner is started; the run itself begins on time.
    public var lead: TimeInterval
    /// How long running flows may go on after Ctrl-C or SIGTERM before they are cancelled.
    public var grace: TimeInterval
    public var heartbeat: TimeInterval
    /// Whether this worker may be the store's scheduler (one worker per store is, at a time).
    public var schedules: Bool
    public var policy: SchedulingPolicy
    /// The web UI's address for links in notifications (nil: `BATON_PUBLIC_URL`, if set).
    public var publicURL: String?

    public init(
        pool: String = DeploymentNames.defaultPool, limit: Int = 10, name: String? = nil, lead: TimeInterval = 1,
        grace: TimeInterval = 30, heartbeat: TimeInterval = 10, schedules: Bool = true, policy: SchedulingPolicy = SchedulingPolicy(),
        publicURL: String? = nil
    ) {
        self.publicURL = publicURL
        self.pool = pool
        self.limit = max(0, limit)
        self.name = name ?? "worker-\(getpid())"
        self.lead = lead
        self.grace = grace
        self.heartbeat = heartbeat
        self.schedules = schedules
        self.policy = policy
    }
}

/// `baton worker start`: claims the runs of its pool as they come due and executes each in a runner
/// child, as `baton run` does; while it holds the store's scheduler lock it also schedules every
/// deployment and ends the runs of workers that died.
///
/// Nothing here polls on a fixed period: the worker sleeps until the next run of its pool is due (a
/// timer), until the store rings a doorbell (runs created, a run finished, deployments changed), or
/// until a lock it waits on is released (the scheduler or another worker died).
public final class Worker: @unchecked Sendable {
    // @unchecked: the mutable state (`active`, `leader`, `dead`, the watched sets) is only touched under `lock`.
    public let store: any Store
    /// The application layer over the store, and who asks through it: the worker process itself.
    let services: Services
    let caller = Caller.storeOwner()
    let home: BatonHome
    let options: WorkerOptions
    let say: @Sendable (String) -> Void

    let lock = NSLock()
    private var active: [String: RunControl] = [:]
    /// Guarded by `lock`: workers found dead, workers and run attempts whose locks are watched, and
    /// whether a watched supervisor's lock came free.
    var dead: [String] = []
    var watched: Set<String> = []
    var watchedRuns: Set<String> = []
    var orphansDue = false
    /// When a worker watched by its heartbeats would next be silent too long.
    var silenceCheck: Date?
    /// When this worker became the scheduler: silences are counted from then at the earliest.
    var leaderSince: Date?
    private var leader = false
    let wakeup: WakeupPipe
    /// Makes the deliveries automations owe, while this worker schedules.
    let dispatcher: DeliveryDispatcher

    enum Wake: UInt8 {
        case leader = 200, workerGone = 201, runEnded = 202, supervisorGone = 203
    }

    public init(store: any Store, home: BatonHome, options: WorkerOptions, say: @escaping @Sendable (String) -> Void) throws {
        self.store = store
        self.home = home
        let defaults = ServiceOptions(pool: options.pool)
        services = Services(
            store: store, home: home, options: ServiceOptions(pool: options.pool, publicURL: defaults.publicURL ?? options.publicURL))
        dispatcher = DeliveryDispatcher(services: services, say: say)
        self.options = options
        self.say = say
        wakeup = try WakeupPipe()
    }

    /// Works until Ctrl-C or SIGTERM, then lets running flows finish for up to the grace period,
    /// cancels what is left, and returns.
    public func run() throws {
        // Signals first: one that came before (while the process started) is delivered at once.
        let token = Interrupts.add { [wakeup] signal in wakeup.ring(UInt8(truncatingIfNeeded: signal)) }
        defer { Interrupts.remove(token) }
        // The lock before the announcement: whoever sees this worker in the store finds it locked.
        let id = RunID.random()
        let ownLock = try ProcessLock(path: home.locksPath + "/worker-\(id).lock")
        guard ownLock.tryLock() else { throw BatonError(.io, "the lock file of worker \(id) is held by another process") }
        let me = try services.workers.register(
            id: id, name: options.name, pool: options.pool, limit: options.limit, heartbeat: options.heartbeat, caller)
        let doorbell = try store.doorbell()
        try sweepOrphans()
        var lease: (any Lease)?
        if options.schedules {
            let schedulerLease = try SchedulerLeadership.lease(store)
            lease = schedulerLease
            schedulerLease.whenAcquired { [self] in
                lock.withLock {
                    leader = true
                    leaderSince = Date()
                }
                wakeup.ring(Wake.leader.rawValue)
            }
        }
        say("worker '\(options.name)' started: pool '\(options.pool)', up to \(options.limit) runs at once (Ctrl-C to stop)")

        // Interrupted while starting: claim nothing (the signal's byte also waits in the pipe).
        var stopping: Date? = Interrupts.signalReceived.map { _ in Date().addingTimeInterval(options.grace) }
        if stopping != nil { say("stopping: interrupted while starting") }
        var cancelled = false
        var nextHeartbeat = Date().addingTimeInterval(options.heartbeat)
        var nextSchedule: Date?
        var nextAutomations: Date?
        defer { dispatcher.stop() }
        while true {
            let now = Date()
            let isLeader = lock.withLock { leader }
            if isLeader, nextSchedule.map({ $0 <= now }) ?? true {
                nextSchedule = try schedulePass(now: now, me: me)
            }
            if isLeader, nextAutomations.map({ $0 <= now }) ?? true { nextAutomations = evaluateAutomations(now: now) }
            if isLeader, let check = lock.withLock({ silenceCheck }), check <= now { try watchWorkers(except: me) }
            if isLeader {
                try reapDead()
                if lock.withLock({ orphansDue }) { try sweepOrphans() }
            }
            if now >= nextHeartbeat {
                if try services.workers.heartbeat(me.id, now: now, caller) {
                    say("this worker had been recorded as gone while it lived (paused, or silent too long): announced again")
                }
                nextHeartbeat = now.addingTimeInterval(options.heartbeat)
            }
            if stopping == nil {
                while activeCount < options.limit,
                    let run = try services.workers.claim(pool: options.pool, workerID: me.id, dueBy: Date().addingTimeInterval(options.lead), caller)
                {
                    start(run)
                }
            }
            if let deadline = stopping {
                if activeCount == 0 { break }
                if now >= deadline && !cancelled {
                    cancelled = true
                    say("the grace period is over: cancelling \(activeCount) run(s)")
                    for control in lock.withLock({ Array(active.values) }) { control.cancel(reason: "the worker stopped") }
                }
            }

            var wake = nextHeartbeat
            if isLeader, let nextSchedule { wake = min(wake, nextSchedule) }
            if isLeader, let nextAutomations { wake = min(wake, nextAutomations) }
            if isLeader, let check = lock.withLock({ silenceCheck }) { wake = min(wake, check) }
            if stopping == nil, activeCount < options.limit, let due = try services.workers.nextDue(pool: options.pool, caller) {
                wake = min(wake, due.addingTimeInterval(-options.lead))
            }
            if let deadline = stopping, !cancelled { wake = min(wake, deadline) }
            var fds = [pollfd(fd: wakeup.fd, events: Int16(POLLIN), revents: 0), pollfd(fd: doorbell.fd, events: Int16(POLLIN), revents: 0)]
            let milliseconds = max(0, min(Int32.max, Int32((wake.timeIntervalSinceNow * 1000).rounded(.up))))
            _ = poll(&fds, 2, milliseconds)
            for byte in wakeup.drain() {
                switch byte {
                case UInt8(SIGINT), UInt8(SIGTERM):
                    if stopping == nil {
                        stopping = Date().addingTimeInterval(options.grace)
                        say("stopping: claiming no more runs; \(activeCount) running may take up to \(Int(options.grace)) s (Ctrl-C again to stop at once)")
                    }
                case Wake.leader.rawValue:
                    say("this worker now schedules the store's deployments and evaluates its automations")
                    nextSchedule = nil
                    nextAutomations = nil
                    dispatcher.start()
                default: break
                }
            }
            let topics = doorbell.drain()
            if topics.contains("deployments") { nextSchedule = nil }
            // A run ended, a worker changed, an automation was made: what fires is looked at now.
            if !topics.isDisjoint(with: ["finished", "runs", "workers", "automations"]) { nextAutomations = nil }
            if lock.withLock({ leader }) {
                if topics.contains("workers") { try watchWorkers(except: me) }
                if topics.contains("supervisors") { try watchSupervisors() }
            }
        }
        try services.workers.stop(me.id, caller)
        ownLock.unlock()
        lease?.release()
        say("worker '\(options.name)' stopped")
    }

    private var activeCount: Int { lock.withLock { active.count } }

    /// Executes a claimed run on a thread of its own.
    private func start(_ run: FlowRunRecord) {
        let control = RunControl()
        lock.withLock { active[run.id] = control }
        let when = run.scheduledTime.map { " scheduled for \(Timestamps.iso($0))" } ?? ""
        say("run '\(run.name)' of \(run.flow) v\(run.version)\(run.deployment.map { " (deployment \($0))" } ?? "")\(when): starting")
        Thread.detachNewThread { [self] in
            var line: String
            do {
                let outcome = try services.runs.execute(
                    run,
                    ExecutionOptions(
                        control: control, interruptible: false, workingDirectory: try home.prepareRunDirectory(for: run.id, configured: store.workingDirectory(ofRun: run.id)),
                        retryOnCrash: true), caller)
                let final = outcome.final
                let took = final.duration().map { String(format: " in %.2f s", $0) } ?? ""
                line = "run '\(run.name)': \(final.state.name)\(took)" + (final.state.message.map { ": \($0)" } ?? "")
                if outcome.retried { line += "; its flow retries, so it is scheduled again" }
            } catch {
                line = "run '\(run.name)' could not be executed: \(error)"
                try? store.markCrashed(flowRunID: run.id, message: "the worker could not execute it: \(error)")
            }
            say(line)
            lock.withLock { active[run.id] = nil }
            wakeup.ring(Wake.runEnded.rawValue)
        }
    }
}
