import BatonCore
import BatonEngine
import BatonStore

extension Store {
    /// The task results executing `run` hands the engine to reuse: those its earlier attempts
    /// completed when ``FlowRunRecord/reusesCompletedResults`` holds, else none.
    public func reusableResults(for run: FlowRunRecord) throws -> [String: ReusedResult] {
        guard run.reusesCompletedResults else { return [:] }
        return try completedResults(flowRunID: run.id).mapValues {
            ReusedResult(taskRunID: $0.taskRunID, taskRunName: $0.taskRunName, attempt: $0.attempt, result: $0.result)
        }
    }
}
