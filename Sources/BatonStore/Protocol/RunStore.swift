import BatonCore
import Foundation

/// Flow runs: creating them, what their engines report, reading them back, and the guarded updates
/// the application layer makes with the rules of ``RunTransitions`` (the store decides no transition).
public protocol RunStore: AnyObject, Sendable {
    /// Records a new flow run.
    func createFlowRun(_ run: NewFlowRun) throws -> FlowRunRecord
    /// Records a new flow run and the process that will supervise it (one that already holds the
    /// run's lock) in one transaction: a run is never seen without a supervisor to watch.
    func createFlowRun(_ run: NewFlowRun, supervisedBy supervisor: ProcessIdentity) throws -> FlowRunRecord
    /// Records many flow runs in one transaction (imports, backfills of history, benchmarks).
    func createFlowRuns(_ runs: [NewFlowRun]) throws
    /// Applies what an engine reported, in order, in one transaction.
    func apply(_ events: [RunEvent]) throws
    /// Applies a numbered batch of one run attempt's events (a remote worker's, which may send a
    /// batch again when an answer was lost), in one transaction with the number: each batch once,
    /// in order, and only while the attempt is the worker's and not over (log lines excepted).
    func apply(_ events: [RunEvent], batch: EventBatch) throws -> EventBatch.Outcome
    /// Ends a flow run that is not final as `crashed`, with its unfinished task runs.
    func markCrashed(flowRunID: String, message: String) throws
    /// Ends a flow run that is not final in `state` (cancelled, say), with its unfinished task runs,
    /// and gives its concurrency slots back; a final run stays as it is.
    func finish(flowRunID: String, state: RunState) throws

    /// Applies `change` to a flow run when its stored values meet every condition of `guardedBy`, in
    /// one transaction (a new state is appended to its history); returns the run as it is then, or
    /// nil when the guard failed (or there is no such run), having written nothing.
    func updateFlowRun(_ flowRunID: String, if guardedBy: RunGuard, _ change: RunChange) throws -> FlowRunRecord?

    /// A flow run by id, unique id prefix, or unique name, in `project` (nil: in any, for the
    /// store's own work on a run it already knows); throws `notFound` (also for another project's
    /// run) or `invalidInput`.
    func flowRun(_ reference: String, project: String?) throws -> FlowRunRecord
    /// Flow runs past, upcoming or all, in the order `RunWhen` gives each (newest first by start time;
    /// upcoming ones soonest first), as they read now (overdue ones `Late`).
    func flowRuns(_ query: FlowRunQuery) throws -> [FlowRunRecord]
    /// The subflow runs a flow run started.
    func subflowRuns(of flowRunID: String) throws -> [FlowRunRecord]
    /// A run's task runs with their state histories, for views: those whose latest state is at or
    /// after `changedSince` when given, among the first `limit`.
    func taskRunViews(flowRunID: String, changedSince: Date?, limit: Int, withValues: Bool) throws -> [TaskRunView]
    /// One task run, with its input, result and history; throws `notFound`.
    func taskRunView(_ id: String) throws -> TaskRunView

    /// Completed task runs' results of a flow run by input key, for resume.
    func completedResults(flowRunID: String) throws -> [String: CompletedResult]
    /// Records which process supervises a run.
    func setSupervisor(flowRunID: String, process: ProcessIdentity) throws
    /// The process recorded as supervising a run, if any.
    func supervisor(of flowRunID: String) throws -> ProcessIdentity?
    /// The runs that are not over and name the process supervising them.
    func supervisedRuns() throws -> [SupervisedRun]
}

/// One batch of a run attempt's events as a remote worker numbers them: 1, 2, 3, … per attempt.
public struct EventBatch: Sendable, Hashable {
    public var flowRunID: String
    public var attempt: Int
    public var number: Int
    /// The worker that sends it, which must be the one that claimed the run.
    public var workerID: String

    public init(flowRunID: String, attempt: Int, number: Int, workerID: String) {
        self.workerID = workerID
        self.flowRunID = flowRunID
        self.attempt = attempt
        self.number = number
    }

    /// What applying a batch did.
    public enum Outcome: Sendable, Hashable {
        /// Its events are recorded now.
        case applied
        /// It was applied before (sent again): nothing changed.
        case duplicate
        /// A batch before it is missing: nothing changed; `expected` is the number that comes next.
        case gap(expected: Int)
        /// The run is not this worker's attempt any more (taken for gone, retried elsewhere), or it is
        /// over and the batch changes more than its logs: nothing changed; the reason says which.
        case refused(String)
    }
}
