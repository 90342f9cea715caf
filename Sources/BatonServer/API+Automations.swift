import BatonCore
import BatonServices
import Foundation

/// Notification channels, automations (with their history), and inbound webhooks: the admin routes of
/// each, and `POST /api/webhooks/{name}`, which takes no API key but the webhook's own token or
/// signature.
extension API {
    static func automationRoutes(_ c: APIContext) -> [Route] {
        let channels = c.services.channels
        let automations = c.services.automations
        let webhooks = c.services.webhooks
        return [
            // Channels
            Route(method: "GET", pattern: "/api/channels", summary: "Notification channels (their secrets by name only)", tag: "automations", permission: .read, response: "ChannelList") { _, caller in
                try Reply.json(Listing(key: "channels", items: try channels.list(caller)))
            },
            Route(method: "POST", pattern: "/api/channels", summary: "Create a notification channel: a webhook or email", tag: "automations", permission: .develop, body: "NewChannel", status: 201, response: "Channel") { request, caller in
                let body = try request.jsonObject()
                try body.only(["name", "kind", "url", "urlSecret", "format", "to", "from", "smtpHost", "smtpPort", "startTLS", "smtpUser", "smtpPasswordSecret"])
                let config = try decodeStrict(ChannelConfig.self, from: .object(body.object.filter { $0.key != "name" }), field: "channel")
                return try Reply.json(try channels.create(name: try body.string("name"), config: config, caller), status: .created)
            },
            Route(method: "GET", pattern: "/api/channels/{name}", summary: "A notification channel", tag: "automations", permission: .read, response: "Channel") { request, caller in
                try Reply.json(try channels.get(request.path("name"), caller))
            },
            Route(method: "DELETE", pattern: "/api/channels/{name}", summary: "Delete a notification channel no automation uses", tag: "automations", permission: .develop, status: 204) { request, caller in
                try channels.delete(request.path("name"), caller)
                return Reply.noContent
            },
            Route(method: "POST", pattern: "/api/channels/{name}/test", summary: "Send a test message through a channel now", tag: "automations", permission: .run, body: "NoFields", response: "ChannelTest") { request, caller in
                try request.jsonObject().only([])
                do {
                    return Reply.json(["delivered": .bool(true), "outcome": .string(try channels.test(request.path("name"), caller))])
                } catch let error as NotifyError {
                    return Reply.json(["delivered": .bool(false), "error": .string(error.description)])
                }
            },

            // Automations
            Route(method: "GET", pattern: "/api/automations", summary: "Automations: a trigger and its actions", tag: "automations", permission: .read, response: "AutomationList") { _, caller in
                try Reply.json(Listing(key: "automations", items: try automations.list(caller)))
            },
            Route(method: "POST", pattern: "/api/automations", summary: "Create an automation", tag: "automations", permission: .develop, body: "NewAutomation", status: 201, response: "Automation") { request, caller in
                let body = try request.jsonObject()
                try body.only(["name", "trigger", "actions", "cooldown"])
                let trigger = try decodeStrict(AutomationTrigger.self, from: body.object["trigger"] ?? .null, field: "trigger")
                guard case .array(let items)? = body.object["actions"] else {
                    throw APIError.badRequest("field 'actions' is missing: expected an array of actions", field: "actions")
                }
                let actions = try items.map { try decodeStrict(AutomationAction.self, from: $0, field: "actions") }
                let cooldown = Double(try body.optionalInt("cooldown", minimum: 0) ?? 0)
                let new = NewAutomation(name: try body.string("name"), trigger: trigger, actions: actions, cooldown: cooldown)
                return try Reply.json(try automations.create(new, caller), status: .created)
            },
            Route(method: "GET", pattern: "/api/automations/{name}", summary: "An automation", tag: "automations", permission: .read, response: "Automation") { request, caller in
                try Reply.json(try automations.get(request.path("name"), caller))
            },
            Route(method: "DELETE", pattern: "/api/automations/{name}", summary: "Delete an automation and its history", tag: "automations", permission: .develop, status: 204) { request, caller in
                try automations.delete(request.path("name"), caller)
                return Reply.noContent
            },
            Route(method: "POST", pattern: "/api/automations/{name}/pause", summary: "Pause an automation", tag: "automations", permission: .run, body: "NoFields", response: "Automation") { request, caller in
                try request.jsonObject().only([])
                return try Reply.json(try automations.setPaused(request.path("name"), true, caller))
            },
            Route(method: "POST", pattern: "/api/automations/{name}/resume", summary: "Resume an automation (armed from now)", tag: "automations", permission: .run, body: "NoFields", response: "Automation") { request, caller in
                try request.jsonObject().only([])
                return try Reply.json(try automations.setPaused(request.path("name"), false, caller))
            },
            Route(method: "GET", pattern: "/api/automations/{name}/history", summary: "An automation's firings, newest first, with each delivery's status, attempts and error", tag: "automations", permission: .read, query: ["limit"], response: "FiringList") { request, caller in
                let limit = try request.queryInt("limit", default: AutomationService.historyDefault, in: AutomationService.historyLimit)
                return try Reply.json(Listing(key: "firings", items: try automations.history(request.path("name"), limit: limit, caller)))
            },

            // Inbound webhooks
            Route(method: "GET", pattern: "/api/webhooks", summary: "Inbound webhooks (never their tokens)", tag: "automations", permission: .read, response: "WebhookList") { _, caller in
                try Reply.json(Listing(key: "webhooks", items: try webhooks.list(caller)))
            },
            Route(method: "POST", pattern: "/api/webhooks", summary: "Create an inbound webhook that runs a deployment; its token is in this answer only", tag: "automations", permission: .develop, body: "NewWebhook", status: 201, response: "CreatedWebhook") { request, caller in
                let body = try request.jsonObject()
                try body.only(["name", "deployment", "mapping"])
                var mapping: [String: String] = [:]
                for (parameter, path) in try body.objectField("mapping") {
                    guard let path = path.stringValue else {
                        throw APIError.badRequest("field 'mapping' is not valid: expected parameter names mapped to paths such as \"$.ref\"", field: "mapping")
                    }
                    mapping[parameter] = path
                }
                let (webhook, token) = try webhooks.create(name: try body.string("name"), deployment: try body.string("deployment"), mapping: mapping, caller)
                return try Reply.json(CreatedWebhook(webhook: webhook, token: token), status: .created)
            },
            Route(method: "DELETE", pattern: "/api/webhooks/{name}", summary: "Delete an inbound webhook", tag: "automations", permission: .develop, status: 204) { request, caller in
                try webhooks.delete(request.path("name"), caller)
                return Reply.noContent
            },
            Route(method: "POST", pattern: "/api/webhooks/{name}", summary: "Start a run of the webhook's deployment, with parameters from the JSON payload (the webhook's token as Bearer, or an X-Baton-Signature)", tag: "automations", permission: nil, body: "bytes", status: 201, response: "FlowRun", audited: false) { request, _ in
                let run = try webhooks.receive(
                    request.path("name"), body: Array(request.body), authorization: request.headers["Authorization"],
                    signature: request.headers[WebhookService.signatureHeader], address: request.remoteHost)
                return try Reply.json(run, status: .created)
            },
        ]
    }

