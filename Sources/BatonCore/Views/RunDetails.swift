import Foundation

/// Everything `baton run show` prints of a run. Its records' dates are whole milliseconds, as the
/// API's JSON carries them.
public struct RunDetails: Codable, Sendable {
    public var run: RunView
    /// The flow run's own states, oldest first.
    public var states: [RunState]
    public var taskRuns: [TaskRunRecord]
    /// Each task run's state history, oldest first, by task-run id.
    public var taskRunStates: [String: [RunState]]
    public var edges: [TaskRunEdge]
    public var subflowRuns: [RunView]
    public var artifacts: [ArtifactRecord]
    /// The version the run ran, when it is still registered.
    public var version: VersionView?

    public init(
        run: RunView, states: [RunState], taskRuns: [TaskRunRecord], taskRunStates: [String: [RunState]], edges: [TaskRunEdge],
        subflowRuns: [RunView], artifacts: [ArtifactRecord], version: VersionView?
    ) {
        self.run = run
        self.states = states.map(\.wholeMilliseconds)
        self.taskRuns = taskRuns.map(\.wholeMilliseconds)
        self.taskRunStates = taskRunStates.mapValues { $0.map(\.wholeMilliseconds) }
        self.edges = edges
        self.subflowRuns = subflowRuns
        self.artifacts = artifacts.map(\.wholeMilliseconds)
        self.version = version
    }
}

extension RunState {
    /// This state with its time in whole milliseconds.
    public var wholeMilliseconds: RunState {
        var state = self
        state.timestamp = Timestamps.wholeMilliseconds(timestamp)
        return state
    }
}

extension TaskRunRecord {
    /// This task run with its times in whole milliseconds.
    public var wholeMilliseconds: TaskRunRecord {
        var record = self
        record.state = state.wholeMilliseconds
        record.createdAt = Timestamps.wholeMilliseconds(createdAt)
        record.startTime = Timestamps.wholeMilliseconds(startTime)
        record.endTime = Timestamps.wholeMilliseconds(endTime)
        return record
    }
}

extension ArtifactRecord {
    /// This artifact with its time in whole milliseconds.
    public var wholeMilliseconds: ArtifactRecord {
        var record = self
        record.createdAt = Timestamps.wholeMilliseconds(createdAt)
        return record
    }
}
