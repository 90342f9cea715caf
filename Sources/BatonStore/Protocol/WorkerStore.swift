import BatonCore
import Foundation

/// Workers and their claims on queued runs, as persistence primitives: which run a claim takes is
/// the store's (atomically); what a worker does with it is the application layer's.
public protocol WorkerStore: AnyObject, Sendable {
    /// Records a worker process (on this machine: the store records its host).
    func insertWorker(_ worker: NewWorker) throws -> WorkerRecord
    /// Records that a worker lives; a worker recorded as stopped is recorded running again, and the
    /// answer says whether that happened.
    func heartbeat(workerID: String, now: Date) throws -> Bool
    /// Records a worker as stopped at `now`, unless it already is.
    func stopWorker(workerID: String, now: Date) throws
    /// A worker by id, or nil.
    func workerRecord(_ id: String) throws -> WorkerRecord?
    /// Workers, running ones first, then the most recently started.
    func workers(includeStopped: Bool, limit: Int) throws -> [WorkerRecord]
    /// The runs a worker claimed that are not over (pending, running or cancelling).
    func openRuns(workerID: String) throws -> [String]
    /// Claims the earliest run of a pool (of one project, when the claim names one) due by `dueBy`, atomically: of several claiming at once, each
    /// run goes to one. A run of a deployment at its `maxActive` waits. Nil when none is due.
    func claimRun(_ claim: RunClaim) throws -> FlowRunRecord?
    /// When the next run of `pool` a worker could claim is due (runs held back by `maxActive` do not count).
    func nextDueTime(pool: String, project: String?) throws -> Date?
    /// The lease `name` of this store (`scheduler`: who runs the scheduling pass), which one process
    /// holds at a time, on whatever host; not yet held.
    func lease(_ name: String) throws -> any Lease
}

/// A worker process about to be recorded.
public struct NewWorker: Sendable {
    public var id: String
    public var name: String
    public var pool: String
    public var limit: Int
    /// The process, on this host or another (its identity names the host).
    public var process: ProcessIdentity
    /// How often it heartbeats, in seconds.
    public var heartbeat: Double
    public var now: Date

    public init(id: String, name: String, pool: String, limit: Int, process: ProcessIdentity, heartbeat: Double = 10, now: Date) {
        self.heartbeat = heartbeat
        self.id = id
        self.name = name
        self.pool = pool
        self.limit = limit
        self.process = process
        self.now = now
    }
}

/// A worker's claim: which pool, by when a run must be due, and the state a claimed run takes (the
/// caller's rule, ``RunTransitions/claimed(_:now:)``, given the run's stored state).
public struct RunClaim: Sendable {
    public var pool: String
    /// Only this project's runs (a remote worker's key works in one); nil: any project's.
    public var project: String?
    public var workerID: String
    public var dueBy: Date
    public var now: Date
    public var pending: @Sendable (RunState) -> RunState

    public init(
        pool: String, project: String? = nil, workerID: String, dueBy: Date, now: Date, pending: @escaping @Sendable (RunState) -> RunState
    ) {
        self.project = project
        self.pool = pool
        self.workerID = workerID
        self.dueBy = dueBy
        self.now = now
        self.pending = pending
    }
}
