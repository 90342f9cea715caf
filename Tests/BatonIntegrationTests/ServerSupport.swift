import BatonCore
import BatonHTTP
import BatonStore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `baton server start --port 0` as a real process on a sandbox's store, and the requests tests make
/// of it. Tests wait for what the server says (its "ready" line, a run's events), never for time.
///
/// `@unchecked Sendable`: every field is set in `init` and only read afterwards; the process and the
/// sandbox are used only through their own thread-safe operations.
final class ServerProcess: @unchecked Sendable {
    let sandbox: Sandbox
    let process: WatchedProcess
    /// `http://127.0.0.1:PORT`, or `https://…` for a server started with `--tls-cert`.
    let baseURL: String
    let port: Int
    /// An admin key of the sandbox's store that the test's requests carry (nil under `--no-auth`).
    let apiKey: String?
    /// The CA certificates the requests below trust over HTTPS; nil for the system's.
    let caFile: String?

    private init(sandbox: Sandbox, process: WatchedProcess, baseURL: String, port: Int, apiKey: String?, caFile: String?) {
        self.sandbox = sandbox
        self.process = process
        self.baseURL = baseURL
        self.port = port
        self.apiKey = apiKey
        self.caFile = caFile
    }

    /// The `Authorization` header of the test's admin key, or none.
    var credentials: [(String, String)] { apiKey.map { [("Authorization", "Bearer " + $0)] } ?? [] }

    /// What the remote CLI needs to speak to this server as the test's admin.
    var remote: [String: String] { ["BATON_API_URL": baseURL].merging(apiKey.map { ["BATON_API_KEY": $0] } ?? [:]) { a, _ in a } }

    /// A connection to the server whose requests carry the test's admin key.
    func client() throws -> HTTPClient {
        let client = try HTTPClient(baseURL: baseURL, caFile: caFile)
        client.headers = credentials
        return client
    }

    /// A key of the sandbox's store made with the CLI, as `baton key create --json` prints it.
    static func makeKey(
        _ sandbox: Sandbox, name: String, role: String = "admin", project: String = "default", extra: [String] = [], environment: [String: String] = [:]
    ) throws -> String {
        let made = try sandbox.batonArguments(["key", "create", "--name", name, "--role", role, "--project", project, "--json"] + extra, environment: environment)
        guard made.status == 0, let key = (try? JSONValue(json: Array(made.stdout.utf8)))?["key"]?.stringValue else {
            throw ServerFailure(description: "baton key create failed: \(made.stderr)")
        }
        return key
    }

