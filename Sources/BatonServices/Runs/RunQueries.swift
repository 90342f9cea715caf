import BatonCore
import BatonStore
import Foundation

/// A page of flow runs, and the cursor of the next page when this one is full.
public struct RunPage: Sendable {
    public var runs: [RunView]
    public var nextCursor: String?
}

/// A page of a run's log lines at or above a level, and the id to read on after.
public struct LogPage: Sendable {
    public var lines: [LogRecord]
    /// The id of the last line read (filtered out or not), or the `after` given.
    public var nextAfter: Int64
}

/// A run's task-run graph: its first task runs and the recorded edges between them.
public struct RunGraphParts: Sendable {
    public var nodes: [TaskRunView]
    public var edges: [TaskRunEdge]
    /// Whether the run has more task runs than `nodes`.
    public var truncated: Bool
}

/// Everything there is to show of one run.
public struct RunInspection: Sendable {
    public var run: FlowRunRecord
    /// The flow run's own states, oldest first.
    public var states: [RunState]
    public var taskRuns: [TaskRunRecord]
    /// Each task run's state history, oldest first, by task-run id.
    public var taskRunStates: [String: [RunState]]
    public var edges: [TaskRunEdge]
    public var subflowRuns: [FlowRunRecord]
    public var artifacts: [ArtifactRecord]
    /// The version the run ran, when it is still registered.
    public var version: VersionRecord?
}

/// Reading runs: each takes a run's id, id prefix or name (`reference`) and refuses an unknown or
/// ambiguous one as the store's look-up does.
extension RunService {
    // How much one request may ask for, and what it gets when it does not say: the API's contract
    // and handlers read these.
    /// Runs on one page of a listing.
    public static let listLimit: ClosedRange<Int> = 1...500
    public static let listDefault = 50
    /// Log lines on one page, and the line ids to read after.
    public static let logLimit: ClosedRange<Int> = 1...5000
    public static let logDefault = 500
    public static let logAfter: ClosedRange<Int> = 0...Int.max
    /// Nodes of a run's graph.
    public static let graphLimit: ClosedRange<Int> = 1...100_000
    public static let graphDefault = 2_000
    /// Task runs of one run, listed.
    public static let taskRunLimit: ClosedRange<Int> = 1...1_000_000
    public static let taskRunDefault = 10_000

    /// Runs as `query` filters and orders them, with the cursor of the next page when the page is full.
    public func list(_ query: FlowRunQuery, _ caller: Caller) throws -> RunPage {
        try services.authorize(caller, .read)
        var query = query
        query.project = caller.project
        let runs = try store.flowRuns(query)
        let next = runs.count == query.limit ? runs.last.map { RunCursor($0, in: query.when).text } : nil
        return RunPage(runs: runs.map(RunView.init), nextCursor: next)
    }

    public func run(_ reference: String, _ caller: Caller) throws -> RunView {
        try services.authorize(caller, .read)
        return RunView(try store.flowRun(reference, project: caller.project))
    }

    /// The run's own state history, oldest first.
    public func states(_ reference: String, _ caller: Caller) throws -> [RunState] {
        try services.authorize(caller, .read)
        let run = try store.flowRun(reference, project: caller.project)
        return try store.states(flowRunID: run.id).filter { $0.taskRunID == nil }.map(\.state)
    }

    /// The run's first `limit` task runs with their histories (and inputs and results with `values`).
    public func taskRuns(_ reference: String, limit: Int, values: Bool, _ caller: Caller) throws -> [TaskRunView] {
        try services.authorize(caller, .read)
        let run = try store.flowRun(reference, project: caller.project)
        return try store.taskRunViews(flowRunID: run.id, changedSince: nil, limit: limit, withValues: values)
    }

    /// One task run by id, with its input, result and history.
    public func taskRun(_ id: String, _ caller: Caller) throws -> TaskRunView {
        try services.authorize(caller, .read)
        let view = try store.taskRunView(id)
        // Another project's task run is not there at all, as its flow run is not.
        guard (try? store.flowRun(view.flowRunID, project: caller.project)) != nil else {
            throw BatonError(.notFound, "no task run with id '\(id)'")
        }
        return view
    }

    /// The graph of the run's first `limit` task runs: only edges between nodes it holds.
    public func graph(_ reference: String, limit: Int, _ caller: Caller) throws -> RunGraphParts {
        try services.authorize(caller, .read)
        let run = try store.flowRun(reference, project: caller.project)
        let nodes = try store.taskRunViews(flowRunID: run.id, changedSince: nil, limit: limit, withValues: false)
        let ids = Set(nodes.map(\.id))
        let edges = try store.edges(flowRunID: run.id).filter { ids.contains($0.upstream) && ids.contains($0.downstream) }
        return RunGraphParts(nodes: nodes, edges: edges, truncated: try store.countTaskRuns(flowRunID: run.id) > nodes.count)
    }

    /// Up to `limit` log lines after line `after`, of those the ones at `level` or above.
    public func logs(_ reference: String, after: Int64, limit: Int, level: LogLevel = .debug, _ caller: Caller) throws -> LogPage {
        try services.authorize(caller, .read)
        let run = try store.flowRun(reference, project: caller.project)
        let lines = try store.logs(flowRunID: run.id, afterID: after, limit: limit)
        return LogPage(lines: lines.filter { $0.level >= level }, nextAfter: lines.last?.id ?? after)
    }

    /// The subflow runs the run called.
    public func subflows(_ reference: String, _ caller: Caller) throws -> [RunView] {
        try services.authorize(caller, .read)
        let run = try store.flowRun(reference, project: caller.project)
        return try store.subflowRuns(of: run.id).map(RunView.init)
    }

    /// The run's artifacts, newest first (at most 1,000).
    public func artifacts(_ reference: String, _ caller: Caller) throws -> [ArtifactRecord] {
        try services.authorize(caller, .read)
        let run = try store.flowRun(reference, project: caller.project)
        return try store.artifacts(flowRunID: run.id, key: nil, limit: 1000, project: caller.project)
    }

    /// Everything there is to show of the run: its states, task runs with their histories, graph,
    /// subflows, artifacts and version.
    public func inspect(_ reference: String, _ caller: Caller) throws -> RunInspection {
        try services.authorize(caller, .read)
        let run = try store.flowRun(reference, project: caller.project)
        let states = try store.states(flowRunID: run.id)
        var taskStates: [String: [RunState]] = [:]
        for record in states { if let id = record.taskRunID { taskStates[id, default: []].append(record.state) } }
        return RunInspection(
            run: run, states: states.filter { $0.taskRunID == nil }.map(\.state), taskRuns: try store.taskRuns(flowRunID: run.id),
            taskRunStates: taskStates, edges: try store.edges(flowRunID: run.id), subflowRuns: try store.subflowRuns(of: run.id),
            artifacts: try store.artifacts(flowRunID: run.id, key: nil, limit: 1000, project: caller.project),
            version: try? store.version(of: run.flow, number: run.version, project: run.project))
    }
}
