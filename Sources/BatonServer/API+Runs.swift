import BatonCore
import BatonHTTP
import BatonRunner
import BatonStore
import Foundation

/// Flow runs: created for the workers, listed with filters and a cursor, inspected, cancelled,
/// rerun and resumed; their task runs, graph, logs and artifacts.
extension API {
    static func runRoutes(_ c: APIContext) -> [Route] {
        [
            Route(method: "POST", pattern: "/api/flow-runs", summary: "Create a flow run of a version with parameters; a worker starts it at once", tag: "runs", body: "NewFlowRun", status: 201, response: "FlowRun") { request in
                let body = try request.jsonObject()
                try body.only(["flow", "version", "parameters", "pool"])
                let version = try c.store.version(of: try body.string("flow"), number: try body.version())
                let parameters = try version.resolveRunParameters(try body.objectField("parameters"))
                let pool = try body.optionalString("pool") ?? c.pool
                do {
                    try DeploymentNames.validate(pool, what: "pool name")
                } catch let error as BatonError {
                    throw APIError.badRequest(error.message, field: "pool")
                }
                let run = try c.store.enqueue(NewFlowRun(flow: version.flow, version: version.number, parameters: parameters), pool: pool)
                return try Reply.json(RunView(run), status: .created)
            },
            Route(method: "GET", pattern: "/api/flow-runs", summary: "Flow runs, filtered and paged by cursor: when=past (the default) lists those that started, ended or are due, newest first by start time; when=upcoming those scheduled ahead, soonest first; when=all both", tag: "runs", query: ["flow", "version", "state", "deployment", "since", "until", "when", "limit", "cursor"], response: "FlowRunList") { request in
                var query = FlowRunQuery(
                    flow: request.queryString("flow"), state: try request.queryState("state"), deployment: request.queryString("deployment"),
                    since: try request.queryDate("since"), until: try request.queryDate("until"), when: try request.queryWhen("when"),
                    limit: try request.queryInt("limit", default: 50, in: 1...500))
                if request.queryString("version") != nil { query.version = try request.queryInt("version", default: 1, in: 1...Int(Int32.max)) }
                if let text = request.queryString("cursor") {
                    guard let cursor = RunCursor(text: text) else {
                        throw APIError.badRequest("cursor '\(text)' is not valid: expected the nextCursor of an earlier page", field: "cursor")
                    }
                    query.after = cursor
                }
                let runs = try c.store.flowRuns(query)
                var listing = Listing(key: "runs", items: runs.map(RunView.init))
                if runs.count == query.limit, let last = runs.last { listing.extra["nextCursor"] = .string(RunCursor(last, in: query.when).text) }
                return try Reply.json(listing)
            },
            Route(method: "GET", pattern: "/api/flow-runs/{id}", summary: "A flow run by id, id prefix or name", tag: "runs", response: "FlowRun") { request in
                try Reply.json(RunView(try c.store.flowRun(request.path("id"))))
            },
            Route(method: "GET", pattern: "/api/flow-runs/{id}/states", summary: "A flow run's state history, oldest first", tag: "runs", response: "StateList") { request in
                let run = try c.store.flowRun(request.path("id"))
                let states = try c.store.states(flowRunID: run.id).filter { $0.taskRunID == nil }.map { StateView($0.state) }
                return try Reply.json(Listing(key: "states", items: states))
            },
            Route(method: "GET", pattern: "/api/flow-runs/{id}/task-runs", summary: "A flow run's task runs with their state histories (with their inputs and results when values=true)", tag: "runs", query: ["limit", "values"], response: "TaskRunList") { request in
                let run = try c.store.flowRun(request.path("id"))
                let limit = try request.queryInt("limit", default: 10_000, in: 1...1_000_000)
                let views = try c.store.taskRunViews(flowRunID: run.id, limit: limit, withValues: request.queryString("values") == "true")
                return try Reply.json(Listing(key: "taskRuns", items: views))
            },
            Route(method: "GET", pattern: "/api/flow-runs/{id}/graph", summary: "A flow run's task-run graph: nodes and the engine's recorded edges", tag: "runs", query: ["limit"], response: "Graph") { request in
                let run = try c.store.flowRun(request.path("id"))
                let limit = try request.queryInt("limit", default: 2_000, in: 1...100_000)
                let nodes = try c.store.taskRunViews(flowRunID: run.id, limit: limit)
                return try Reply.json(RunGraph(
                    nodes: nodes, edges: try c.store.edges(flowRunID: run.id), truncated: try c.store.countTaskRuns(flowRunID: run.id) > nodes.count))
            },
            Route(method: "GET", pattern: "/api/flow-runs/{id}/logs", summary: "A flow run's log lines after an id, at or above a level", tag: "runs", query: ["after", "limit", "level"], response: "LogList") { request in
                let run = try c.store.flowRun(request.path("id"))
                let after = try request.queryInt("after", default: 0, in: 0...Int.max)
                let limit = try request.queryInt("limit", default: 500, in: 1...5000)
                let level = try logLevel(request)
                let lines = try c.store.logs(flowRunID: run.id, afterID: Int64(after), limit: limit)
                var listing = Listing(key: "logs", items: lines.filter { $0.level >= level }.map(LogView.init))
                listing.extra["nextAfter"] = .int(lines.last?.id ?? Int64(after))
                return try Reply.json(listing)
            },
            Route(method: "GET", pattern: "/api/flow-runs/{id}/artifacts", summary: "A flow run's artifacts", tag: "runs", response: "ArtifactList") { request in
                let run = try c.store.flowRun(request.path("id"))
                return try Reply.json(Listing(key: "artifacts", items: try c.store.artifacts(flowRunID: run.id, key: nil, limit: 1000).map(ArtifactView.init)))
            },
            Route(method: "GET", pattern: "/api/flow-runs/{id}/subflows", summary: "The subflow runs a flow run called", tag: "runs", response: "FlowRunList") { request in
                let run = try c.store.flowRun(request.path("id"))
                return try Reply.json(Listing(key: "runs", items: try c.store.subflowRuns(of: run.id).map(RunView.init)))
            },
            Route(method: "POST", pattern: "/api/flow-runs/{id}/cancel", summary: "Cancel a run: cancelling, then cancelled once its runner stopped", tag: "runs", status: 202, response: "FlowRun") { request in
                try request.jsonObject().only([])
                let (run, supervisor) = try c.store.requestCancellation(flowRunID: try c.store.flowRun(request.path("id")).id)
                if let supervisor { Nudge.send(to: supervisor) }
                return try Reply.json(RunView(run), status: .accepted)
            },
            Route(method: "POST", pattern: "/api/flow-runs/{id}/rerun", summary: "Run again with the same parameters, on its version or another", tag: "runs", body: "Rerun", status: 201, response: "FlowRun") { request in
                let original = try c.store.flowRun(request.path("id"))
                let body = try request.jsonObject()
                try body.only(["version"])
                let number: Int? = body.object["version"] == nil ? original.version : try body.version()
                let version = try c.store.version(of: original.flow, number: number)
                let parameters = try version.resolveRunParameters(original.parameters, rerunOf: original.name)
                let run = try c.store.enqueue(
                    NewFlowRun(flow: version.flow, version: version.number, parameters: parameters, rerunOf: original.id), pool: original.pool ?? c.pool)
                return try Reply.json(RunView(run), status: .created)
            },
            Route(method: "POST", pattern: "/api/flow-runs/{id}/resume", summary: "Run a failed, crashed or cancelled run again as its next attempt, reusing completed task results", tag: "runs", status: 202, response: "FlowRun") { request in
                try request.jsonObject().only([])
                let run = try c.store.enqueueResume(flowRunID: try c.store.flowRun(request.path("id")).id, pool: c.pool)
                return try Reply.json(RunView(run), status: .accepted)
            },
            Route(method: "GET", pattern: "/api/task-runs/{id}", summary: "A task run with its input, result and history", tag: "runs", response: "TaskRun") { request in
                try Reply.json(try c.store.taskRunView(request.path("id")))
            },
        ]
    }

    static func logLevel(_ request: HTTPRequest) throws -> LogLevel {
        guard let text = request.queryString("level") else { return .debug }
        guard let level = LogLevel.allCases.first(where: { $0.name.lowercased() == text.lowercased() }) else {
            throw APIError.badRequest("level '\(text)' is not valid: expected debug, info, warning or error", field: "level")
        }
        return level
    }
}
