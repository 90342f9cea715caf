import BatonCore
import BatonHTTP
import BatonRunner
import BatonServices
import BatonStore
import Foundation

/// One route of the API, with what the OpenAPI document says of it. What it takes and answers is
/// its contract, in `Contract/Contracts.swift` under `"METHOD pattern"`.
struct Route: Sendable {
    var method: String
    var pattern: String
    var summary: String
    var tag: String
    /// What the caller must be allowed (checked by ``Services/authorize(_:_:)`` before anything
    /// about the input, and shown in the OpenAPI document); nil: open to anyone who reaches the
    /// server, as health and the document itself are.
    var permission: Permission?
    /// Query parameters it reads (their types are in its contract, which must declare the same names).
    var query: [String] = []
    /// The component schema of its JSON body, "binary" for an upload, or "bytes" for a batch of run
    /// events in memory.
    var body: String?
    var status = 200
    /// The component schema of its success response.
    var response: String?
    /// Whether a change through it is a row of the audit log. A worker's routes that carry its runs
    /// (claims, heartbeats, event batches) are not: the runs record them.
    var audited = true
    /// Answers a request that met the route's contract, from the caller the router authenticated.
    var handler: @Sendable (HTTPRequest, Caller) throws -> HTTPResponse
}

/// What the route handlers work with.
struct APIContext: Sendable {
    /// The application layer every handler calls (and its home, where uploads go).
    let services: Services
    let events: EventHub
    /// The pool runs created through the API go to.
    let pool: String
    let startedAt: Date
    /// Whether the server speaks TLS, so that the session cookie is marked Secure.
    var secureCookies = false
    /// Whether the proxy's `X-Forwarded-Proto` is believed (`--trust-proxy`).
    var trustProxy = false
    /// Request latencies, which the server records and `/metrics` reports.
    let requests: RequestMetrics
    let log: @Sendable (String) -> Void
}

extension APIContext {
    /// Who sent `request`: the API key in its `Authorization` header, else the login session in its
    /// cookie (whose changes must carry the session's CSRF token), else nobody (`anonymous`, which
    /// the application layer refuses unless the server runs with `--no-auth`). Credentials that are
    /// not valid get 401.
    ///
    /// The caller works in the project the `project` query parameter names; without one, a key
    /// works in its own project and anyone else in `default`, so that the routes of a store made
    /// before projects keep working.
    func caller(_ request: HTTPRequest) throws -> Caller {
        let caller: Caller
        if let authorization = request.headers["Authorization"] {
            caller = try services.access.authenticate(authorization: authorization, address: request.remoteAddress)
        } else if let token = SessionCookie.token(in: request) {
            let session = try services.access.authenticate(session: token, address: request.remoteAddress)
            try SessionCookie.requireCSRF(request, expected: session.csrf)
            caller = session.caller
        } else {
            caller = .anonymous(address: request.remoteAddress)
        }
        if let project = request.queryString("project"), !project.isEmpty {
            // A malformed name is refused as the contract refuses any input, before it is looked up.
            try Contract(inputs: [Contracts.project]).validate(request)
            return caller.inProject(project)
        }
        if case .apiKey(_, let project, _) = caller.identity { return caller.inProject(project) }
        return caller
    }

    /// Whether the session cookie answering `request` is marked Secure: the server speaks TLS, or a
    /// trusted proxy says the client did.
    func secureCookie(_ request: HTTPRequest) -> Bool { secureCookies || (trustProxy && ForwardedRequest.isHTTPS(request)) }

    /// Records a change through the route `pattern` in the audit log: the action is `METHOD
    /// pattern`, the target the path's parameters (a run id, a deployment or limit name) or, for an
    /// upload, the library's file name; never a body, a header or a credential.
    func audit(_ request: HTTPRequest, _ pattern: String, _ caller: Caller?, status: Int, code: String?) {
        let target = request.pathParameters.isEmpty
            ? request.queryString("fileName") : request.pathParameters.sorted { $0.key < $1.key }.map(\.value).joined(separator: " ")
        services.audit.record(
            "\(request.method) \(pattern)", target: target.map { String($0.prefix(200)) },
            project: caller?.project ?? request.queryString("project") ?? ProjectNames.default, by: caller, address: request.remoteHost,
            result: AuditEntry.result(status: status, code: code), log: log)
    }
}

/// The REST API under `/api`: thin handlers that parse, call the application layer, and encode.
public final class API: Sendable {
    let routes: [Route]
    private let router: Router
    private let context: APIContext
    /// Request latencies: the server records each request here, and `/metrics` reports them.
    public let requests: RequestMetrics
    private let log: @Sendable (String) -> Void

    /// Where request bodies go: uploads to files under `BATON_HOME/uploads`, JSON in memory.
    private let jsonBody: RequestBody
    private let uploadBody: RequestBody
    private let batchBody: RequestBody

