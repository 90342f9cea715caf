import BatonCore
import Foundation

/// Flow runs: creating them, what their engines report, and reading them back.
public protocol RunStore: AnyObject, Sendable {
    /// Records a new flow run.
    func createFlowRun(_ run: NewFlowRun) throws -> FlowRunRecord
    /// Applies what an engine reported, in order, in one transaction.
    func apply(_ events: [RunEvent]) throws
    /// Ends a flow run that is not final as `crashed`, with its unfinished task runs.
    func markCrashed(flowRunID: String, message: String) throws
    /// Ends a flow run that is not final in `state` (cancelled, say), with its unfinished task runs.
    func finish(flowRunID: String, state: RunState) throws

    /// A flow run by id, unique id prefix, or unique name; throws `notFound` or `invalidInput`.
    func flowRun(_ reference: String) throws -> FlowRunRecord
    /// Flow runs past, upcoming or all, in the order `RunWhen` gives each (newest first by start time;
    /// upcoming ones soonest first), as they read now (overdue ones `Late`).
    func flowRuns(_ query: FlowRunQuery) throws -> [FlowRunRecord]
    /// The subflow runs a flow run started.
    func subflowRuns(of flowRunID: String) throws -> [FlowRunRecord]

    /// Completed task runs' results of a flow run by input key, for resume.
    func completedResults(flowRunID: String) throws -> [String: CompletedResult]
    /// Starts a new attempt of a failed, crashed or cancelled flow run.
    func beginResume(flowRunID: String) throws -> FlowRunRecord
    /// Asks a run to stop; returns the run as it is now.
    func requestCancellation(flowRunID: String) throws -> (run: FlowRunRecord, supervisor: ProcessIdentity?)
    /// Records which process supervises a run.
    func setSupervisor(flowRunID: String, process: ProcessIdentity) throws
}
