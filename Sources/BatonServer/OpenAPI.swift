import BatonCore
import Foundation

/// The OpenAPI 3.1 document of the API, made from the route table and each route's contract (the
/// declarations the server validates requests with) so that the document and the server cannot
/// drift apart: each route's path, method, typed parameters, body fields and every status it answers.
enum OpenAPI {
    static func document(_ routes: [Route]) -> [UInt8] {
        var paths: [String: [String: JSONValue]] = [:]
        var bodySchemas: [String: JSONValue] = [:]
        for route in routes {
            let contract = Contracts.contract(for: route) ?? Contract()
            var operation: [String: JSONValue] = [
                "summary": .string(route.summary),
                "tags": .array([.string(route.tag)]),
                "operationId": .string(operationID(route)),
                "parameters": .array(contract.inputs.map(parameter)),
            ]
            // Who may call it: open operations need nothing; the others an API key or a session,
            // whose role grants the permission named.
            if let permission = route.permission {
                operation["security"] = .array(securitySchemes.keys.sorted().map { .object([$0: .array([])]) })
                operation["x-baton-permission"] = .string(permission.rawValue)
                operation["description"] = .string("Needs the permission '\(permission.rawValue)': \(permission.roles).")
            } else {
                operation["security"] = .array([])
            }
            switch contract.body {
            case .json(let name, let fields)?:
                bodySchemas[name] = bodySchema(fields)
                // A body is needed when a field is; otherwise none is the same as an empty object.
                operation["requestBody"] = .object([
                    "required": .bool(fields.contains(where: \.required)),
                    "content": .object(["application/json": .object(["schema": ref(name)])]),
                ])
            case .upload?, .bytes?:
                operation["requestBody"] = .object([
                    "required": .bool(true),
                    "content": .object(["application/octet-stream": .object(["schema": .object(["type": .string("string"), "format": .string("binary")])])]),
                ])
            case nil: break
            }
            let statuses = contract.statuses(
                success: route.status, summary: route.summary, writes: route.method != "GET", open: route.permission == nil)
            var responses: [String: JSONValue] = [:]
            for (status, description) in statuses {
                var response: [String: JSONValue] = ["description": .string(description)]
                if status >= 400 {
                    response["content"] = .object(["application/json": .object(["schema": ref("Error")])])
                } else if status == route.status, let schema = route.response {
                    let content: [String: JSONValue] = switch schema {
                    // Server-sent events: the schema of each event, as OpenAPI 3.2's itemSchema says it.
                    case "EventStream": ["text/event-stream": .object(["itemSchema": serverSentEvent])]
                    case "Metrics": ["text/plain": .object(["schema": string])]
                    case "Library": ["application/octet-stream": .object(["schema": .object(["type": .string("string"), "format": .string("binary")])])]
                    default: ["application/json": .object(["schema": ref(schema)])]
                    }
                    response["content"] = .object(content)
                }
                responses[String(status)] = .object(response)
            }
            operation["responses"] = .object(responses)
            paths[route.pattern, default: [:]][route.method.lowercased()] = .object(operation)
        }
        let document: JSONValue = .object([
            "openapi": .string("3.1.0"),
            "info": .object([
                "title": .string("Baton API"), "version": .string("1"),
                "description": .string("Workflow orchestration for Swift: flows, versions, runs, deployments, workers and live events."),
            ]),
            "paths": .object(paths.mapValues { .object($0) }),
            "components": .object([
                "schemas": .object(schemas.merging(bodySchemas) { _, body in body }),
                "securitySchemes": .object(securitySchemes),
            ]),
        ])
        return Array(document.jsonData)
    }