    /// A one-time link that logs a browser in as a server admin of the sandbox's store.
    func loginURL() throws -> String {
        let user = "tester"
        if try sandbox.baton("user", "ls", "--json").stdout.contains("\"\(user)\"") == false {
            let created = try sandbox.baton("user", "create", user, "--admin")
            guard created.status == 0 else { throw ServerFailure(description: "baton user create failed: \(created.stderr)") }
        }
        let link = try sandbox.baton("user", "link", user, "--url", baseURL)
        guard link.status == 0 else { throw ServerFailure(description: "baton user link failed: \(link.stderr)") }
        return link.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Starts a server on `sandbox` and waits for its ready line; `caFile` is what requests to an
    /// HTTPS server (`--tls-cert` among `arguments`) trust. Unless started with `--no-auth`, the
    /// test's requests carry an admin key made first.
    /// `port` 0 takes a free one; `environment` is the server's and its key's (`BATON_DATABASE_URL`).
    static func start(
        _ sandbox: Sandbox, _ arguments: [String] = [], caFile: String? = nil, port: Int = 0, environment: [String: String] = [:]
    ) async throws -> ServerProcess {
        let apiKey =
            arguments.contains("--no-auth")
            ? nil : try makeKey(sandbox, name: "tests-\(UUID().uuidString.prefix(8).lowercased())", environment: environment)
        let process = try WatchedProcess(sandbox, ["server", "start", "--port", "\(port)"] + arguments, environment: environment)
        let ready = await process.line(containing: "Baton is ready")
        guard let ready, let range = ready.range(of: #"https?://127\.0\.0\.1:[0-9]+"#, options: .regularExpression),
            let port = Int(ready[range].split(separator: ":").last ?? "")
        else {
            process.process.terminate()
            _ = process.wait()
            throw ServerFailure(description: "the server did not get ready:\n\(process.output)")
        }
        return ServerProcess(sandbox: sandbox, process: process, baseURL: String(ready[range]), port: port, apiKey: apiKey, caFile: caFile)
    }

    /// A server on a new sandbox where the fixture library is registered.
    static func withFixtures(_ arguments: [String] = []) async throws -> ServerProcess {
        let sandbox = try Sandbox()
        let registered = try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows"))
        try #require(registered.status == 0, "\(registered.stderr)")
        return try await start(sandbox, arguments)
    }

    deinit {
        // A test that failed before stopping its server must not leave it running.
        if process.process.isRunning {
            process.process.terminate()
            _ = process.wait()
        }
    }

    /// Stops the server with SIGTERM, as a service manager does, and returns its exit status.
    func stop() -> Int32 {
        if process.process.isRunning { process.process.terminate() }
        return process.wait()
    }

    var output: String { process.output }

    // MARK: Requests

    /// Sends one request on a connection of its own, with the test's admin key unless the request
    /// carries credentials of its own or `anonymous`.
    func request(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = [], anonymous: Bool = false) throws -> APIReply {
        let client = try HTTPClient(baseURL: baseURL, caFile: caFile)
        if !anonymous && !headers.contains(where: { ["authorization", "cookie"].contains($0.0.lowercased()) }) { client.headers = credentials }
        let response = try client.request(method, target, headers: headers, body: body)
        return APIReply(status: response.status, headers: response.headers, body: response.body)
    }

    func get(_ target: String) throws -> APIReply { try request("GET", target) }

    /// Waits, woken by the run's live events (never polling), until run `id` is over; its state type.
    func waitForEnd(of id: String) async throws -> String {
        try await onThread {
            var state = ""
            try self.client().events("/api/events?flowRun=\(id)") { event in
                if event.event == "hello" || event.event == "flow_run" { state = try self.get("/api/flow-runs/\(id)").json["state"]?.stringValue ?? "" }
                return !["completed", "failed", "crashed", "cancelled"].contains(state)
            }
            return state
        }
    }

    /// A request with a JSON body given as text.
    func send(_ method: String, _ target: String, json: String) throws -> APIReply {
        try request(method, target, headers: [("Content-Type", "application/json")], body: Array(json.utf8))
    }

    func post(_ target: String, _ json: String = "") throws -> APIReply {
        try (json.isEmpty ? request("POST", target) : send("POST", target, json: json))
    }

    /// Uploads a library's bytes as `POST /api/libraries` takes them.
    func upload(_ bytes: [UInt8], fileName: String, label: String? = nil) throws -> APIReply {
        let query = "fileName=\(fileName)" + (label.map { "&label=\($0)" } ?? "")
        return try request("POST", "/api/libraries?\(query)", headers: [("Content-Type", "application/octet-stream")], body: bytes)
    }

    /// Creates a run through the API and returns it, failing the test unless it was created.
    func createRun(_ json: String) throws -> JSONValue {
        let reply = try post("/api/flow-runs", json)
        try #require(reply.status == 201, "POST /api/flow-runs \(json): \(reply)")
        return reply.json
    }

    // MARK: Live events

    /// Follows `target` (an `/api/events` URL) on a thread of its own: calls `subscribed` once the
    /// server has registered the subscription (its `hello` event), which may end the stream at once by
    /// returning true, then hands each event with those before it to `done` until that returns true.
    /// Returns every event received, `hello` excluded.
    ///
    /// A server that never sends what the test waits for is stopped after `limit` seconds, which ends
    /// the stream: a safety net for a failing test, not a synchronisation.
    func events(
        _ target: String, limit: Double = 240, subscribed: @escaping @Sendable () throws -> Bool = { false },
        until done: @escaping @Sendable (ServerSentEvent, [ServerSentEvent]) throws -> Bool
    ) async throws -> [ServerSentEvent] {
        let pid = process.process.processIdentifier
        let (baseURL, caFile, credentials) = (baseURL, caFile, credentials)
        let watchdog = DispatchWorkItem { kill(pid, SIGTERM) }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: watchdog)
        defer { watchdog.cancel() }
        let (events, finished) = try await onThread { () throws -> ([ServerSentEvent], Bool) in
            let client = try HTTPClient(baseURL: baseURL, caFile: caFile)
            client.headers = credentials
            var events: [ServerSentEvent] = []
            var finished = false
            try client.events(target) { event in
                if event.event == "hello" && events.isEmpty {
                    finished = try subscribed()
                } else {
                    events.append(event)
                    finished = try done(event, events)
                }
                return !finished
            }
            return (events, finished)
        }
        guard finished else {
            throw ServerFailure(
                description: "the events of \(target) ended before the test saw what it waited for (\(events.count) events):\n"
                    + output.suffix(3000))
        }
        return events
    }

    /// Waits until run `id` is in a final state; returns it as `GET /api/flow-runs/{id}` then shows it.
    @discardableResult
    func finished(_ id: String) async throws -> JSONValue {
        try await reached(id, where: isFinal)
    }

    /// Waits until run `id` as `GET /api/flow-runs/{id}` shows it satisfies `condition`, asking again
    /// each time the store's change bell rings (any committed write, by any process) and at least
    /// every second; gives up after `limit` seconds as a bound on a failing test. It does not depend
    /// on the live-events feed, which ServerEventsTests test on their own.
    @discardableResult
    func reached(_ id: String, limit: Double = 240, where condition: @escaping @Sendable (JSONValue) -> Bool) async throws -> JSONValue {
        let home = sandbox.home
        return try await onThread { [self] in
            let bell = try SQLiteStore(home: BatonHome(path: home)).changeDoorbell()
            let deadline = Date().addingTimeInterval(limit)
            var run = try get("/api/flow-runs/\(id)").json
            while !condition(run) {
                guard Date() < deadline else {
                    throw ServerFailure(description: "run \(id) did not get where the test waited for in \(Int(limit)) s: \(run)\n" + output.suffix(3000))
                }
                var entry = pollfd(fd: bell.fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&entry, 1, 1000)
                _ = bell.drain()
                run = try get("/api/flow-runs/\(id)").json
            }
            return run
        }
    }

    /// Checks the run's state history, oldest first, by name.
    func expectHistory(_ id: String, _ expected: [String], _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) throws {
        let history = try stateNames(id)
        #expect(history == expected, "run \(id): \(history) \(comment)", sourceLocation: sourceLocation)
    }

    /// The run's state history, oldest first, by name.
    func stateNames(_ id: String) throws -> [String] {
        try get("/api/flow-runs/\(id)/states").json["states"]?.stateNames ?? []
    }
}

/// Whether a run as the API shows it is in a final state.
func isFinal(_ run: JSONValue) -> Bool {
    ["completed", "failed", "crashed", "cancelled"].contains(run["state"]?.stringValue ?? "")
}

/// What the API answered.
struct APIReply: CustomStringConvertible {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    /// The body as JSON; null when it is not.
    var json: JSONValue { (try? JSONValue(json: body)) ?? .null }
    /// The `error` code of an error body.
    var error: String? { json["error"]?.stringValue }
    var message: String { json["message"]?.stringValue ?? "" }
    var field: String? { json["field"]?.stringValue }
    var description: String { "\(status) \(text.prefix(600))" }
}

struct ServerFailure: Error, CustomStringConvertible {
    let description: String
}

/// A value several threads read and write under a lock.
final class Locked<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `stored` is only touched under `lock`.
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// Runs blocking work (a socket read, an event stream) on a thread of its own, so that it does not
/// hold one of the few threads of Swift's cooperative pool.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

/// The fixture library's bytes, and the same bytes with padding appended: a different file (another
/// SHA-256, so another version) whose code is identical.
func fixtureBytes(padded: Bool = false) async throws -> [UInt8] {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: try await Builds.shared.fixture("FixtureFlows"))))
    return padded ? bytes + Array("baton-test padding".utf8) : bytes
}

/// Events of one type, their data parsed.
func payloads(_ events: [ServerSentEvent], _ type: String) -> [JSONValue] {
    events.filter { $0.event == type }.compactMap { try? JSONValue(json: $0.data) }
}

extension Chromium {
    /// Logs the browser in to `server` as a server admin of its store, through a one-time login
    /// link; pages opened afterwards share the session's cookie.
    func logIn(to server: ServerProcess) throws {
        let page = try open(try server.loginURL())
        try page.waitFor(#"document.body.dataset.ready === "dashboard""#)
    }
}
