import BatonCore
import BatonProcess
import BatonStore
import Foundation

extension Services {
    /// Worker processes: announced, alive, claiming queued runs, stopped, and reaped when they die.
    public var workers: WorkerService { WorkerService(services: self) }
}

/// What a worker asks of Baton, and what anyone may read of workers. The claim itself is the store's
/// atomic primitive; which state a claimed run takes, and what happens to the runs of a dead worker,
/// are the rules of ``RunTransitions``.
public struct WorkerService: Sendable {
    let services: Services
    var store: any Store { services.store }

    /// Records a worker of `pool` (a valid pool name): this process, or one on another host that
    /// announced itself through the API. A worker on this machine takes the lock named after `id`
    /// first, so that nobody watching finds it announced but unlocked.
    public func register(
        id: String, name: String, pool: String, limit: Int, process: ProcessIdentity = .current, heartbeat: Double = 10, _ caller: Caller
    ) throws -> WorkerRecord {
        try services.authorize(caller, .run)
        try DeploymentNames.validate(pool, what: "pool name")
        return try store.insertWorker(
            NewWorker(id: id, name: name, pool: pool, limit: limit, process: process, heartbeat: heartbeat, now: services.options.now()))
    }

    /// Records that a worker lives; true when it had been recorded as gone and is announced again.
    public func heartbeat(_ workerID: String, now: Date, _ caller: Caller) throws -> Bool {
        try services.authorize(caller, .run)
        return try store.heartbeat(workerID: workerID, now: now)
    }

    /// Records that a worker stopped.
    public func stop(_ workerID: String, _ caller: Caller) throws {
        try services.authorize(caller, .run)
        try store.stopWorker(workerID: workerID, now: services.options.now())
    }

    /// Claims the earliest run of `pool` due by `dueBy` for a worker, or nil: of any project, or of
    /// `project` only (a worker through the API works in its key's).
    public func claim(pool: String, workerID: String, dueBy: Date, project: String? = nil, _ caller: Caller) throws -> FlowRunRecord? {
        try services.authorize(caller, .run)
        let now = services.options.now()
        return try store.claimRun(
            RunClaim(pool: pool, project: project, workerID: workerID, dueBy: dueBy, now: now) { RunTransitions.claimed($0, now: now) })
    }

    /// When the next run of `pool` a worker could claim is due (of `project` only, when named).
    public func nextDue(pool: String, project: String? = nil, _ caller: Caller) throws -> Date? {
        try services.authorize(caller, .read)
        return try store.nextDueTime(pool: pool, project: project)
    }

    /// A worker that stopped without saying so (its process is gone, or it stopped heartbeating): it
    /// is recorded stopped, its runs that are not over crash with `reason` as their message (their
    /// slots given back), and each is scheduled again when its flow retries. Returns the runs crashed.
    @discardableResult
    public func reap(_ workerID: String, reason: String, _ caller: Caller) throws -> [String] {
        try services.authorize(caller, .run)
        try store.stopWorker(workerID: workerID, now: services.options.now())
        // What automations watching for workers going offline see.
        try store.markWorkerGone(workerID: workerID, at: services.options.now())
        let runs = try store.openRuns(workerID: workerID)
        for id in runs {
            try store.markCrashed(flowRunID: id, message: reason)
            _ = try services.runs.retryIfAllowed(id)
        }
        if !runs.isEmpty { store.ring(StoreTopic.finished) }
        return runs
    }

    /// A worker by id, or nil.
    public func record(_ workerID: String, _ caller: Caller) throws -> WorkerRecord? {
        try services.authorize(caller, .read)
        return try store.workerRecord(workerID)
    }

    /// Workers, running ones first, as records (for the processes that watch them).
    public func records(includeStopped: Bool, limit: Int = 50, _ caller: Caller) throws -> [WorkerRecord] {
        try services.authorize(caller, .read)
        return try store.workers(includeStopped: includeStopped, limit: limit)
    }

    /// Workers, running ones first, then the most recently started.
    public func list(includeStopped: Bool = true, limit: Int = 50, _ caller: Caller) throws -> [WorkerView] {
        try services.authorize(caller, .read)
        return try store.workers(includeStopped: includeStopped, limit: limit).map { WorkerView($0) }
    }
}