    /// How a caller proves who they are: an API key as a bearer token (scripts, CI, the remote CLI),
    /// or the web UI's session cookie (with its CSRF token on changes).
    static let securitySchemes: [String: JSONValue] = [
        "apiKey": .object([
            "type": .string("http"), "scheme": .string("bearer"),
            "description": .string("An API key from `baton key create`: Authorization: Bearer baton_…"),
        ]),
        "session": .object([
            "type": .string("apiKey"), "in": .string("cookie"), "name": .string("baton_session"),
            "description": .string("The web UI's login session; a change must also carry its CSRF token in X-CSRF-Token"),
        ]),
    ]

    /// A parameter as the contract declares it.
    static func parameter(_ input: Input) -> JSONValue {
        var schema = self.schema(input.type)
        if let value = input.defaultValue, case .object(var object) = schema {
            object["default"] = value
            schema = .object(object)
        }
        var parameter: [String: JSONValue] = [
            "name": .string(input.name), "in": .string(input.location.rawValue), "required": .bool(input.required), "schema": schema,
        ]
        // An empty query value is taken as none (`?limit=` lists with the default).
        if input.location == .query { parameter["allowEmptyValue"] = .bool(true) }
        if let description = input.description { parameter["description"] = .string(description) }
        return .object(parameter)
    }

    /// A JSON body: these fields, no others, none of them null.
    static func bodySchema(_ fields: [BodyField]) -> JSONValue {
        var properties: [String: JSONValue] = [:]
        for field in fields {
            var schema = self.schema(field.type)
            if let description = field.description, case .object(var object) = schema {
                object["description"] = .string(description)
                schema = .object(object)
            }
            properties[field.name] = schema
        }
        return .object([
            "type": .string("object"), "properties": .object(properties),
            "required": .array(fields.filter(\.required).map { .string($0.name) }), "additionalProperties": .bool(false),
        ])
    }

    /// The JSON Schema of a value of `type`.
    static func schema(_ type: InputType) -> JSONValue {
        switch type {
        case .integer(let range):
            .object(["type": .string("integer"), "minimum": .int(Int64(range.lowerBound)), "maximum": .int(Int64(range.upperBound))])
        case .enumeration(let words): .object(["type": .string("string"), "enum": .array(words.map(JSONValue.string))])
        case .string(let minLength):
            minLength > 0 ? .object(["type": .string("string"), "minLength": .int(Int64(minLength))]) : .object(["type": .string("string")])
        case .name:
            .object(["type": .string("string"), "minLength": .int(1), "maxLength": .int(100), "pattern": .string(InputType.namePattern)])
        case .version:
            .object([
                "description": .string(VersionChoice.expected),
                "oneOf": .array([
                    .object(["type": .string("integer"), "minimum": .int(1), "maximum": .int(Int64.max)]),
                    .object(["type": .string("string"), "enum": .array([.string("latest")])]),
                ]),
            ])
        case .dateTime: .object(["type": .string("string"), "format": .string("date-time")])
        case .boolean: .object(["type": .string("boolean")])
        case .cursor: .object(["type": .string("string"), "pattern": .string(InputType.cursorPattern)])
        case .object: .object(["type": .string("object")])
        case .strings: .object(["type": .string("array"), "items": .object(["type": .string("string")])])
        case .objects: .object(["type": .string("array"), "items": .object(["type": .string("object")])])
        }
    }

    static func ref(_ name: String) -> JSONValue { .object(["$ref": .string("#/components/schemas/\(name)")]) }

    private static func operationID(_ route: Route) -> String {
        let words = route.pattern.split(separator: "/").dropFirst().map { segment -> String in
            segment.hasPrefix("{") ? "By" + segment.dropFirst().dropLast().capitalized : segment.split(separator: "-").map(\.capitalized).joined()
        }
        return route.method.lowercased() + words.joined()
    }

    // MARK: Schemas

    /// One server-sent event: its name (`hello`, `flow_run`, `task_runs`, `log`, `version`,
    /// `deployment`, `worker`) and its data, a JSON text.
    private static let serverSentEvent: JSONValue = .object([
        "type": .string("object"),
        "properties": .object(["event": string, "data": string, "id": string, "retry": .object(["type": .string("integer"), "minimum": .int(0)])]),
        "required": .array([.string("data")]),
    ])

