import BatonCore
import BatonHTTP
import BatonRunner
import BatonServices
import BatonStore
import Foundation

/// Workers on other hosts (`baton worker start --api URL`): they announce themselves, heartbeat,
/// claim runs of their pool in their key's project, fetch each version's library by hash, and ask
/// what a run's supervisor asks of the store, for the runs they claimed only.
extension API {
    static func workerRoutes(_ c: APIContext) -> [Route] {
        let runs = c.services.remoteRuns
        let run = "/api/workers/{id}/runs/{run}"
        return [
            Route(method: "POST", pattern: "/api/workers", summary: "Announce a worker on another host", tag: "workers", permission: .run, body: "NewWorker", status: 201, response: "Worker") { request, caller in
                let body = try request.jsonObject()
                try body.only(["name", "pool", "limit", "heartbeat", "host", "pid", "processStart"])
                let name = try body.string("name")
                try DeploymentNames.validate(name, what: "worker name")
                let process = ProcessIdentity(pid: Int32(try body.optionalInt("pid") ?? 1), start: try body.string("processStart"), host: try body.string("host"))
                let worker = try c.services.workers.register(
                    id: RunID.random(), name: name, pool: try body.optionalString("pool") ?? DeploymentNames.defaultPool,
                    limit: try body.optionalInt("limit") ?? 10, process: process, heartbeat: Double(try body.optionalInt("heartbeat") ?? 10), caller)
                return try Reply.json(WorkerView(worker), status: .created)
            },
            Route(method: "POST", pattern: "/api/workers/{id}/heartbeat", summary: "Say a worker lives", tag: "workers", permission: .run, response: "Heartbeat", audited: false) { request, caller in
                _ = try worker(request, c, caller)
                let revived = try c.services.workers.heartbeat(request.path("id"), now: Date(), caller)
                return Reply.json(["reannounced": .bool(revived)])
            },
            Route(method: "POST", pattern: "/api/workers/{id}/stop", summary: "Say a worker stopped", tag: "workers", permission: .run, status: 204) { request, caller in
                _ = try worker(request, c, caller)
                try c.services.workers.stop(request.path("id"), caller)
                return Reply.noContent
            },
            Route(method: "POST", pattern: "/api/workers/{id}/claim", summary: "Claim the earliest due run of the worker's pool in the key's project, or learn when the next is due", tag: "workers", permission: .run, body: "Claim", response: "ClaimAnswer", audited: false) { request, caller in
                let body = try request.jsonObject()
                try body.only(["lead"])
                return try Reply.json(try runs.claim(workerID: request.path("id"), lead: Double(try body.optionalInt("lead", minimum: 0) ?? 1), caller))
            },
            Route(method: "GET", pattern: "/api/libraries/{sha256}", summary: "The bytes of a registered library, by its SHA-256", tag: "workers", permission: .run, response: "Library") { request, caller in
                let path = try runs.libraryFile(hash: request.path("sha256"), caller)
                guard let bytes = FileManager.default.contents(atPath: path) else {
                    throw BatonError(.io, "the library \(request.path("sha256")) could not be read from the server's library store")
                }
                return .bytes(Array(bytes), contentType: "application/octet-stream")
            },
            Route(method: "GET", pattern: run, summary: "A run the worker claimed, as recorded", tag: "workers", permission: .run, response: "WorkerRun") { request, caller in
                try Reply.json(try runs.run(workerID: request.path("id"), flowRunID: request.path("run"), caller))
            },
            Route(method: "POST", pattern: run + "/supervisor", summary: "Record the process that supervises the run", tag: "workers", permission: .run, body: "Supervisor", status: 204, audited: false) { request, caller in
                let body = try request.jsonObject()
                try body.only(["pid", "processStart", "host"])
                let process = ProcessIdentity(pid: Int32(try body.optionalInt("pid") ?? 1), start: try body.string("processStart"), host: try body.string("host"))
                try runs.setSupervisor(workerID: request.path("id"), flowRunID: request.path("run"), process: process, caller)
                return Reply.noContent
            },
            Route(method: "POST", pattern: run + "/events", summary: "Record a numbered batch of the run's events, once", tag: "workers", permission: .run, query: ["attempt", "batch"], body: "bytes", response: "BatchOutcome", audited: false) { request, caller in
                let type = request.headers["Content-Type"]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                guard type == "application/octet-stream" else {
                    throw APIError(.unsupportedMediaType, "unsupported_media_type", "Content-Type '\(type ?? "none")' is not accepted here: expected application/octet-stream")
                }
                let events = try RunEventBatch.decode(Array(request.body))
                let outcome = try runs.apply(
                    workerID: request.path("id"), flowRunID: request.path("run"), attempt: try request.queryInt("attempt", default: 1, in: 1...Int(Int32.max)),
                    number: try request.queryInt("batch", default: 1, in: 1...Int.max), events: events, caller)
                switch outcome {
                case .applied: return Reply.json(["outcome": .string("applied")])
                case .duplicate: return Reply.json(["outcome": .string("duplicate")])
                case .gap(let expected): throw BatonError(.conflict, "batch \(try request.queryInt("batch", default: 1, in: 1...Int.max)) came before batch \(expected): send \(expected) first")
                case .refused(let reason): throw BatonError(.conflict, reason)
                }
            },
            Route(method: "POST", pattern: run + "/cache", summary: "Look up a cached task result for the run", tag: "workers", permission: .run, body: "CacheLookup", response: "CacheAnswer", audited: false) { request, caller in
                let body = try request.jsonObject()
                try body.only(["key"])
                let hit = try runs.cachedResult(workerID: request.path("id"), flowRunID: request.path("run"), key: try body.string("key"), caller)
                return try Reply.json(CacheAnswer(hit: hit))
            },
            Route(method: "POST", pattern: run + "/values", summary: "Read a secret or variable of the run's project for its flow", tag: "workers", permission: .run, body: "ValueRead", response: "ValueAnswer", audited: false) { request, caller in
                let body = try request.jsonObject()
                try body.only(["kind", "name"])
                guard let kind = NamedValueKind(rawValue: try body.string("kind")) else {
                    throw APIError.badRequest("field 'kind' is not valid: expected secret or variable", field: "kind")
                }
                let value = try runs.readValue(kind, name: try body.string("name"), workerID: request.path("id"), flowRunID: request.path("run"), caller)
                return Reply.json(["value": .string(value)])
            },
            Route(method: "POST", pattern: run + "/slots", summary: "Take concurrency slots for a task run of the run", tag: "workers", permission: .run, body: "SlotRequest", response: "Slots", audited: false) { request, caller in
                let body = try request.jsonObject()
                try body.only(["tags", "taskRun", "flowRun"])
                let granted = try runs.acquireSlots(
                    workerID: request.path("id"), flowRunID: request.path("run"), tags: try body.strings("tags"), taskRunID: try body.string("taskRun"),
                    taskFlowRunID: try body.optionalString("flowRun") ?? request.path("run"), caller)
                return Reply.json(["granted": .bool(granted)])
            },
            Route(method: "POST", pattern: run + "/slots/release", summary: "Give back the slots of a task run, or of a flow run of the run", tag: "workers", permission: .run, body: "SlotRelease", response: "Released", audited: false) { request, caller in
                let body = try request.jsonObject()
                try body.only(["taskRun", "flowRun"])
                let released = try runs.releaseSlots(
                    workerID: request.path("id"), flowRunID: request.path("run"), taskRunID: try body.optionalString("taskRun"),
                    of: try body.optionalString("flowRun"), caller)
                return Reply.json(["released": .bool(released)])
            },
            Route(method: "POST", pattern: run + "/end", summary: "End a run its runner could not finish: crashed or cancelled", tag: "workers", permission: .run, body: "RunEnd", status: 204, audited: false) { request, caller in
                let body = try request.jsonObject()
                try body.only(["state", "message"])
                let type: StateType = try body.string("state") == "cancelled" ? .cancelled : .crashed
                try runs.end(workerID: request.path("id"), flowRunID: request.path("run"), state: RunState(type, message: try body.optionalString("message")), caller)
                return Reply.noContent
            },
            Route(method: "POST", pattern: run + "/done", summary: "Say the worker is done with a run: one that crashed is scheduled again when its flow retries", tag: "workers", permission: .run, response: "RunDone", audited: false) { request, caller in
                try Reply.json(try runs.done(workerID: request.path("id"), flowRunID: request.path("run"), caller))
            },
        ]
    }

    /// The worker a route names, which must exist.
    private static func worker(_ request: HTTPRequest, _ c: APIContext, _ caller: Caller) throws -> WorkerRecord {
        guard let worker = try c.services.workers.record(request.path("id"), caller) else {
            throw BatonError(.notFound, "no worker '\(request.path("id"))'")
        }
        return worker
    }
}

/// A cache look-up's answer: the hit, or null.
struct CacheAnswer: Encodable {
    var hit: CacheHit?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(hit, forKey: .hit)
    }

    enum CodingKeys: String, CodingKey { case hit }
}