    /// Decodes `value` as `T`, refusing a field `T` does not have (a misspelt one is not ignored).
    static func decodeStrict<T: Codable>(_ type: T.Type, from value: JSONValue, field: String) throws -> T {
        guard case .object(let given) = value else { throw APIError.badRequest("field '\(field)' is missing or not an object", field: field) }
        let decoded: T
        do {
            decoded = try JSONDecoder().decode(T.self, from: Data(value.jsonData))
        } catch DecodingError.keyNotFound(let key, _) {
            throw APIError.badRequest("field '\(field).\(key.stringValue)' is missing", field: field)
        } catch DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context) {
            let name = context.codingPath.map(\.stringValue).filter { Int($0) == nil }.joined(separator: ".")
            throw APIError.badRequest("field '\(field)\(name.isEmpty ? "" : "." + name)' is not valid: \(context.debugDescription)", field: field)
        } catch {
            throw APIError.badRequest("field '\(field)' is not valid", field: field)
        }
        // What it reads back as: any field of the input that is not there was not taken.
        let known = (try? JSONValue(json: JSONEncoder().encode(decoded)))?.objectValue ?? [:]
        for key in given.keys.sorted() where known[key] == nil && given[key] != .null {
            throw APIError.badRequest("unknown field '\(field).\(key)'", field: field)
        }
        return decoded
    }
}

/// A webhook just made, with its token (shown once).
struct CreatedWebhook: Encodable {
    var webhook: WebhookView
    var token: String
}
