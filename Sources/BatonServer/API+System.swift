import BatonCore
import BatonHTTP
import BatonStore
import Foundation

/// Health, the dashboard, live events, workers, concurrency limits and artifacts.
extension API {
    static func systemRoutes(_ c: APIContext) -> [Route] {
        [
            Route(method: "GET", pattern: "/api/health", summary: "Whether the server is up, and its store", tag: "system", response: "Health") { _ in
                Reply.json([
                    "status": .string("ok"), "store": .string("sqlite"), "database": .string(c.store.path),
                    "startedAt": .string(Timestamps.iso(c.startedAt)),
                ])
            },
            Route(method: "GET", pattern: "/api/events", summary: "Live events (server-sent): flow_run, task_runs, log, version, deployment, worker", tag: "system", query: ["flowRun"], response: "EventStream") { request in
                c.events.stream(flowRun: request.queryString("flowRun"))
            },
            Route(method: "GET", pattern: "/api/dashboard", summary: "Runs by state over the last day (by when they ran), recent failures, late runs, the next upcoming runs and workers", tag: "system", response: "Dashboard") { _ in
                let now = Date()
                let since = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 3600).rounded(.down) * 3600 - 23 * 3600)
                let counts = try c.store.dashboardCounts(since: since, hours: 24, now: now)
                let upcoming = try c.store.upcomingRuns(limit: 10, now: now)
                return try Reply.json(Dashboard(
                    since: since, countsByState: counts.byState,
                    hourly: counts.hourly.enumerated().map { Dashboard.Hour(hour: since.addingTimeInterval(Double($0.offset) * 3600), counts: $0.element) },
                    recentFailures: try c.store.recentFailures(limit: 10).map(RunView.init),
                    lateRuns: try c.store.lateRuns(limit: 20, now: now).map(RunView.init),
                    upcomingRuns: upcoming.runs.map(RunView.init), upcomingCount: upcoming.count,
                    workers: try c.store.workers(includeStopped: false).map { WorkerView($0) }))
            },
            Route(method: "GET", pattern: "/api/workers", summary: "Workers and their last heartbeat", tag: "system", query: ["all"], response: "WorkerList") { request in
                let workers = try c.store.workers(includeStopped: request.queryString("all") == "true")
                return try Reply.json(Listing(key: "workers", items: workers.map { WorkerView($0) }))
            },
            Route(method: "GET", pattern: "/api/limits", summary: "Global concurrency limits by tag, with the slots in use", tag: "system", response: "LimitList") { _ in
                try Reply.json(Listing(key: "limits", items: try c.store.limits()))
            },
            Route(method: "PUT", pattern: "/api/limits/{tag}", summary: "Set a tag's limit", tag: "system", body: "Limit", response: "Limit") { request in
                let body = try request.jsonObject()
                try body.only(["slots"])
                guard let slots = try body.optionalInt("slots", minimum: 0) else {
                    throw APIError.badRequest("field 'slots' is missing: expected how many task runs with the tag may run at once", field: "slots")
                }
                let tag = request.path("tag")
                try c.store.setLimit(tag: tag, slots: slots)
                return Reply.json(["tag": .string(tag), "slots": .int(Int64(slots))])
            },
            Route(method: "DELETE", pattern: "/api/limits/{tag}", summary: "Remove a tag's limit", tag: "system", status: 204) { request in
                guard try c.store.removeLimit(tag: request.path("tag")) else {
                    throw APIError.notFound("no concurrency limit for tag '\(request.path("tag"))'")
                }
                return Reply.noContent
            },
            Route(method: "DELETE", pattern: "/api/cache", summary: "Forget cached task results, of one task or all", tag: "system", query: ["task"], response: "CacheCleared") { request in
                let cleared = try c.store.clearCache(task: request.queryString("task"))
                return Reply.json(["cleared": .int(Int64(cleared))])
            },
            Route(method: "GET", pattern: "/api/artifacts", summary: "Artifacts, newest first, optionally of one key", tag: "system", query: ["key", "limit"], response: "ArtifactList") { request in
                let artifacts = try c.store.artifacts(flowRunID: nil, key: request.queryString("key"), limit: try request.queryInt("limit", default: 100, in: 1...1000))
                return try Reply.json(Listing(key: "artifacts", items: artifacts.map(ArtifactView.init)))
            },
        ]
    }
}

struct Dashboard: Encodable {
    struct Hour: Encodable {
        var hour: Date
        var counts: [String: Int]
    }

    var since: Date
    var countsByState: [String: Int]
    var hourly: [Hour]
    var recentFailures: [RunView]
    var lateRuns: [RunView]
    /// The soonest runs scheduled ahead, and how many there are.
    var upcomingRuns: [RunView]
    var upcomingCount: Int
    var workers: [WorkerView]
}
