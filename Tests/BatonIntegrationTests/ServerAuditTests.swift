import BatonCore
import BatonHTTP
import Foundation
import Testing

/// The audit log through a real server: every change made through the API is one row, allowed or
/// refused, with who, what, where from and how it ended; logins and key administration too; admins
/// read it through the API, the CLI (local or remote) and the UI; no credential is ever in it.
@Suite(.timeLimit(.minutes(10)))
struct ServerAuditTests {
    @Test func everyChangeAllowedOrRefusedIsOneRowThatAdminsRead() async throws {
        let server = try await ServerProcess.withFixtures(["--no-worker"])
        defer { _ = server.stop() }
        let viewer = try ServerProcess.makeKey(server.sandbox, name: "dash", role: "viewer")
        #expect(try server.post("/api/deployments", #"{"flow": "hello", "name": "nightly", "cron": "0 3 * * *"}"#).status == 201)

        // Allowed, refused by role, refused for no credentials, and failed on its content.
        #expect(try server.post("/api/deployments/nightly/pause").status == 200)
        #expect(try server.request("POST", "/api/deployments/nightly/resume", headers: [("Authorization", "Bearer " + viewer)]).status == 403)
        #expect(try server.request("DELETE", "/api/cache", anonymous: true).status == 401)
        #expect(try server.request("DELETE", "/api/deployments/missing").status == 404)
        // A refused upload is recorded from its head.
        #expect(try server.request("POST", "/api/libraries?fileName=libX.so", headers: [("Content-Type", "application/octet-stream")], body: [1, 2], anonymous: true).status == 401)
        // A change from another origin is refused before any route, and recorded too.
        #expect(try server.request("DELETE", "/api/cache", headers: [("Origin", "http://attacker.example")]).status == 403)
        // Reads are not rows.
        #expect(try server.get("/api/flows").status == 200)

        let listed = try server.sandbox.baton("audit", "ls", "--json")
        #expect(listed.status == 0, "\(listed.stderr)")
        let rows = listed.json.arrayValue ?? []
        func row(_ action: String, target: String? = nil) -> JSONValue? {
            rows.first { $0["action"] == .string(action) && (target == nil || $0["target"] == .string(target!)) }
        }
        let adminKey = "key " + (try #require(server.sandbox.baton("key", "ls", "--json").json.arrayValue?.first { $0["role"] == .string("admin") }?["name"]?.stringValue))
        #expect(row("POST /api/deployments/{name}/pause")?["actor"] == .string(adminKey), "\(rows)")
        #expect(row("POST /api/deployments/{name}/pause")?["result"] == .string("ok"))
        #expect(row("POST /api/deployments/{name}/pause")?["target"] == .string("nightly"))
        #expect(row("POST /api/deployments/{name}/pause")?["address"] == .string("127.0.0.1"))
        #expect(row("POST /api/deployments/{name}/resume")?["actor"] == .string("key dash"))
        #expect(row("POST /api/deployments/{name}/resume")?["result"] == .string("denied: forbidden"))
        #expect(rows.contains { $0["action"] == .string("DELETE /api/cache") && $0["actor"] == nil && $0["result"] == .string("denied: unauthorized") })
        #expect(row("DELETE /api/deployments/{name}", target: "missing")?["result"] == .string("failed: not_found"))
        #expect(row("POST /api/libraries")?["target"] == .string("libX.so") && row("POST /api/libraries")?["result"] == .string("denied: unauthorized"))
        #expect(row("key create", target: "dash")?["result"] == .string("ok"), "key administration is audited")
        #expect(rows.contains { $0["action"] == .string("DELETE /api/cache") && $0["result"] == .string("denied: cross_origin") }, "\(rows)")
        #expect(!rows.contains { $0["action"]?.stringValue?.hasPrefix("GET ") == true }, "reads are not rows")
        #expect(rows.first?["id"]?.intValue ?? 0 > rows.last?["id"]?.intValue ?? 0, "newest first")

        // Admins read it through the API; others may not.
        #expect(try server.request("GET", "/api/audit", headers: [("Authorization", "Bearer " + viewer)]).status == 403)
        let api = try server.get("/api/audit?actor=key%20dash")
        #expect(api.status == 200 && api.json["entries"]?.arrayValue?.count == 1, "\(api)")
        // The remote CLI reads the same rows.
        let remote = try Sandbox().baton("audit", "ls", "--actor", "key dash", environment: server.remote)
        #expect(remote.status == 0 && remote.stdout.contains("denied: forbidden"), "\(remote)")
        let bad = try server.sandbox.baton("audit", "ls", "--since", "yesterday")
        #expect(bad.status == 2 && bad.stderr.contains("--since 'yesterday' is not valid: expected an ISO 8601 time"), "\(bad)")

        // No credential is ever in the log, nor anywhere in the store's bytes.
        let store = try Data(contentsOf: URL(fileURLWithPath: server.sandbox.home + "/baton.db"))
        for secret in [viewer, server.apiKey ?? "none"] {
            #expect(store.range(of: Data(secret.utf8)) == nil, "a key is in the store's bytes")
            #expect(!listed.stdout.contains(secret))
        }
    }

    @Test func loginsAreRowsAndThePasswordIsNot() async throws {
        let server = try await ServerProcess.start(try Sandbox(), ["--no-worker"])
        defer { _ = server.stop() }
        #expect(try server.sandbox.baton("user", "create", "ada", "--admin", "--password-stdin", input: "correct horse\n").status == 0)
        for password in ["wrong horse", "correct horse"] {
            _ = try server.request(
                "POST", "/api/login", headers: [("Content-Type", "application/json")],
                body: Array(#"{"user": "ada", "password": "\#(password)"}"#.utf8), anonymous: true)
        }
        let rows = try server.get("/api/audit").json["entries"]?.arrayValue ?? []
        let logins = rows.filter { $0["action"] == .string("POST /api/login") }
        #expect(logins.map { $0["result"]?.stringValue ?? "" } == ["ok", "denied: unauthorized"], "\(rows)")
        #expect(logins.first?["actor"] == .string("ada") && logins.last?["actor"] == nil && logins.last?["target"] == .string("ada"))
        #expect(!String(describing: rows).contains("horse"), "no password in the log")
        #expect(rows.contains { $0["action"] == .string("user create") && $0["target"] == .string("ada") })
    }

    @Test func forwardedHeadersAreBelievedOnlyWithTrustProxy() async throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.baton("user", "create", "ada", "--password-stdin", input: "correct horse\n").status == 0)
        let forwarded = [("X-Forwarded-For", "198.51.100.7, 203.0.113.9"), ("X-Forwarded-Proto", "https"), ("Content-Type", "application/json")]
        let login = Array(#"{"user": "ada", "password": "correct horse"}"#.utf8)
        for trusted in [false, true] {
            let server = try await ServerProcess.start(sandbox, ["--no-worker"] + (trusted ? ["--trust-proxy"] : []))
            let reply = try server.request("POST", "/api/login", headers: forwarded, body: login, anonymous: true)
            #expect(reply.status == 200, "\(reply)")
            let cookie = reply.headers.values("Set-Cookie").first ?? ""
            #expect(cookie.contains("; Secure") == trusted, "\(cookie)")
            let row = try server.get("/api/audit?actor=ada&limit=1").json["entries"]?.arrayValue?.first
            #expect(row?["address"] == .string(trusted ? "203.0.113.9" : "127.0.0.1"), "the proxy's last hop names the client: \(String(describing: row))")
            #expect(server.stop() == 0)
        }
        // Something that is not an address is not believed.
        let server = try await ServerProcess.start(sandbox, ["--no-worker", "--trust-proxy"])
        defer { _ = server.stop() }
        _ = try server.request("POST", "/api/login", headers: [("X-Forwarded-For", "evil.example"), ("Content-Type", "application/json")], body: login, anonymous: true)
        #expect(try server.get("/api/audit?actor=ada&limit=1").json["entries"]?.arrayValue?.first?["address"] == .string("127.0.0.1"))
    }

    @Test func whatTheLocalCommandLineChangesIsRecordedAsTheAccountThatDidIt() async throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows")).status == 0)
        let account = ["USER": "ops-account"]
        #expect(try sandbox.baton("run", "hello", environment: account).status == 0)
        #expect(try sandbox.baton("deployment", "create", "hello", "--name", "nightly", "--cron", "0 3 * * *", environment: account).status == 0)
        #expect(try sandbox.baton("deployment", "pause", "nightly", environment: account).status == 0)
        #expect(try sandbox.baton("limit", "set", "db", "2", environment: account).status == 0)
        #expect(try sandbox.baton("deployment", "pause", "missing", environment: account).status != 0)
        let rows = try sandbox.baton("audit", "ls", "--actor", "ops-account", "--json").json.arrayValue ?? []
        let seen = rows.map { "\($0["action"]?.stringValue ?? "") \($0["target"]?.stringValue ?? "") \($0["result"]?.stringValue ?? "")" }
        #expect(seen == [
            "deployment pause missing failed: not_found", "limit set db ok", "deployment pause nightly ok", "deployment create nightly ok",
            "run create hello ok",
        ], "\(seen)")
        #expect(rows.allSatisfy { $0["address"] == nil && $0["project"] == .string("default") })
        // Reading records nothing.
        #expect(try sandbox.baton("run", "ls", environment: account).status == 0)
        #expect(try sandbox.baton("audit", "ls", "--actor", "ops-account", "--json").json.arrayValue?.count == rows.count)
    }
}