    private static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        .object(["type": .string("object"), "properties": .object(properties), "required": .array(required.map(JSONValue.string))])
    }

    private static func list(_ key: String, of item: String, extra: [String: JSONValue] = [:]) -> JSONValue {
        object([key: .object(["type": .string("array"), "items": ref(item)])].merging(extra) { a, _ in a }, required: [key])
    }

    private static let string: JSONValue = .object(["type": .string("string")])
    private static let integer: JSONValue = .object(["type": .string("integer")])
    private static let number: JSONValue = .object(["type": .string("number")])
    private static let boolean: JSONValue = .object(["type": .string("boolean")])
    private static let date: JSONValue = .object(["type": .string("string"), "format": .string("date-time")])
    private static let any: JSONValue = .object([:])
    private static let stringList: JSONValue = .object(["type": .string("array"), "items": string])
    private static let anyObject: JSONValue = .object(["type": .string("object")])

    static let schemas: [String: JSONValue] = [
        "Error": object(["error": string, "message": string, "field": string], required: ["error", "message"]),
        "Object": anyObject,
        "Health": object(["status": string], required: ["status"]),
        "AuditList": list("entries", of: "AuditEntry"),
        "AuditEntry": object(
            [
                "id": integer, "at": date, "actor": string, "project": string, "action": string, "target": string, "address": string,
                "result": string,
            ], required: ["id", "at", "action", "result"]),
        "Session": object(
            [
                "user": string, "admin": boolean, "roles": .object(["type": .string("object"), "additionalProperties": string]),
                "key": string, "project": string, "role": string, "csrf": string, "expiresAt": date, "authRequired": boolean,
            ], required: ["authRequired"]),
        "FlowSummary": object([
            "name": string, "description": string, "latestVersion": integer, "versionCount": integer, "latestRegisteredAt": date,
            "lastRunState": string, "lastRunAt": date, "nextScheduledRun": date,
        ], required: ["name", "latestVersion"]),
        "Flow": object([
            "name": string, "description": string, "latestVersion": integer, "versionCount": integer,
            "versions": .object(["type": .string("array"), "items": ref("Version")]),
        ], required: ["name", "versions"]),
        "FlowList": list("flows", of: "FlowSummary"),
        "Version": object([
            "flow": string, "version": integer, "hash": string, "label": string, "registeredAt": date, "registeredBy": string,
            "sourcePath": string, "library": string, "description": string, "schedule": anyObject,
            "parameters": anyObject, "tasks": .object(["type": .string("array"), "items": anyObject]),
            "manifest": anyObject, "libraryRecord": anyObject,
        ], required: ["flow", "version", "hash", "parameters"]),
        "VersionList": list("versions", of: "Version"),
        "VersionDiff": object([
            "flow": string, "from": integer, "to": integer,
            "changes": .object(["type": .string("array"), "items": object(["path": string, "from": any, "to": any])]),
        ], required: ["flow", "from", "to", "changes"]),
        "Registration": object([
            "registered": .object(["type": .string("array"), "items": object([
                "flow": string, "version": integer, "created": boolean, "hash": string, "label": string, "deploymentNote": string,
            ])]),
        ], required: ["registered"]),
        "FlowRun": object([
            "id": string, "name": string, "flow": string, "version": integer, "state": string, "stateName": string, "message": string,
            "parameters": anyObject, "result": any, "createdAt": date, "startTime": date, "endTime": date, "durationSeconds": number,
            "attempt": integer, "rerunOf": string, "parentFlowRunID": string, "parentTaskRunID": string, "deployment": string,
            "scheduledTime": date, "pool": string, "workerID": string,
            "upcoming": .object(["type": .string("boolean"), "description": .string("Scheduled for a later time and not started")]),
        ], required: ["id", "name", "flow", "version", "state", "stateName", "parameters", "createdAt", "attempt", "upcoming"]),
        "FlowRunList": list("runs", of: "FlowRun", extra: ["nextCursor": string]),
        "State": object(["type": string, "name": string, "message": string, "timestamp": date], required: ["type", "name", "timestamp"]),
        "StateList": list("states", of: "State"),
        "TaskRun": object([
            "id": string, "flowRunID": string, "flowRunAttempt": integer, "name": string, "taskName": string, "kind": string,
            "childFlowRunID": string, "state": string, "stateName": string, "message": string, "attempts": integer, "tags": stringList,
            "cachedFrom": string, "createdAt": date, "startTime": date, "endTime": date,
            "history": .object(["type": .string("array"), "items": ref("State")]), "input": any, "result": any,
        ], required: ["id", "flowRunID", "name", "state", "history"]),
        "TaskRunList": list("taskRuns", of: "TaskRun"),
        "Graph": object([
            "nodes": .object(["type": .string("array"), "items": object([
                "id": string, "name": string, "taskName": string, "kind": string, "state": string, "stateName": string,
                "startTime": date, "endTime": date, "childFlowRunID": string,
            ])]),
            "edges": .object(["type": .string("array"), "items": object(["from": string, "to": string, "kind": string])]),
            "truncated": boolean,
        ], required: ["nodes", "edges"]),
        "Log": object([
            "id": integer, "flowRunID": string, "taskRunName": string, "timestamp": date, "level": string, "message": string,
        ], required: ["id", "timestamp", "level", "message"]),
        "LogList": list("logs", of: "Log", extra: ["nextAfter": integer]),
        "Artifact": object([
            "id": integer, "key": string, "kind": string, "data": any, "description": string, "flowRunID": string, "taskRunID": string,
            "createdAt": date,
        ], required: ["id", "key", "kind", "data"]),
        "ArtifactList": list("artifacts", of: "Artifact"),
        "Deployment": object([
            "name": string, "flow": string, "version": string, "parameters": anyObject, "schedule": anyObject, "scheduleSummary": string, "scheduleWords": string,
            "timezone": string, "pool": string, "catchup": boolean, "maxActive": integer, "paused": boolean, "isDefault": boolean,
            "createdAt": date, "next": stringList, "activeRuns": integer, "scheduledRuns": integer, "skippedSlots": integer,
        ], required: ["name", "flow", "version", "pool", "paused", "next"]),
        "DeploymentList": list("deployments", of: "Deployment"),
        "Backfilled": object(["created": stringList, "existing": integer], required: ["created"]),
        "Worker": object([
            "id": string, "name": string, "pool": string, "host": string, "pid": integer, "limit": integer, "startedAt": date,
            "heartbeatAt": date, "stoppedAt": date, "activeRuns": integer, "healthy": boolean, "heartbeatSeconds": number,
        ], required: ["id", "name", "pool", "healthy"]),
        "Heartbeat": object(["reannounced": boolean], required: ["reannounced"]),
        "WorkerRun": object([
            "id": string, "name": string, "flow": string, "version": integer, "state": ref("State"), "parameters": anyObject, "result": any,
            "createdAt": date, "startTime": date, "endTime": date, "attempt": integer, "rerunOf": string, "parentFlowRunID": string,
            "parentTaskRunID": string, "deployment": string, "scheduledTime": date, "pool": string, "workerID": string, "project": string,
        ], required: ["id", "name", "flow", "version", "state", "parameters", "createdAt", "attempt", "project"]),
        "ClaimAnswer": object([
            "assignment": object([
                "run": ref("WorkerRun"), "libraryHash": string, "libraryFileName": string, "librarySize": integer,
                "flowVersions": anyObject, "flowOptions": anyObject, "reuse": anyObject,
            ], required: ["run", "libraryHash", "libraryFileName", "flowVersions", "flowOptions", "reuse"]),
            "nextDue": date,
        ]),
        "BatchOutcome": object(["outcome": .object(["type": .string("string"), "enum": .array([.string("applied"), .string("duplicate")])])], required: ["outcome"]),
        "CacheAnswer": object(["hit": object(["result": string, "taskRunID": string, "taskRunName": string, "flowRunID": string, "createdAt": date])]),
        "Slots": object(["granted": boolean], required: ["granted"]),
        "ValueAnswer": object(["value": string], required: ["value"]),
        "Channel": object([
            "name": string, "kind": string, "target": string, "format": string, "to": stringList, "from": string, "smtp": string, "startTLS": boolean,
            "smtpUser": string, "secrets": stringList, "createdBy": string, "createdAt": date,
        ], required: ["name", "kind", "target", "secrets", "createdAt"]),
        "ChannelList": list("channels", of: "Channel"),
        "ChannelTest": object(["delivered": boolean, "outcome": string, "error": string], required: ["delivered"]),
        "Automation": object([
            "name": string, "trigger": anyObject, "triggerSummary": string, "actions": .object(["type": .string("array"), "items": anyObject]),
            "actionSummaries": stringList, "cooldownSeconds": number, "paused": boolean, "armedSince": date, "lastFiredAt": date, "createdBy": string,
            "createdAt": date,
        ], required: ["name", "trigger", "triggerSummary", "actions", "actionSummaries", "cooldownSeconds", "paused", "armedSince", "createdAt"]),
        "AutomationList": list("automations", of: "Automation"),
        "Delivery": object([
            "id": integer, "firingID": integer, "position": integer, "action": anyObject, "status": string, "attempts": integer,
            "nextAttemptAt": date, "lastError": string, "finishedAt": date, "outcome": string,
        ], required: ["id", "firingID", "position", "action", "status", "attempts"]),
        "Firing": object([
            "id": integer, "automation": string, "event": anyObject, "firedAt": date, "suppressed": string,
            "deliveries": .object(["type": .string("array"), "items": ref("Delivery")]),
        ], required: ["id", "automation", "event", "firedAt", "deliveries"]),
        "FiringList": list("firings", of: "Firing"),
        "Webhook": object(["name": string, "deployment": string, "mapping": anyObject, "path": string, "createdBy": string, "createdAt": date], required: ["name", "deployment", "mapping", "path", "createdAt"]),
        "WebhookList": list("webhooks", of: "Webhook"),
        "CreatedWebhook": object(["webhook": ref("Webhook"), "token": string], required: ["webhook", "token"]),
        "Secret": object(["name": string, "kind": string, "setBy": string, "setAt": date], required: ["name", "kind", "setAt"]),
        "SecretList": list("secrets", of: "Secret"),
        "Variable": object(["name": string, "kind": string, "value": string, "setBy": string, "setAt": date], required: ["name", "kind", "value", "setAt"]),
        "VariableList": list("variables", of: "Variable"),
        "Released": object(["released": boolean], required: ["released"]),
        "RunDone": object(["run": ref("WorkerRun"), "retried": boolean], required: ["run", "retried"]),
        "WorkerList": list("workers", of: "Worker"),
        "Limit": object(["tag": string, "slots": integer, "active": integer], required: ["slots"]),
        "LimitList": list("limits", of: "Limit"),
        "CacheCleared": object(["cleared": integer], required: ["cleared"]),
        "Dashboard": object([
            "since": date, "countsByState": anyObject,
            "hourly": .object(["type": .string("array"), "items": object(["hour": date, "counts": anyObject])]),
            "recentFailures": .object(["type": .string("array"), "items": ref("FlowRun")]),
            "lateRuns": .object(["type": .string("array"), "items": ref("FlowRun")]),
            "upcomingRuns": .object(["type": .string("array"), "items": ref("FlowRun")]),
            "upcomingCount": integer,
            "workers": .object(["type": .string("array"), "items": ref("Worker")]),
        ], required: ["since", "countsByState", "hourly", "upcomingRuns", "upcomingCount"]),
    ]
}
