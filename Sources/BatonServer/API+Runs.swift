import BatonCore
import BatonHTTP
import BatonServices
import BatonStore
import Foundation

/// Flow runs: created for the workers, listed with filters and a cursor, inspected, cancelled,
/// rerun and resumed; their task runs, graph, logs and artifacts.
extension API {
    static func runRoutes(_ c: APIContext) -> [Route] {
        [
            Route(method: "POST", pattern: "/api/flow-runs", summary: "Create a flow run of a version with parameters; a worker starts it at once", tag: "runs", permission: .run, body: "NewFlowRun", status: 201, response: "FlowRun") { request, caller in
                let body = try request.jsonObject()
                try body.only(["flow", "version", "parameters", "pool"])
                let flow = try body.string("flow")
                let version: VersionChoice = try body.version().map { .number($0) } ?? .latest
                let started = try c.services.runs.create(
                    flow: flow, version, given: try body.objectField("parameters"), .queue(pool: try body.optionalString("pool")), caller)
                return try Reply.json(started.run, status: .created)
            },
            Route(method: "GET", pattern: "/api/flow-runs", summary: "Flow runs, filtered and paged by cursor: when=past (the default) lists those that started, ended or are due, newest first by start time; when=upcoming those scheduled ahead, soonest first; when=all both", tag: "runs", permission: .read, query: ["flow", "version", "state", "deployment", "since", "until", "when", "limit", "cursor"], response: "FlowRunList") { request, caller in
                var query = FlowRunQuery(
                    flow: request.queryString("flow"), state: try request.queryState("state"), deployment: request.queryString("deployment"),
                    since: try request.queryDate("since"), until: try request.queryDate("until"), when: try request.queryWhen("when"),
                    limit: try request.queryInt("limit", default: RunService.listDefault, in: RunService.listLimit))
                if request.queryString("version") != nil { query.version = try request.queryInt("version", default: 1, in: VersionChoice.numbers) }
                if let text = request.queryString("cursor") {
                    guard let cursor = RunCursor(text: text) else {
                        throw APIError.badRequest("cursor '\(text)' is not valid: expected the nextCursor of an earlier page", field: "cursor")
                    }
                    query.after = cursor
                }
                let page = try c.services.runs.list(query, caller)
                var listing = Listing(key: "runs", items: page.runs)
                if let next = page.nextCursor { listing.extra["nextCursor"] = .string(next) }
                return try Reply.json(listing)
            },
            Route(method: "GET", pattern: "/api/flow-runs/{id}", summary: "A flow run by id, id prefix or name", tag: "runs", permission: .read, response: "FlowRun") { request, caller in
                try Reply.json(try c.services.runs.run(request.path("id"), caller))
            },
            Route(method: "GET", pattern: "/api/flow-runs/{id}/states", summary: "A flow run's state history, oldest first", tag: "runs", permission: .read, response: "StateList") { request, caller in
                let states = try c.services.runs.states(request.path("id"), caller)
                return try Reply.json(Listing(key: "states", items: states.map(StateView.init)))
            },
            Route(method: "GET", pattern: "/api/flow-runs/{id}/task-runs", summary: "A flow run's task runs with their state histories (with their inputs and results when values=true)", tag: "runs", permission: .read, query: ["limit", "values"], response: "TaskRunList") { request, caller in
                let id = request.path("id")
                let limit = try request.queryInt("limit", default: RunService.taskRunDefault, in: RunService.taskRunLimit)
                let views = try c.services.runs.taskRuns(id, limit: limit, values: request.queryString("values") == "true", caller)
                return try Reply.json(Listing(key: "taskRuns", items: views))
            },
            Route(method: "GET", pattern: "/api/flow-runs/{id}/graph", summary: "A flow run's task-run graph: nodes and the engine's recorded edges", tag: "runs", permission: .read, query: ["limit"], response: "Graph") { request, caller in
                let id = request.path("id")
                let graph = try c.services.runs.graph(id, limit: try request.queryInt("limit", default: RunService.graphDefault, in: RunService.graphLimit), caller)
                return try Reply.json(RunGraph(nodes: graph.nodes, edges: graph.edges, truncated: graph.truncated))
            },
            Route(method: "GET", pattern: "/api/flow-runs/{id}/logs", summary: "A flow run's log lines after an id, at or above a level", tag: "runs", permission: .read, query: ["after", "limit", "level"], response: "LogList") { request, caller in
                let id = request.path("id")
                let after = try request.queryInt("after", default: 0, in: RunService.logAfter)
                let limit = try request.queryInt("limit", default: RunService.logDefault, in: RunService.logLimit)
                let page = try c.services.runs.logs(id, after: Int64(after), limit: limit, level: try logLevel(request), caller)
                var listing = Listing(key: "logs", items: page.lines.map(LogView.init))
                listing.extra["nextAfter"] = .int(page.nextAfter)
                return try Reply.json(listing)
            },
            Route(method: "GET", pattern: "/api/flow-runs/{id}/artifacts", summary: "A flow run's artifacts", tag: "runs", permission: .read, response: "ArtifactList") { request, caller in
                try Reply.json(Listing(key: "artifacts", items: try c.services.runs.artifacts(request.path("id"), caller).map(ArtifactView.init)))
            },
            Route(method: "GET", pattern: "/api/flow-runs/{id}/subflows", summary: "The subflow runs a flow run called", tag: "runs", permission: .read, response: "FlowRunList") { request, caller in
                try Reply.json(Listing(key: "runs", items: try c.services.runs.subflows(request.path("id"), caller)))
            },
            Route(method: "POST", pattern: "/api/flow-runs/{id}/cancel", summary: "Cancel a run: cancelling, then cancelled once its runner stopped", tag: "runs", permission: .run, status: 202, response: "FlowRun") { request, caller in
                try request.jsonObject().only([])
                return try Reply.json(RunView(try c.services.runs.cancel(request.path("id"), caller)), status: .accepted)
            },
            Route(method: "POST", pattern: "/api/flow-runs/{id}/rerun", summary: "Run again with the same parameters, on its version or another", tag: "runs", permission: .run, body: "Rerun", status: 201, response: "FlowRun") { request, caller in
                let id = request.path("id")
                let body = try request.jsonObject()
                try body.only(["version"])
                // No version: the original's own; null or "latest": the latest.
                let version: VersionChoice? = body.object["version"] == nil ? nil : try body.version().map { .number($0) } ?? .latest
                let started = try c.services.runs.rerun(id, version, .queue(pool: nil), caller)
                return try Reply.json(started.run, status: .created)
            },
            Route(method: "POST", pattern: "/api/flow-runs/{id}/resume", summary: "Run a failed, crashed or cancelled run again as its next attempt, reusing completed task results", tag: "runs", permission: .run, status: 202, response: "FlowRun") { request, caller in
                try request.jsonObject().only([])
                let started = try c.services.runs.resume(request.path("id"), .queue(pool: nil), caller)
                return try Reply.json(started.run, status: .accepted)
            },
            Route(method: "GET", pattern: "/api/task-runs/{id}", summary: "A task run with its input, result and history", tag: "runs", permission: .read, response: "TaskRun") { request, caller in
                try Reply.json(try c.services.runs.taskRun(request.path("id"), caller))
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
