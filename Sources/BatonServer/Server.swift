import BatonCore
import BatonHTTP
import BatonRunner
import BatonServices
import BatonStore
import BatonWorker
import Foundation

/// How `baton server start` runs.
public struct ServerOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 4200
    /// Whether a worker runs inside the server; without one the server only schedules, and separate
    /// `baton worker start` processes execute.
    public var worker = true
    public var pool = DeploymentNames.defaultPool
    public var workerLimit = 10
    /// How long running flows may finish after Ctrl-C.
    public var grace: TimeInterval = 30
    /// The largest JSON request body, in bytes; larger gets 413. Uploads of libraries go to disk
    /// and have their own limit.
    public var maxJSONBytes = InputLimits.defaultMaxJSONBytes
    /// Host names served besides loopback ones and the listening address (`--allowed-host`): the
    /// names a reverse proxy or a team's DNS gives this server. Any other `Host` gets 421.
    public var allowedHosts: [String] = []
    /// Whether requests must carry credentials (an API key or a login session); `--no-auth` turns
    /// it off, on a loopback address only.
    public var requireCredentials = true
    /// Whether a reverse proxy's `X-Forwarded-For` and `X-Forwarded-Proto` are believed
    /// (`--trust-proxy`): only when every request comes through a proxy that sets them.
    public var trustProxy = false
    /// The certificate and key HTTPS is served with (`--tls-cert`, `--tls-key`); nil serves plain HTTP.
    public var tls: TLSIdentity?

    public init() {}
}

/// `baton server start`: the HTTP API, the web UI and live events over the store, with the scheduler
/// and (unless told otherwise) a worker in the same process. User code still runs only in runner
/// children. Ctrl-C or SIGTERM stops accepting requests, ends the event streams, and lets the worker's
/// running flows finish for the grace period.
public final class Server: @unchecked Sendable {
    // @unchecked: configured in init and then only read; `http` is itself thread-safe.
    let store: any Store
    let home: BatonHome
    let options: ServerOptions
    let say: @Sendable (String) -> Void
    public let events: EventHub
    public let api: API
    let web: WebAssets?
    let browserGuard: BrowserGuard
    private(set) var http: HTTPServer!

    public init(store: any Store, home: BatonHome, options: ServerOptions, say: @escaping @Sendable (String) -> Void) throws {
        self.store = store
        self.home = home
        self.options = options
        self.say = say
        try Self.requireLoopback(options)
        browserGuard = BrowserGuard(listening: options.host, allowed: options.allowedHosts)
        events = try Self.eventHub(store: store, home: home, log: say)
        api = API(
            store: store, home: home, events: events, pool: options.pool, requireCredentials: options.requireCredentials, secureCookies: options.tls != nil, trustProxy: options.trustProxy,
            maxJSONBytes: options.maxJSONBytes, log: say)
        if !Loopback.contains(Self.bare(options.host)) && options.tls == nil {
            say("serving beyond this machine on \(options.host) over plain HTTP: passwords and keys cross the network in clear; give --tls-cert and --tls-key, or put a reverse proxy that speaks TLS in front")
        }
        web = try WebAssets.locate().map(WebAssets.init(root:))
        var configuration = HTTPServerConfiguration()
        configuration.host = options.host
        configuration.port = options.port
        configuration.tls = options.tls
        configuration.maxBodyBytes = options.maxJSONBytes
        configuration.bodyPolicy = { [api] request in api.bodyPolicy(for: request) }
        http = HTTPServer(configuration: configuration, handler: { [self] request in handle(request) }) { status, message in
            APIError(status, Self.code(status), message).response
        }
    }

    /// A server without credentials listens on loopback only: anyone who reached the port could
    /// register a library and run its code.
    static func requireLoopback(_ options: ServerOptions) throws {
        guard !options.requireCredentials, !Loopback.contains(bare(options.host)) else { return }
        throw BatonError(
            .invalidInput,
            "--no-auth with --host \(options.host) would let anyone who reaches the port register and run code: "
                + "expected a loopback address (127.0.0.1, ::1 or localhost) with --no-auth, or no --no-auth")
    }

