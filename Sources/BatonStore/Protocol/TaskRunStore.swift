import BatonCore
import Foundation

/// What happened inside a flow run: task runs, state histories, logs, the graph and artifacts.
public protocol TaskRunStore: AnyObject, Sendable {
    /// The task runs of a flow run, in the order they were created.
    func taskRuns(flowRunID: String) throws -> [TaskRunRecord]
    /// The state history of a flow run and its task runs, oldest first.
    func states(flowRunID: String) throws -> [StateRecord]
    /// Log lines of a flow run after `afterID`, oldest first.
    func logs(flowRunID: String, afterID: Int64, limit: Int) throws -> [LogRecord]
    /// How many task runs are stored, for one flow run or all.
    func countTaskRuns(flowRunID: String?) throws -> Int
    /// The edges of a flow run's graph: which task run fed which.
    func edges(flowRunID: String) throws -> [TaskRunEdge]

    /// A project's artifacts, newest first: of one flow run, of one key, or all.
    func artifacts(flowRunID: String?, key: String?, limit: Int, project: String) throws -> [ArtifactRecord]
}
