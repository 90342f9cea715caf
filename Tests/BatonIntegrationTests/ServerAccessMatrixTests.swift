import BatonCore
import BatonHTTP
import BatonServices
import BatonStore
import Foundation
import Testing

/// Every operation of the server's own OpenAPI document, tried as an attacker and as each role
/// would: with no credentials, malformed ones, an unknown, a revoked and an expired key, a key of
/// each role, and login sessions of a viewer and of a user with no role. Each answer must be the one
/// the document declares: 401 without valid credentials, 403 below the operation's
/// `x-baton-permission`, and otherwise one of its declared statuses, never 401 or 403.
@Suite(.timeLimit(.minutes(10)))
struct ServerAccessMatrixTests {
    /// Who asks: the headers they send, and the role they hold (nil: no valid credentials).
    struct Credential {
        var label: String
        var headers: [(String, String)]
        var role: Role?
        /// A login session's CSRF token, which its changes carry (nil for keys and nobody).
        var csrf: String?
        /// A session user who is a member of no project: refused (403) where a role is needed.
        var noRole = false
    }

    /// Makes every kind of credential on `server`'s store.
    func credentials(_ server: ServerProcess) async throws -> [Credential] {
        let sandbox = server.sandbox
        var all: [Credential] = [
            Credential(label: "nobody", headers: [], role: nil),
            Credential(label: "not bearer", headers: [("Authorization", "Basic YWRtaW46YWRtaW4=")], role: nil),
            Credential(label: "empty bearer", headers: [("Authorization", "Bearer ")], role: nil),
            Credential(label: "huge token", headers: [("Authorization", "Bearer baton_" + String(repeating: "a", count: 6000))], role: nil),
            Credential(label: "unknown key", headers: [("Authorization", "Bearer baton_" + String(repeating: "b", count: 40))], role: nil),
            Credential(label: "forged cookie", headers: [("Cookie", "baton_session=" + String(repeating: "c", count: 64))], role: nil),
        ]
        for role in Role.allCases {
            let key = try ServerProcess.makeKey(sandbox, name: "matrix-\(role.rawValue)", role: role.rawValue)
            all.append(Credential(label: "\(role.rawValue) key", headers: [("Authorization", "Bearer " + key)], role: role))
        }
        let revoked = try ServerProcess.makeKey(sandbox, name: "revoked", role: "admin")
        #expect(try sandbox.baton("key", "revoke", "revoked").status == 0)
        all.append(Credential(label: "revoked admin key", headers: [("Authorization", "Bearer " + revoked)], role: nil))
        // A key made two days ago that lasted one day.
        let home = BatonHome(path: sandbox.home)
        let then = Date().addingTimeInterval(-2 * 86_400)
        let expired = try Services(store: try SQLiteStore(home: home), home: home, options: ServiceOptions(now: { then })).access
            .createKey(name: "expired", project: ProjectNames.default, role: .admin, expiresInDays: 1, .storeOwner())
        all.append(Credential(label: "expired admin key", headers: [("Authorization", "Bearer " + expired.key)], role: nil))

        // Login sessions, started with one-time links: a viewer of the default project, and a user
        // who belongs to no project.
        #expect(try sandbox.baton("user", "create", "vera").status == 0)
        #expect(try sandbox.baton("project", "member", "add", "default", "vera", "--role", "viewer").status == 0)
        #expect(try sandbox.baton("user", "create", "nora").status == 0)
        for (user, noRole) in [("vera", false), ("nora", true)] {
            let link = try sandbox.baton("user", "link", user).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let token = String(try #require(link.split(separator: "=").last))
            let login = try server.request(
                "POST", "/api/login/link", headers: [("Content-Type", "application/json")], body: Array(#"{"token": "\#(token)"}"#.utf8), anonymous: true)
            #expect(login.status == 200, "\(login)")
            let cookie = try #require(login.headers.values("Set-Cookie").first?.split(separator: ";").first.map(String.init))
            all.append(
                Credential(
                    label: "\(user)'s session", headers: [("Cookie", cookie)], role: noRole ? nil : .viewer, csrf: login.json["csrf"]?.stringValue,
                    noRole: noRole))
        }
        return all
    }

    @Test func everyOperationAnswersEachCallerAsTheDocumentDeclares() async throws {
        let server = try await ServerProcess.withFixtures(["--no-worker"])
        defer { _ = server.stop() }
        // What the operations act on: a run, its task run, a deployment, a limit.
        let run = try server.createRun(#"{"flow": "hello"}"#)
        let runID = try #require(run["id"]?.stringValue)
        #expect(try server.post("/api/deployments", #"{"flow": "hello", "name": "matrix", "interval": 3600}"#).status == 201)
        #expect(try server.send("PUT", "/api/limits/matrix", json: #"{"slots": 1}"#).status == 200)

        let callers = try await credentials(server)
        let document = try server.get("/api/openapi.json").json
        var tried = 0
        for (path, item) in (document["paths"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            for (method, operation) in (item.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                let method = method.uppercased()
                let declared = Set((operation["responses"]?.objectValue ?? [:]).keys.compactMap(Int.init))
                let permission = operation["x-baton-permission"]?.stringValue.flatMap(Permission.init(rawValue:))
                let open = operation["security"]?.arrayValue?.isEmpty == true
                #expect(open == (permission == nil), "\(method) \(path): open operations, and only they, name no permission")
                for caller in callers {
                    // The live event stream does not end: its refusals are tried here, its streams below.
                    if path == "/api/events" && caller.role != nil && !caller.noRole { continue }
                    let target = Self.target(method, path, runID: runID)
                    // Logging out would end the session the rest of the walk uses: it is tried without it.
                    var headers = path == "/api/logout" ? [] : caller.headers
                    if let csrf = caller.csrf { headers.append(("X-CSRF-Token", csrf)) }
                    let (contentType, body) = Self.body(method, path, caller: caller.label)
                    if let contentType { headers.append(("Content-Type", contentType)) }
                    let reply = try server.request(method, target, headers: headers, body: body, anonymous: true)
                    tried += 1
                    let context: Comment = "\(caller.label): \(method) \(target) → \(reply)"
                    #expect(declared.contains(reply.status), "undeclared status: \(context)")
                    guard let permission else {
                        #expect(reply.status != 403, context)
                        continue
                    }
                    if let role = caller.role {
                        if role.permission >= permission {
                            #expect(reply.status != 401 && reply.status != 403, context)
                        } else {
                            #expect(reply.status == 403 && reply.error == "forbidden", context)
                            #expect(reply.message.contains("may not"), context)
                        }
                    } else if caller.noRole {
                        #expect(reply.status == 403 && reply.message.contains("has no role in project 'default'"), context)
                    } else {
                        #expect(reply.status == 401 && reply.error == "unauthorized", context)
                        #expect(reply.headers["WWW-Authenticate"] == "Bearer", context)
                        #expect(!reply.text.contains("baton_aaaa") && !reply.text.contains("baton_bbbb"), "the key is not echoed: \(context)")
                    }
                }
            }
        }
        #expect(tried > 500, "\(tried) requests")

        // A stream for each caller who may read, refused for the others above.
        for caller in callers where caller.role != nil {
            let client = try HTTPClient(baseURL: server.baseURL)
            client.headers = caller.headers
            var saw = false
            try client.events("/api/events") { event in
                saw = event.event == "hello"
                return false
            }
            #expect(saw, "\(caller.label) gets the live events")
        }
        // Nothing a refused caller tried was done: the deployment and the limit are as made.
        #expect(try server.get("/api/deployments/matrix").json["name"] == .string("matrix"))
        #expect(try server.get("/api/limits").json["limits"]?.arrayValue?.contains { $0["tag"] == .string("matrix") } == true)
        #expect(try server.get("/api/flows/hello").json["latestVersion"] == .int(1), "no library was registered")
    }

    /// `path` with its parameters filled: the run made for the test, the fixture flow `hello` and
    /// its version 1, the deployment and limit `matrix`. A deletion names a deployment or limit that
    /// does not exist (404 for those allowed), so that the others still find `matrix`.
    static func target(_ method: String, _ path: String, runID: String) -> String {
        var target = path
        let deleting = method == "DELETE"
        for (name, value) in [
            ("flow", "hello"), ("version", "1"), ("other", "1"), ("id", runID), ("tag", deleting ? "gone" : "matrix"),
            ("name", deleting ? "gone" : "matrix"), ("run", runID), ("sha256", String(repeating: "0", count: 64)),
        ] {
            target = target.replacingOccurrences(of: "{\(name)}", with: value)
        }
        if path.hasPrefix("/api/task-runs/") { target = "/api/task-runs/" + runID }
        return target
    }

    /// A body each changing operation takes (its content need not succeed: the status must be declared).
    static func body(_ method: String, _ path: String, caller: String) -> (String?, [UInt8]) {
        let slug = caller.replacingOccurrences(of: "[^a-z]", with: "-", options: .regularExpression)
        let json: String? = switch (method, path) {
        case ("GET", _), ("HEAD", _), ("DELETE", _): nil
        case ("POST", "/api/libraries"): nil
        case ("POST", "/api/flow-runs"): #"{"flow": "hello"}"#
        case ("POST", "/api/deployments"): #"{"flow": "hello", "name": "m-\#(slug)", "interval": 3600}"#
        case ("PUT", "/api/limits/{tag}"): #"{"slots": 2}"#
        case ("POST", "/api/deployments/{name}/backfill"): #"{"from": "2026-01-01T00:00:00Z", "to": "2026-01-01T03:00:00Z"}"#
        case ("POST", "/api/login"): #"{"user": "nobody-\#(slug)", "password": "not the password"}"#
        case ("POST", "/api/login/link"): #"{"token": "\#(String(repeating: "d", count: 64))"}"#
        case ("POST", "/api/workers"): #"{"name": "w-\#(slug)", "host": "elsewhere", "processStart": "1"}"#
        case ("POST", "/api/workers/{id}/runs/{run}/supervisor"): #"{"host": "elsewhere", "processStart": "1"}"#
        case ("POST", "/api/workers/{id}/runs/{run}/cache"): #"{"key": "k"}"#
        case ("POST", "/api/workers/{id}/runs/{run}/slots"): #"{"tags": ["matrix"], "taskRun": "t"}"#
        case ("POST", "/api/workers/{id}/runs/{run}/end"): #"{"state": "crashed"}"#
        case ("POST", "/api/workers/{id}/runs/{run}/values"): #"{"kind": "secret", "name": "matrix"}"#
        case ("PUT", "/api/secrets/{name}"), ("PUT", "/api/variables/{name}"): #"{"value": "v-\#(slug)"}"#
        case ("POST", "/api/channels"): #"{"name": "c-\#(slug)", "kind": "webhook", "url": "http://127.0.0.1:9/hook"}"#
        case ("POST", "/api/automations"):
            #"{"name": "a-\#(slug)", "trigger": {"kind": "state", "states": ["failed"]}, "actions": [{"kind": "cancel-run"}]}"#
        case ("POST", "/api/webhooks"): #"{"name": "w-\#(slug)", "deployment": "matrix"}"#
        default: "{}"
        }
        if method == "POST" && path == "/api/libraries" { return ("application/octet-stream", Array("not a library".utf8)) }
        // An empty batch of run events, in the encoding workers send.
        if method == "POST" && path.hasSuffix("/events") { return ("application/octet-stream", [1, 0, 0, 0, 0]) }
        return (json.map { _ in "application/json" }, json.map { Array($0.utf8) } ?? [])
    }
}