    /// An address without the brackets of an IPv6 literal.
    static func bare(_ host: String) -> String { host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")) }

    /// The live events of the store.
    static func eventHub(store: any Store, home: BatonHome, log: @escaping @Sendable (String) -> Void) throws -> EventHub {
        try EventHub(services: Services(store: store, home: home), log: log)
    }

    /// The address the UI and API are served at, once started.
    public var address: String { "\(options.tls == nil ? "http" : "https")://\(options.host):\(http.port)" }

    /// Serves until Ctrl-C or SIGTERM, then shuts down in order.
    public func run(ready: (String) -> Void) throws {
        let wakeup = try WakeupPipe()
        let token = Interrupts.add { [wakeup] signal in wakeup.ring(UInt8(truncatingIfNeeded: signal)) }
        defer { Interrupts.remove(token) }
        try events.start()
        do {
            try http.start()
        } catch {
            events.stop()
            throw BatonError(.io, "\(error)", field: "port")
        }
        if web == nil { say("the web UI's files were not found (set BATON_WEB_ROOT); serving the API only") }

        // The worker (or, with --no-worker, a scheduler that executes nothing) on a thread of its own;
        // it hears Ctrl-C through Interrupts as the server does.
        let workerDone = DispatchSemaphore(value: 0)
        let workerOptions = WorkerOptions(
            pool: options.pool, limit: options.worker ? options.workerLimit : 0,
            name: options.worker ? "server-\(getpid())" : "server-\(getpid())-scheduler", grace: options.grace, publicURL: address)
        let worker = try Worker(store: store, home: home, options: workerOptions, say: say)
        let workerFailure = FailureBox()
        let workerThread = Thread { [wakeup] in
            do {
                try worker.run()
            } catch {
                // A server whose worker (and scheduler) is gone would accept runs it never starts.
                workerFailure.set(error)
                wakeup.ring(Self.workerStopped)
            }
            workerDone.signal()
        }
        workerThread.stackSize = 1 << 20
        workerThread.start()
        ready(address)

        var fds = [pollfd(fd: wakeup.fd, events: Int16(POLLIN), revents: 0)]
        while wakeup.drain().isEmpty {
            fds[0].revents = 0
            _ = poll(&fds, 1, -1)
        }
        if let failure = workerFailure.error {
            say("the server's worker stopped: \(failure)")
            events.stop()
            http.shutdown(grace: .seconds(5))
            throw failure
        }
        say("stopping: no new requests; the event streams end\(options.worker ? ", running flows may finish" : "")")
        events.stop()
        http.shutdown(grace: .seconds(5))
        workerDone.wait()
        say("server stopped")
    }

    /// The wake-up byte of a worker that ended with an error (signals are 1…64).
    private static let workerStopped: UInt8 = 250

    private func handle(_ received: HTTPRequest) -> HTTPResponse {
        var request = received
        if options.trustProxy { ForwardedRequest.apply(to: &request) }
        let started = Date()
        let response: HTTPResponse
        let route: String
        if let refusal = browserGuard.refusal(request) {
            response = refusal.response
            route = "refused"
            api.auditRefusal(request, refusal)
            say("\(request.method) \(LogText.abbreviated(request.target)) \(refusal.status.code) from \(request.remoteAddress): \(refusal.message)")
        } else if request.path == "/api" || request.path.hasPrefix("/api/") || request.path == "/metrics" {
            response = api.handle(request)
            route = api.pattern(for: request) ?? "unmatched"
            if request.method != "GET" && request.method != "HEAD" {
                say("\(request.method) \(LogText.abbreviated(request.target)) \(response.status.code) (\(String(format: "%.1f", Date().timeIntervalSince(started) * 1000)) ms)")
            }
        } else if request.method == "GET" || request.method == "HEAD", let page = web?.response(to: request) {
            response = page
            route = "web"
        } else {
            response = APIError(.notFound, "not_found", "nothing at \(request.path): the UI is at /, the API under /api and metrics at /metrics").response
            route = "unmatched"
        }
        api.requests.observe(route: route, method: request.method, status: response.status.code, seconds: Date().timeIntervalSince(started))
        var secured = response
        SecurityHeaders.add(to: &secured)
        return secured
    }

    private static func code(_ status: HTTPStatus) -> String {
        switch status.code {
        case 400: "bad_request"
        // An upload refused from its head: the codes the API answers its refusals with.
        case 401: BatonError.Code.unauthorized.apiCode
        case 403: BatonError.Code.forbidden.apiCode
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 408: "request_timeout"
        case 413: "payload_too_large"
        case 414: "uri_too_long"
        case 415: "unsupported_media_type"
        case 431: "headers_too_large"
        case 501: "not_implemented"
        case 503: "unavailable"
        case 505: "http_version_not_supported"
        default: status.code >= 500 ? "internal" : "bad_request"
        }
    }
}

/// The error a thread ended with, read by another.
private final class FailureBox: @unchecked Sendable {
    // @unchecked: `stored` is guarded by `lock`.
    private let lock = NSLock()
    private var stored: (any Error)?

    func set(_ error: any Error) { lock.withLock { stored = error } }
    var error: (any Error)? { lock.withLock { stored } }
}
