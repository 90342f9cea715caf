import Foundation

/// Task runs of one flow run that changed, as the live-events feed sends them (`task_runs`).
public struct TaskRunBatch: Codable, Sendable {
    public var flowRunID: String
    public var taskRuns: [TaskRunView]

    public init(flowRunID: String, taskRuns: [TaskRunView]) {
        self.flowRunID = flowRunID
        self.taskRuns = taskRuns
    }
}
