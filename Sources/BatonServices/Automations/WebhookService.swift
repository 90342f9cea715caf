import BatonCore
import BatonStore
import Foundation

extension Services {
    /// Inbound webhooks: a URL that starts a run of a deployment with parameters from its payload.
    public var webhooks: WebhookService { WebhookService(services: self) }
}

/// Everything `baton webhook` and `/api/webhooks` do. A webhook is created by a developer with a
/// token shown once; a request to `POST /api/webhooks/NAME` is taken when it carries the token
/// (`Authorization: Bearer …`) or is signed with it (`X-Baton-Signature: sha256=<HMAC-SHA256 of the
/// body, hex>`, as GitHub signs), and starts a run of the deployment with parameters taken from the
/// JSON payload by the webhook's mapping, checked against the version's parameters.
public struct WebhookService: Sendable {
    let services: Services
    var store: any Store { services.store }

    /// The header a signed request carries.
    public static let signatureHeader = "X-Baton-Signature"
    /// The largest payload taken.
    public static let maximumPayload = 1 << 20

    /// Creates a webhook; returns it and its token (shown this once: the store keeps it sealed).
    public func create(name: String, deployment: String, mapping: [String: String], _ caller: Caller) throws -> (webhook: WebhookView, token: String) {
        try services.audit.local("webhook create", target: name, caller) {
            try services.authorize(caller, .develop)
            try DeploymentNames.validate(name, what: "webhook name")
            let target = try store.deployment(named: deployment, project: caller.project)
            let version = try store.version(of: target.flow, number: target.version, project: caller.project)
            let parameters = Set(try version.manifest.parameterSchema().parameters.map(\.name))
            for (parameter, path) in mapping {
                guard parameters.contains(parameter) else {
                    throw BatonError(
                        .invalidInput,
                        "--map '\(parameter)=\(path)': flow '\(target.flow)' v\(version.number) has no parameter '\(parameter)'"
                            + (parameters.isEmpty ? "" : "; it has: \(parameters.sorted().joined(separator: ", "))"),
                        field: "mapping")
                }
                _ = try JSONPath(path)
            }
            let token = Self.newToken()
            let sealed = try SecretBox.load(home: services.home, create: true).seal(token, project: caller.project, name: "webhook " + name)
            let record = WebhookRecord(
                id: 0, project: caller.project, name: name, deployment: deployment, sealedToken: sealed, mapping: mapping, createdBy: caller.name,
                createdAt: services.options.now())
            guard let created = try store.insertWebhook(record) else {
                throw BatonError(.conflict, "a webhook named '\(name)' exists already (webhook names are unique on the server); choose another name")
            }
            return (WebhookView(created), token)
        }
    }

    public func list(_ caller: Caller) throws -> [WebhookView] {
        try services.authorize(caller, .read)
        return try store.webhooks(project: caller.project).map(WebhookView.init)
    }

    public func delete(_ name: String, _ caller: Caller) throws {
        try services.audit.local("webhook rm", target: name, caller) {
            try services.authorize(caller, .develop)
            guard try store.deleteWebhook(named: name, project: caller.project) else {
                throw BatonError.unknown(
                    "webhook", name, project: caller.project, has: try store.webhooks(project: caller.project).map(\.name),
                    makes: "baton webhook create NAME --deployment D")
            }
        }
    }

    /// Takes a request to the webhook `name`: checks its token or signature, reads the parameters
    /// from `body` and starts a run of the deployment. A webhook that does not exist and a request
    /// without its token are refused alike (401), so that names cannot be probed.
    public func receive(_ name: String, body: [UInt8], authorization: String?, signature: String?, address: String?) throws -> RunView {
        let refusal = BatonError(
            .unauthorized,
            "this request is not webhook '\(name)''s: send its token as Authorization: Bearer …, or sign the body with it (\(Self.signatureHeader): sha256=HEX)")
        guard let webhook = try store.webhook(named: name) else { throw refusal }
        let caller = Caller(.storeOwner(user: "webhook \(name)"), address: address, project: webhook.project)
        return try services.audit.recording("webhook \(name)", target: webhook.deployment, project: webhook.project, caller) {
            let token = try SecretBox.load(home: services.home, create: false).open(webhook.sealedToken, project: webhook.project, name: "webhook " + name)
            guard Self.authorized(token: token, body: body, authorization: authorization, signature: signature) else { throw refusal }
            guard body.count <= Self.maximumPayload else {
                throw BatonError(.invalidInput, "the payload is \(body.count) bytes: expected at most \(Self.maximumPayload)")
            }
            let payload: JSONValue
            do {
                payload = body.isEmpty ? .object([:]) : try JSONValue(json: body)
            } catch {
                throw BatonError(.invalidInput, "the payload is not JSON: expected a JSON document")
            }
            var parameters: [String: JSONValue] = [:]
            for (parameter, path) in webhook.mapping.sorted(by: { $0.key < $1.key }) {
                guard let value = try JSONPath(path).value(in: payload) else {
                    throw BatonError(.invalidParameter, "parameter '\(parameter)': the payload has nothing at \(path)", field: parameter)
                }
                parameters[parameter] = value
            }
            return try services.deployments.runNow(webhook.deployment, overrides: parameters, caller)
        }
    }

    /// The token as a bearer token, or an HMAC-SHA256 signature of the body made with it; compared
    /// in constant time.
    static func authorized(token: String, body: [UInt8], authorization: String?, signature: String?) -> Bool {
        if let authorization, authorization.lowercased().hasPrefix("bearer ") {
            return ConstantTime.equal(String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces), token)
        }
        if let signature, signature.lowercased().hasPrefix("sha256=") {
            let expected = HMACSHA256.hex(key: Array(token.utf8), body)
            return ConstantTime.equal(String(signature.dropFirst(7)).lowercased(), expected)
        }
        return false
    }

    static func newToken() -> String { "whk_" + APIKeyText.randomText(40) }
}

/// A webhook as listings show it (never its token).
public struct WebhookView: Codable, Sendable, Hashable {
    public var name: String
    public var deployment: String
    public var mapping: [String: String]
    /// The path requests go to on the server.
    public var path: String
    public var createdBy: String?
    public var createdAt: Date

    public init(_ record: WebhookRecord) {
        name = record.name
        deployment = record.deployment
        mapping = record.mapping
        path = "/api/webhooks/\(record.name)"
        createdBy = record.createdBy
        createdAt = record.createdAt
    }
}