    /// `maxJSONBytes` limits JSON bodies (413 beyond); uploads stream to disk up to
    /// `InputLimits.maxUploadBytes`.
    public init(store: any Store, home: BatonHome, events: EventHub, pool: String = DeploymentNames.defaultPool, requireCredentials: Bool = true, secureCookies: Bool = false, trustProxy: Bool = false,
                maxJSONBytes: Int = InputLimits.defaultMaxJSONBytes, log: @escaping @Sendable (String) -> Void) {
        jsonBody = RequestBody(.memory, limit: maxJSONBytes, limitNote: "the server's limit for JSON bodies, set with --max-json-bytes")
        uploadBody = RequestBody(.file(directory: home.path + "/uploads"), limit: InputLimits.maxUploadBytes, limitNote: "the limit for a library upload",
            timeout: .seconds(900))
        batchBody = RequestBody(.memory, limit: InputLimits.maxBatchBytes, limitNote: "the limit for a batch of run events")
        Self.removeStaleUploads(home.path + "/uploads")
        let requests = RequestMetrics()
        self.requests = requests
        let context = APIContext(
            services: Services(store: store, home: home, options: ServiceOptions(pool: pool, anonymousAccess: !requireCredentials)), events: events, pool: pool, startedAt: Date(), secureCookies: secureCookies, trustProxy: trustProxy, requests: requests, log: log)
        var routes = Self.systemRoutes(context) + Self.metricsRoutes(context) + Self.flowRoutes(context) + Self.runRoutes(context) + Self.deploymentRoutes(context) + Self.sessionRoutes(context) + Self.workerRoutes(context) + Self.valueRoutes(context) + Self.automationRoutes(context)
        routes.append(Route(method: "GET", pattern: "/api/openapi.json", summary: "This document", tag: "system", permission: nil, response: "Object") { _, _ in
            .bytes([], contentType: "application/json")
        })
        let document = OpenAPI.document(routes)
        routes[routes.count - 1].handler = { _, _ in .bytes(document, contentType: "application/json") }
        var router = Router()
        for route in routes {
            // Each request meets its route's contract before the handler sees it (Contract+Validate.swift).
            guard let contract = Contracts.contract(for: route) else {
                preconditionFailure("\(route.method) \(route.pattern) has no contract: declare one in Contract/Contracts.swift")
            }
            let handler = route.handler
            let permission = route.permission
            let (method, pattern) = (route.method, route.pattern)
            let body = route.body == "binary" ? uploadBody : route.body == "bytes" ? batchBody : jsonBody
            router.add(route.method, route.pattern, body: body) { request in
                // An open route (health, logging in) serves whoever asks, with credentials that have
                // ended too: logging in again must not fail on the cookie of an expired session.
                guard let permission else {
                    try contract.validate(request)
                    return try handler(request, (try? context.caller(request)) ?? .anonymous(address: request.remoteAddress))
                }
                // Credentials first: a key that is not valid gets 401, a caller the route's permission
                // is not granted 403, before anything about the input. A change, allowed or refused,
                // is one row of the audit log.
                let audited = route.audited && method != "GET" && method != "HEAD"
                var caller: Caller?
                do {
                    let known = try context.caller(request)
                    caller = known
                    try context.services.authorize(known, permission)
                    try contract.validate(request)
                    let response = try handler(request, known)
                    if audited { context.audit(request, pattern, caller, status: response.status.code, code: nil) }
                    return response
                } catch {
                    if audited {
                        let refusal = APIError.from(error)
                        context.audit(request, pattern, caller, status: refusal.status.code, code: refusal.code)
                    }
                    throw error
                }
            }
        }
        self.routes = routes
        self.router = router
        self.context = context
        self.log = log
    }

    /// Answers one request under `/api`.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        do {
            return try router.respond(to: request) { status, message in
                APIError(status, status == .notFound ? "not_found" : "method_not_allowed", message).response
            }
        } catch {
            let apiError = APIError.from(error)
            if apiError.status.code >= 500 { log("\(request.method) \(request.path): \(error)") }
            return apiError.response
        }
    }

    /// Removes what uploads left when their server was killed mid-request. Only entries an hour old
    /// go: an upload has 15 minutes for its body, and another server on the store may be taking one.
    static func removeStaleUploads(_ folder: String, now: Date = Date()) {
        let files = FileManager.default
        for name in (try? files.contentsOfDirectory(atPath: folder)) ?? [] {
            let path = folder + "/" + name
            if let modified = (try? files.attributesOfItem(atPath: path))?[.modificationDate] as? Date, now.timeIntervalSince(modified) > 3600 {
                try? files.removeItem(atPath: path)
            }
        }
    }

    /// Where the body of `request` goes and its limit, as its route declares; JSON's limit for paths
    /// no route takes. For `HTTPServerConfiguration.bodyPolicy`.
    public func bodyPolicy(for request: HTTPRequest) -> RequestBody {
        guard let policy = router.bodyPolicy(for: request) else { return jsonBody }
        // An upload is refused from its head when its caller may not make it: no bytes are read.
        if case .file = policy.storage, let pattern = router.pattern(for: request),
            let permission = routes.first(where: { $0.method == request.method && $0.pattern == pattern })?.permission
        {
            do {
                try context.services.authorize(try context.caller(request), permission)
            } catch {
                let refusal = APIError.from(error)
                context.audit(request, pattern, nil, status: refusal.status.code, code: refusal.code)
                return .refused(refusal.status, refusal.message)
            }
        }
        return policy
    }

    /// Records in the audit log a change the server refused before any route saw it (from another
    /// origin, or for a Host it does not serve); reads are not recorded.
    public func auditRefusal(_ request: HTTPRequest, _ refusal: APIError) {
        guard request.method != "GET" && request.method != "HEAD" else { return }
        context.audit(request, router.pattern(for: request) ?? request.path, nil, status: refusal.status.code, code: refusal.code)
    }

    /// The route pattern that answers `request`, for metrics; nil when none does.
    public func pattern(for request: HTTPRequest) -> String? { router.pattern(for: request) }

    /// The method and pattern of every route, for the OpenAPI document and its test.
    public var routeTable: [(method: String, pattern: String)] { routes.map { ($0.method, $0.pattern) } }
}
