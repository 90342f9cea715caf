import BatonCore
import BatonSchedule
import BatonServices
import Foundation

/// The contract of every route, keyed `"METHOD pattern"` as the router knows it. Bounds are the
/// application layer's own (`RunService.listLimit`, `NewDeployment.maxActiveRange`, …): the server
/// refuses what falls outside them before a handler runs, and the OpenAPI document shows them.
enum Contracts {
    static func contract(_ method: String, _ pattern: String) -> Contract? { all[method + " " + pattern] }

    /// A route's contract: as declared, and on every route that needs credentials the project it
    /// works in (a project that does not exist is not found).
    static func contract(for route: Route) -> Contract? {
        guard var contract = contract(route.method, route.pattern) else { return nil }
        if route.permission != nil {
            if !contract.inputs.contains(where: { $0.name == project.name }) { contract.inputs.append(project) }
            contract.errors.insert(.notFound)
        }
        return contract
    }

    /// The project a request works in.
    static let project = Input.query(
        "project", .name(what: "project name"), default: .string(ProjectNames.default),
        "The project to work in (an API key's own project when it names none); another project's flows, runs and deployments are not found")

    private static let flow = Input.path("flow")
    private static let run = Input.path("id")
    private static let deployment = Input.path("name")
    private static let runErrors: Set<BatonError.Code> = [.notFound]
    private static let worker = Input.path("id")
    private static let workerRun = Input.path("run")
    /// A run of another project is not found; one that is not the worker's (or is over) is a conflict.
    private static let workerRunErrors: Set<BatonError.Code> = [.notFound, .conflict]
    /// A POST that takes no fields: no body, or an empty object.
    private static func noFields(_ schema: String) -> Body { .json(schema: schema, fields: []) }

