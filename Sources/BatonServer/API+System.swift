import BatonCore
import BatonHTTP
import BatonServices
import BatonStore
import Foundation

/// Health, the dashboard, live events, workers, concurrency limits and artifacts.
extension API {
    static func systemRoutes(_ c: APIContext) -> [Route] {
        [
            // Open to anyone, so it says only that the server is up: not where its store is.
            Route(method: "GET", pattern: "/api/health", summary: "Whether the server is up", tag: "system", permission: nil, response: "Health") { _, _ in
                Reply.json(["status": .string("ok")])
            },
            Route(method: "GET", pattern: "/api/events", summary: "Live events (server-sent): flow_run, task_runs, log, version, deployment, worker, limits, automations", tag: "system", permission: .read, query: ["flowRun"], response: "EventStream") { request, caller in
                c.events.stream(project: caller.project, flowRun: request.queryString("flowRun"))
            },
            Route(method: "GET", pattern: "/api/dashboard", summary: "Runs by state over the last day (by when they ran), recent failures, late runs, the next upcoming runs and workers", tag: "system", permission: .read, response: "Dashboard") { request, caller in
                try Reply.json(try c.services.system.dashboard(now: Date(), caller))
            },
            Route(method: "GET", pattern: "/api/workers", summary: "Workers and their last heartbeat", tag: "system", permission: .read, query: ["all"], response: "WorkerList") { request, caller in
                let workers = try c.services.workers.list(includeStopped: request.queryString("all") == "true", caller)
                return try Reply.json(Listing(key: "workers", items: workers))
            },
            Route(method: "GET", pattern: "/api/limits", summary: "Global concurrency limits by tag, with the slots in use", tag: "system", permission: .read, response: "LimitList") { request, caller in
                try Reply.json(Listing(key: "limits", items: try c.services.system.limits(caller)))
            },
            Route(method: "PUT", pattern: "/api/limits/{tag}", summary: "Set a tag's limit", tag: "system", permission: .develop, body: "Limit", response: "Limit") { request, caller in
                let body = try request.jsonObject()
                try body.only(["slots"])
                guard let slots = try body.optionalInt("slots", minimum: Int64(SystemService.slots.lowerBound)) else {
                    throw APIError.badRequest("field 'slots' is missing: expected how many task runs with the tag may run at once", field: "slots")
                }
                let tag = request.path("tag")
                try c.services.system.setLimit(tag: tag, slots: slots, caller)
                return Reply.json(["tag": .string(tag), "slots": .int(Int64(slots))])
            },
            Route(method: "DELETE", pattern: "/api/limits/{tag}", summary: "Remove a tag's limit", tag: "system", permission: .develop, status: 204) { request, caller in
                guard try c.services.system.removeLimit(tag: request.path("tag"), caller) else {
                    throw APIError.notFound("no concurrency limit for tag '\(request.path("tag"))'")
                }
                return Reply.noContent
            },
            Route(method: "DELETE", pattern: "/api/cache", summary: "Forget cached task results, of one task or all", tag: "system", permission: .develop, query: ["task"], response: "CacheCleared") { request, caller in
                let cleared = try c.services.system.clearCache(task: request.queryString("task"), caller)
                return Reply.json(["cleared": .int(Int64(cleared))])
            },
            Route(method: "GET", pattern: "/api/artifacts", summary: "Artifacts, newest first, optionally of one key", tag: "system", permission: .read, query: ["key", "limit"], response: "ArtifactList") { request, caller in
                let limit = try request.queryInt("limit", default: SystemService.artifactDefault, in: SystemService.artifactLimit)
                let artifacts = try c.services.system.artifacts(flowRunID: nil, key: request.queryString("key"), limit: limit, caller)
                return try Reply.json(Listing(key: "artifacts", items: artifacts.map(ArtifactView.init)))
            },
        ]
    }
}
