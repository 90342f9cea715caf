import BatonCore
import BatonSchedule
import BatonHTTP
import BatonServices
import BatonStore
import Foundation

/// Deployments: everything `baton deployment` does.
extension API {
    static func deploymentRoutes(_ c: APIContext) -> [Route] {
        [
            Route(method: "GET", pattern: "/api/deployments", summary: "Deployments with their schedules and next runs", tag: "deployments", permission: .read, query: ["flow"], response: "DeploymentList") { request, caller in
                let views = try c.services.deployments.list(flow: request.queryString("flow"), caller)
                return try Reply.json(Listing(key: "deployments", items: views))
            },
            Route(method: "POST", pattern: "/api/deployments", summary: "Deploy a flow: a version, parameters and a schedule", tag: "deployments", permission: .develop, body: "NewDeployment", status: 201, response: "Deployment") { request, caller in
                let body = try request.jsonObject()
                try body.only(["flow", "name", "version", "parameters", "cron", "interval", "rrule", "anchor", "timezone", "pool", "catchup", "maxActive", "workingDirectory"])
                let flow = try body.string("flow")
                let version = try body.version()
                let interval: String? = switch body.object["interval"] {
                case .int(let seconds)?: String(seconds)
                case nil, .null?: nil
                case let other?: other.stringValue ?? other.jsonText
                }
                let schedule = try ScheduleSpec.from(
                    cron: try body.optionalString("cron"), interval: interval, rrule: try body.optionalString("rrule"),
                    anchor: try body.optionalString("anchor"), timeZone: try body.optionalString("timezone"), required: false, naming: { "'\($0)'" })
                let deployment = try c.services.deployments.create(NewDeployment(
                    name: try body.string("name"), flow: flow, version: version, parameters: try body.objectField("parameters"),
                    schedule: schedule, pool: try body.optionalString("pool") ?? DeploymentNames.defaultPool,
                    catchup: try body.optionalBool("catchup") ?? false, maxActive: try body.optionalInt("maxActive"),
                    workingDirectory: try body.optionalString("workingDirectory")), caller)
                return try Reply.json(deployment, status: .created)
            },
            Route(method: "GET", pattern: "/api/deployments/{name}", summary: "A deployment with its next five fire times", tag: "deployments", permission: .read, response: "Deployment") { request, caller in
                try Reply.json(try c.services.deployments.get(request.path("name"), caller))
            },
            Route(method: "DELETE", pattern: "/api/deployments/{name}", summary: "Delete a deployment and its runs not yet started", tag: "deployments", permission: .develop, status: 204) { request, caller in
                try c.services.deployments.delete(request.path("name"), caller)
                return Reply.noContent
            },
            Route(method: "POST", pattern: "/api/deployments/{name}/pause", summary: "Pause: its runs not yet started are removed and no new ones made", tag: "deployments", permission: .run, response: "Deployment") { request, caller in
                try request.jsonObject().only([])
                return try Reply.json(try c.services.deployments.setPaused(request.path("name"), true, caller))
            },
            Route(method: "POST", pattern: "/api/deployments/{name}/resume", summary: "Resume (missed slots are replayed only with catchup)", tag: "deployments", permission: .run, response: "Deployment") { request, caller in
                try request.jsonObject().only([])
                return try Reply.json(try c.services.deployments.setPaused(request.path("name"), false, caller))
            },
            Route(method: "POST", pattern: "/api/deployments/{name}/run", summary: "A run of the deployment now, with optional parameter overrides", tag: "deployments", permission: .run, body: "DeploymentRun", status: 201, response: "FlowRun") { request, caller in
                let body = try request.jsonObject()
                try body.only(["parameters"])
                let run = try c.services.deployments.runNow(request.path("name"), overrides: try body.objectField("parameters"), caller)
                return try Reply.json(run, status: .created)
            },
            Route(method: "POST", pattern: "/api/deployments/{name}/backfill", summary: "Runs for every slot in a range that has none (idempotent)", tag: "deployments", permission: .run, body: "Backfill", status: 201, response: "Backfilled") { request, caller in
                let body = try request.jsonObject()
                try body.only(["from", "to"])
                func time(_ field: String) throws -> Date {
                    let text = try body.string(field)
                    guard let date = Timestamps.parse(text) else {
                        throw APIError.badRequest("field '\(field)' is '\(text)': expected an ISO 8601 time with an offset, such as 2026-11-01T00:00:00Z", field: field)
                    }
                    return date
                }
                let range = try BackfillRange(from: try time("from"), through: try time("to"))
                let result = try c.services.deployments.backfill(request.path("name"), range, caller)
                return Reply.json(["created": .array(result.created.map(JSONValue.string)), "existing": .int(Int64(result.existing))], status: .created)
            },
        ]
    }
}