    static let all: [String: Contract] = [
        // System
        "GET /api/health": Contract(),
        "GET /metrics": Contract(),
        "GET /api/openapi.json": Contract(),
        "GET /api/events": Contract(inputs: [.query("flowRun", .string(minLength: 0), "Only the events of this flow run")]),
        "GET /api/dashboard": Contract(),
        "GET /api/workers": Contract(inputs: [.query("all", .boolean, default: .bool(false), "Stopped workers too")]),

        // Workers on other hosts
        "POST /api/workers": Contract(
            body: .json(schema: "NewWorker", fields: [
                .required("name", .name(what: "worker name")), .optional("pool", .name(what: "pool name")),
                .optional("limit", .integer(1...10_000), "How many runs it executes at once"),
                .optional("heartbeat", .integer(1...3600), "Seconds between its heartbeats; silent for three, it is taken for gone"),
                .required("host", .string(minLength: 1)), .optional("pid", .integer(1...Int(Int32.max))),
                .required("processStart", .string(minLength: 1)),
            ])),
        "POST /api/workers/{id}/heartbeat": Contract(inputs: [worker], body: noFields("NoFields"), errors: [.notFound]),
        "POST /api/workers/{id}/stop": Contract(inputs: [worker], body: noFields("NoFields"), errors: [.notFound]),
        "POST /api/workers/{id}/claim": Contract(
            inputs: [worker],
            body: .json(schema: "Claim", fields: [.optional("lead", .integer(0...3600), "Claim runs due within this many seconds (default 1)")]),
            errors: [.notFound, .conflict]),
        "GET /api/libraries/{sha256}": Contract(inputs: [.path("sha256")], errors: [.notFound]),
        "GET /api/workers/{id}/runs/{run}": Contract(inputs: [worker, workerRun], errors: workerRunErrors),
        "POST /api/workers/{id}/runs/{run}/supervisor": Contract(
            inputs: [worker, workerRun],
            body: .json(schema: "Supervisor", fields: [
                .required("host", .string(minLength: 1)), .optional("pid", .integer(1...Int(Int32.max))), .required("processStart", .string(minLength: 1)),
            ]),
            errors: workerRunErrors),
        "POST /api/workers/{id}/runs/{run}/events": Contract(
            inputs: [
                worker, workerRun,
                .query("attempt", .integer(1...Int(Int32.max)), default: .int(1), "The run's attempt the events are of"),
                .query("batch", .integer(1...Int.max), default: .int(1), "The batch's number: 1, 2, 3, … per attempt; a batch sent again is applied once"),
            ],
            body: .bytes, responses: [409: "A batch before it is missing, or the run is no longer the worker's, or over"],
            errors: workerRunErrors.union([.invalidInput])),
        "POST /api/workers/{id}/runs/{run}/cache": Contract(
            inputs: [worker, workerRun], body: .json(schema: "CacheLookup", fields: [.required("key", .string(minLength: 1))]), errors: workerRunErrors),
        "POST /api/workers/{id}/runs/{run}/values": Contract(
            inputs: [worker, workerRun],
            body: .json(schema: "ValueRead", fields: [
                .required("kind", .enumeration(["secret", "variable"])), .required("name", .name(what: "name")),
            ]),
            errors: workerRunErrors),
        "GET /api/channels": Contract(),
        "POST /api/channels": Contract(
            body: .json(schema: "NewChannel", fields: [
                .required("name", .name(what: "channel name")), .required("kind", .enumeration(["webhook", "email"])),
                .optional("url", .string(minLength: 1), "webhook: the URL, in clear"),
                .optional("urlSecret", .name(what: "secret name"), "webhook: else the secret holding the URL"),
                .optional("format", .enumeration(["json", "slack"]), "webhook: the body (default json)"),
                .optional("to", .strings, "email: the recipients"), .optional("from", .string(minLength: 3), "email: the sender"),
                .optional("smtpHost", .string(minLength: 1)), .optional("smtpPort", .integer(1...65535)), .optional("startTLS", .boolean),
                .optional("smtpUser", .string(minLength: 1)), .optional("smtpPasswordSecret", .name(what: "secret name"), "The secret holding the SMTP password"),
            ]),
            errors: [.invalidInput, .conflict]),
        "GET /api/channels/{name}": Contract(inputs: [.path("name")], errors: [.notFound]),
        "DELETE /api/channels/{name}": Contract(inputs: [.path("name")], errors: [.notFound, .conflict]),
        "POST /api/channels/{name}/test": Contract(inputs: [.path("name")], body: noFields("NoFields"), errors: [.notFound]),
        "GET /api/automations": Contract(),
        "POST /api/automations": Contract(
            body: .json(schema: "NewAutomation", fields: [
                .required("name", .name(what: "automation name")), .required("trigger", .object), .required("actions", .objects),
                .optional("cooldown", .integer(0...(30 * 86400)), "Seconds after a firing during which it fires again only as suppressed"),
            ]),
            errors: [.invalidInput, .conflict, .notFound]),
        "GET /api/automations/{name}": Contract(inputs: [.path("name")], errors: [.notFound]),
        "DELETE /api/automations/{name}": Contract(inputs: [.path("name")], errors: [.notFound]),
        "POST /api/automations/{name}/pause": Contract(inputs: [.path("name")], body: noFields("NoFields"), errors: [.notFound]),
        "POST /api/automations/{name}/resume": Contract(inputs: [.path("name")], body: noFields("NoFields"), errors: [.notFound]),
        "GET /api/automations/{name}/history": Contract(
            inputs: [
                .path("name"),
                .query("limit", .integer(AutomationService.historyLimit), default: .int(Int64(AutomationService.historyDefault)), "At most this many firings"),
            ],
            errors: [.notFound]),
        "GET /api/webhooks": Contract(),
        "POST /api/webhooks": Contract(
            body: .json(schema: "NewWebhook", fields: [
                .required("name", .name(what: "webhook name")), .required("deployment", .name(what: "deployment name")),
                .optional("mapping", .object, "Parameter names mapped to paths into the payload, such as {\"ref\": \"$.ref\"}"),
            ]),
            errors: [.invalidInput, .conflict, .notFound]),
        "DELETE /api/webhooks/{name}": Contract(inputs: [.path("name")], errors: [.notFound]),
        "POST /api/webhooks/{name}": Contract(
            inputs: [.path("name")], body: .bytes,
            responses: [401: "Not the webhook's token or signature (or no such webhook)", 422: "The payload lacks a mapped parameter, or a parameter is not what the flow takes"],
            errors: [.unauthorized, .invalidInput, .invalidParameter, .notFound]),
        "GET /api/secrets": Contract(),
        "PUT /api/secrets/{name}": Contract(
            inputs: [.path("name")],
            body: .json(schema: "SecretValue", fields: [.required("value", .string(minLength: 1))]),
            errors: [.invalidInput]),
        "DELETE /api/secrets/{name}": Contract(inputs: [.path("name")], errors: [.notFound]),
        "GET /api/variables": Contract(),
        "GET /api/variables/{name}": Contract(inputs: [.path("name")], errors: [.notFound]),
        "PUT /api/variables/{name}": Contract(
            inputs: [.path("name")], body: .json(schema: "VariableValue", fields: [.required("value", .string(minLength: 1))]), errors: [.invalidInput]),
        "DELETE /api/variables/{name}": Contract(inputs: [.path("name")], errors: [.notFound]),
        "POST /api/workers/{id}/runs/{run}/slots": Contract(
            inputs: [worker, workerRun],
            body: .json(schema: "SlotRequest", fields: [
                .required("tags", .strings), .required("taskRun", .string(minLength: 1)),
                .optional("flowRun", .string(minLength: 1), "The flow run of the task run: the run or one of its subflows (default the run)"),
            ]),
            errors: workerRunErrors),
        "POST /api/workers/{id}/runs/{run}/slots/release": Contract(
            inputs: [worker, workerRun],
            body: .json(schema: "SlotRelease", fields: [
                .optional("taskRun", .string(minLength: 1), "The task run whose slots to give back"),
                .optional("flowRun", .string(minLength: 1), "Else the flow run (the run or one of its subflows) whose slots to give back"),
            ]),
            errors: workerRunErrors),
        "POST /api/workers/{id}/runs/{run}/end": Contract(
            inputs: [worker, workerRun],
            body: .json(schema: "RunEnd", fields: [.required("state", .enumeration(["crashed", "cancelled"])), .optional("message", .string(minLength: 0))]),
            errors: workerRunErrors),
        "POST /api/workers/{id}/runs/{run}/done": Contract(inputs: [worker, workerRun], body: noFields("NoFields"), errors: workerRunErrors),
        "GET /api/limits": Contract(),
        "PUT /api/limits/{tag}": Contract(
            inputs: [.path("tag")], body: .json(schema: "LimitSettings", fields: [.required("slots", .integer(SystemService.slots))])),
        "DELETE /api/limits/{tag}": Contract(inputs: [.path("tag")], errors: [.notFound]),
        "DELETE /api/cache": Contract(inputs: [.query("task", .string(minLength: 0), "Only this task's results")]),
        "GET /api/artifacts": Contract(inputs: [
            .query("key", .string(minLength: 0), "Only artifacts with this key"),
            .query("limit", .integer(SystemService.artifactLimit), default: .int(Int64(SystemService.artifactDefault))),
        ]),

        // Flows
        "GET /api/flows": Contract(),
        "GET /api/flows/{flow}": Contract(inputs: [flow], errors: [.notFound]),
        "GET /api/flows/{flow}/versions": Contract(inputs: [flow], errors: [.notFound]),
        "GET /api/flows/{flow}/versions/{version}": Contract(inputs: [flow, .path("version", .version)], errors: [.notFound]),
        "GET /api/flows/{flow}/versions/{version}/diff/{other}": Contract(
            inputs: [flow, .path("version", .version), .path("other", .version)], errors: [.notFound]),
        "POST /api/libraries": Contract(
            inputs: [
                .query("label", .string(minLength: 0), "A label for the versions it registers"),
                .query("fileName", .string(minLength: 0), "The library's file name, ending in .so"),
                .query("source", .string(minLength: 0), "Where the library came from, for the record"),
            ],
            body: .upload, responses: [415: "The body is not application/octet-stream"],
            errors: [.notALibrary, .noEntryPoint, .incompatibleLibrary, .registrationFailed, .buildFailed]),

        // Runs
        "POST /api/flow-runs": Contract(
            body: .json(schema: "NewFlowRun", fields: [
                .required("flow", .string(minLength: 1)), .optional("version", .version), .optional("parameters", .object),
                .optional("pool", .name(what: "pool name")),
            ]),
            errors: [.notFound, .invalidParameter]),
        "GET /api/flow-runs": Contract(inputs: [
            .query("flow", .string(minLength: 0), "Only runs of this flow"),
            .query("version", .integer(VersionChoice.numbers), "Only runs of this version"),
            .query("state", .enumeration(StateType.allCases.map(\.rawValue)), "Runs whose state type is this one"),
            .query("deployment", .string(minLength: 0), "Only runs of this deployment"),
            .query("since", .dateTime, "Runs listed at or after this time"),
            .query("until", .dateTime, "Runs listed before this time"),
            .query(
                "when", .enumeration(RunWhen.allCases.map(\.rawValue)), default: .string(RunWhen.past.rawValue),
                "past (the default): runs that started, ended or are due, newest first by start time (else scheduled, else created time); "
                    + "upcoming: runs scheduled for a later time that have not started, soonest first; all: both, newest first"),
            .query("limit", .integer(RunService.listLimit), default: .int(Int64(RunService.listDefault))),
            .query("cursor", .cursor, "The nextCursor of the page before"),
        ]),
        "GET /api/flow-runs/{id}": Contract(inputs: [run], errors: runErrors),
        "GET /api/flow-runs/{id}/states": Contract(inputs: [run], errors: runErrors),
        "GET /api/flow-runs/{id}/task-runs": Contract(
            inputs: [
                run, .query("limit", .integer(RunService.taskRunLimit), default: .int(Int64(RunService.taskRunDefault))),
                .query("values", .boolean, default: .bool(false), "With each task run's input and result"),
            ], errors: runErrors),
        "GET /api/flow-runs/{id}/graph": Contract(
            inputs: [run, .query("limit", .integer(RunService.graphLimit), default: .int(Int64(RunService.graphDefault)))], errors: runErrors),
        "GET /api/flow-runs/{id}/logs": Contract(
            inputs: [
                run, .query("after", .integer(RunService.logAfter), default: .int(0), "Lines after this id"),
                .query("limit", .integer(RunService.logLimit), default: .int(Int64(RunService.logDefault))),
                .query(
                    "level", .enumeration(LogLevel.allCases.map { $0.name.lowercased() }), default: .string(LogLevel.debug.name.lowercased()),
                    "Lines at or above this level"),
            ], errors: runErrors),
        "GET /api/flow-runs/{id}/artifacts": Contract(inputs: [run], errors: runErrors),
        "GET /api/flow-runs/{id}/subflows": Contract(inputs: [run], errors: runErrors),
        "POST /api/flow-runs/{id}/cancel": Contract(
            inputs: [run], body: noFields("NoFields"), responses: [400: "The run is over already, so there is nothing to cancel"], errors: runErrors),
        "POST /api/flow-runs/{id}/rerun": Contract(
            inputs: [run], body: .json(schema: "Rerun", fields: [.optional("version", .version, "The run's own version when left out")]),
            errors: [.notFound, .invalidParameter]),
        "POST /api/flow-runs/{id}/resume": Contract(
            inputs: [run], body: noFields("NoFields"),
            responses: [400: "The run is not failed, crashed or cancelled, so there is nothing to resume"], errors: runErrors),
        "GET /api/task-runs/{id}": Contract(inputs: [.path("id")], errors: [.notFound]),

        // Access
        "POST /api/login": Contract(
            body: .json(schema: "Login", fields: [.required("user", .string(minLength: 1)), .required("password", .string(minLength: 1))]),
            responses: [429: "Too many failed logins for the user or from the address: the message says when to try again"],
            errors: [.unauthorized, .throttled]),
        "POST /api/login/link": Contract(
            body: .json(schema: "LoginLink", fields: [.required("token", .string(minLength: 1))]),
            responses: [429: "Too many failed logins from the address: the message says when to try again"],
            errors: [.unauthorized, .throttled]),
        "POST /api/logout": Contract(body: noFields("NoFields")),
        "GET /api/session": Contract(errors: [.unauthorized]),
        "GET /api/audit": Contract(inputs: [
            .query("project", .string(minLength: 0), "Only rows of this project"),
            .query("actor", .string(minLength: 0), "Only rows of this actor: a user, `key NAME`, or an account"),
            .query("since", .dateTime, "Rows at or after this time"),
            .query("limit", .integer(AuditService.listLimit), default: .int(Int64(AuditService.listDefault))),
        ]),

        // Deployments
        "GET /api/deployments": Contract(inputs: [.query("flow", .string(minLength: 0), "Only deployments of this flow")]),
        "POST /api/deployments": Contract(
            body: .json(schema: "NewDeployment", fields: [
                .required("flow", .string(minLength: 1)), .required("name", .name(what: "deployment name")), .optional("version", .version),
                .optional("parameters", .object), .optional("cron", .string(minLength: 1)),
                .optional("interval", .integer(ScheduleSpec.intervalRange), "Seconds between runs"), .optional("rrule", .string(minLength: 1)),
                .optional("anchor", .string(minLength: 1)), .optional("timezone", .string(minLength: 1)), .optional("pool", .name(what: "pool name")),
                .optional("catchup", .boolean), .optional("maxActive", .integer(NewDeployment.maxActiveRange)),
                .optional("workingDirectory", .string(minLength: 0)),
            ]),
            errors: [.notFound, .conflict, .invalidParameter]),
        "GET /api/deployments/{name}": Contract(inputs: [deployment], errors: [.notFound]),
        "DELETE /api/deployments/{name}": Contract(inputs: [deployment], errors: [.notFound]),
        "POST /api/deployments/{name}/pause": Contract(inputs: [deployment], body: noFields("NoFields"), errors: [.notFound]),
        "POST /api/deployments/{name}/resume": Contract(inputs: [deployment], body: noFields("NoFields"), errors: [.notFound]),
        "POST /api/deployments/{name}/run": Contract(
            inputs: [deployment], body: .json(schema: "DeploymentRun", fields: [.optional("parameters", .object, "Overrides of the deployment's")]),
            errors: [.notFound, .invalidParameter]),
        "POST /api/deployments/{name}/backfill": Contract(
            inputs: [deployment], body: .json(schema: "Backfill", fields: [.required("from", .dateTime), .required("to", .dateTime)]),
            responses: [400: "The range is backwards, or the deployment has no schedule"], errors: [.notFound]),
    ]
}
