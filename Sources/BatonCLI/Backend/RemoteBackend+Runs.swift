import BatonCore
import BatonStore
import Foundation

/// Runs through the API: listed, inspected and made; the server's workers execute them.
extension RemoteBackend {
    func flowRuns(_ query: FlowRunQuery) throws -> [RunView] {
        var runs: [RunView] = []
        var cursor: String?
        // The API sends at most 500 runs a page.
        repeat {
            let target = APITarget.query(
                "/api/flow-runs",
                [
                    ("flow", query.flow), ("version", query.version.map(String.init)), ("state", query.state?.rawValue),
                    ("deployment", query.deployment), ("since", query.since.map(Timestamps.iso)), ("until", query.until.map(Timestamps.iso)),
                    ("when", query.when.rawValue),
                    ("limit", String(min(500, query.limit - runs.count))), ("cursor", cursor),
                ])
            let page = try list(target, key: "runs", as: RunView.self)
            runs += page.items
            cursor = page.nextCursor
        } while cursor != nil && runs.count < query.limit
        return runs
    }

    func flowRun(_ reference: String) throws -> RunView { try get("/api/flow-runs/\(APITarget.segment(reference))") }

    func details(of run: RunView) throws -> RunDetails {
        struct Graph: Decodable {
            struct Edge: Decodable {
                var from: String
                var to: String
                var kind: String
            }
            var edges: [Edge]
        }
        let path = "/api/flow-runs/\(APITarget.segment(run.id))"
        let views = try list(path + "/task-runs?limit=1000000&values=true", key: "taskRuns", as: TaskRunView.self).items
        var taskStates: [String: [RunState]] = [:]
        for view in views where !view.history.isEmpty { taskStates[view.id] = view.history.map(RunState.init) }
        var version: VersionView?
        do {
            version = try self.version(of: run.flow, number: run.version)
        } catch let error as BatonError where error.code == .notFound {
            version = nil
        }
        return RunDetails(
            run: run, states: try list(path + "/states", key: "states", as: StateView.self).items.map(RunState.init),
            taskRuns: views.map(TaskRunRecord.init), taskRunStates: taskStates,
            edges: try get(path + "/graph?limit=100000", as: Graph.self).edges.map { TaskRunEdge(upstream: $0.from, downstream: $0.to, kind: $0.kind) },
            subflowRuns: try list(path + "/subflows", key: "runs").items,
            artifacts: try list(path + "/artifacts", key: "artifacts", as: ArtifactView.self).items.map(ArtifactRecord.init),
            version: version)
    }

    func logs(flowRunID: String, after: Int64, limit: Int) throws -> [LogView] {
        try list("/api/flow-runs/\(APITarget.segment(flowRunID))/logs?after=\(after)&limit=\(min(limit, 5000))", key: "logs").items
    }

    /// The server's worker sweeps its store itself.
    func sweepOrphans() throws -> String? { nil }

    func start(_ request: RunRequest) throws -> StartedRun {
        let target: String
        let body: JSONValue
        switch request {
        case .new(let flow, let version, let parameters):
            target = "/api/flow-runs"
            body = .object(["flow": .string(flow), "version": .int(Int64(version)), "parameters": .object(parameters)])
        case .rerun(let original, let version):
            // The server reruns with the original's parameters, resolved there against the version.
            target = "/api/flow-runs/\(APITarget.segment(original.id))/rerun"
            switch version {
            case nil: body = .object([:])
            case .latest?: body = .object(["version": .string("latest")])
            case .number(let number)?: body = .object(["version": .int(Int64(number))])
            }
        case .resume(let original):
            target = "/api/flow-runs/\(APITarget.segment(original.id))/resume"
            body = .object([:])
        }
        return StartedRun(run: try decode(RunView.self, from: send("POST", target, json: body), target))
    }
}

extension RunState {
    init(_ view: StateView) {
        self.init(StateType(rawValue: view.type) ?? .crashed, name: view.name, message: view.message, at: view.timestamp)
    }
}

extension TaskRunRecord {
    /// The record an API task run was made from, less what the API's lists leave out (its input,
    /// result and parent task run).
    init(_ view: TaskRunView) {
        self.init(
            id: view.id, flowRunID: view.flowRunID, flowRunAttempt: view.flowRunAttempt, name: view.name, taskName: view.taskName,
            kind: view.kind, childFlowRunID: view.childFlowRunID, parentTaskRunID: nil,
            state: RunState(
                StateType(rawValue: view.state) ?? .crashed, name: view.stateName, message: view.message,
                at: view.history.last?.timestamp ?? view.endTime ?? view.startTime ?? view.createdAt),
            attempts: view.attempts, tags: view.tags, input: view.input, result: view.result, cachedFrom: view.cachedFrom,
            createdAt: view.createdAt, startTime: view.startTime, endTime: view.endTime)
    }
}
