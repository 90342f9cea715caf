import BatonCore
import Foundation
import Testing

/// API keys on a real server, tried as their holders and as an attacker would: a key is honoured
/// as its role, and any key that is not valid is refused with 401, through the API and the remote
/// CLI (`BATON_API_KEY`). (Requests without credentials are still let through: the server requires
/// them once the UI can log in.)
@Suite(.timeLimit(.minutes(10)))
struct ServerAPIKeyTests {
    func key(_ sandbox: Sandbox, _ name: String, _ role: String) throws -> String {
        try ServerProcess.makeKey(sandbox, name: name, role: role)
    }

    @Test func eachKeyMayDoWhatItsRoleAllowsAndNoMore() async throws {
        let server = try await ServerProcess.withFixtures()
        defer { _ = server.stop() }
        let viewer = try key(server.sandbox, "dash", "viewer")
        let operatorKey = try key(server.sandbox, "ops", "operator")
        let developer = try key(server.sandbox, "ci", "developer")
        func call(_ method: String, _ target: String, _ key: String, json: String = "") throws -> APIReply {
            try server.request(
                method, target, headers: [("Authorization", "Bearer " + key), ("Content-Type", "application/json")], body: Array(json.utf8))
        }

        #expect(try call("GET", "/api/flows", viewer).status == 200)
        let run = try call("POST", "/api/flow-runs", viewer, json: #"{"flow": "hello"}"#)
        #expect(run.status == 403 && run.json["error"] == .string("forbidden"), "\(run)")
        #expect(run.json["message"]?.stringValue?.contains("API key 'dash' is viewer in project 'default': it may not run") == true)
        #expect(try call("PUT", "/api/limits/api", viewer, json: #"{"slots": 1}"#).status == 403)
        let upload = try server.request(
            "POST", "/api/libraries?fileName=libX.so",
            headers: [("Authorization", "Bearer " + operatorKey), ("Content-Type", "application/octet-stream")], body: Array("not a library".utf8))
        #expect(upload.status == 403, "registering needs developer: \(upload)")

        let started = try call("POST", "/api/flow-runs", operatorKey, json: #"{"flow": "hello"}"#)
        #expect(started.status == 201, "\(started)")
        #expect(try call("PUT", "/api/limits/api", operatorKey, json: #"{"slots": 1}"#).status == 403)
        #expect(try call("PUT", "/api/limits/api", developer, json: #"{"slots": 1}"#).status == 200)
        #expect(try server.get("/api/limits").json["limits"]?.arrayValue?.count == 1, "only the developer's change")

        let keys = try server.sandbox.baton("key", "ls", "--json").json.arrayValue ?? []
        #expect(keys.allSatisfy { $0["lastUsedAt"] != nil }, "each key's use is recorded: \(keys)")
    }

    @Test func aKeyThatIsNotValidIsRefusedWith401OnEveryKindOfRoute() async throws {
        let server = try await ServerProcess.start(try Sandbox())
        defer { _ = server.stop() }
        let revoked = try key(server.sandbox, "old", "admin")
        #expect(try server.sandbox.baton("key", "revoke", "old").status == 0)
        let unknown = "baton_" + String(repeating: "a", count: 40)
        for header in ["Bearer " + revoked, "Bearer " + unknown, "Bearer nonsense", "Basic YWRhOnB3", "Bearer"] {
            for (method, target) in [("GET", "/api/flows"), ("POST", "/api/flow-runs"), ("PUT", "/api/limits/api"), ("DELETE", "/api/cache")] {
                let reply = try server.request(method, target, headers: [("Authorization", header), ("Content-Type", "application/json")], body: Array("{}".utf8))
                #expect(reply.status == 401, "\(header) \(method) \(target): \(reply)")
                #expect(reply.headers["WWW-Authenticate"] == "Bearer")
                #expect(!reply.text.contains(revoked) && !reply.text.contains(unknown), "the key is never echoed")
            }
        }
        #expect(try server.get("/api/limits").json["limits"]?.arrayValue?.isEmpty == true, "nothing changed")
        let openAPI = try server.get("/api/openapi.json").json
        #expect(openAPI["paths"]?["/api/flows"]?["get"]?["responses"]?["401"] != nil, "the document lists 401")
    }

    @Test func theRemoteCLICarriesBATON_API_KEY() async throws {
        let server = try await ServerProcess.withFixtures()
        defer { _ = server.stop() }
        let viewer = try key(server.sandbox, "dash", "viewer")
        let other = try Sandbox()
        let api = ["BATON_API_URL": server.baseURL]
        let listed = try other.baton("flow", "ls", environment: api.merging(["BATON_API_KEY": viewer]) { $1 })
        #expect(listed.status == 0 && listed.stdout.contains("hello"), "\(listed)")
        let refused = try other.baton("run", "hello", environment: api.merging(["BATON_API_KEY": viewer]) { $1 })
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains("API key 'dash' is viewer in project 'default': it may not run"), "\(refused.stderr)")
        let wrong = try other.baton("flow", "ls", environment: api.merging(["BATON_API_KEY": "baton_" + String(repeating: "b", count: 40)]) { $1 })
        #expect(wrong.status == 2 && wrong.stderr.contains("the API key is not valid"), "\(wrong)")
        #expect(wrong.stderr.split(separator: "\n").count == 1, "\(wrong.stderr)")
    }

    @Test func batonLoginSavesACheckedKeyPrivatelyAndCommandsThroughTheServerSendIt() async throws {
        let server = try await ServerProcess.withFixtures(["--no-worker"])
        defer { _ = server.stop() }
        let viewer = try key(server.sandbox, "laptop", "viewer")
        let other = try Sandbox()
        let config = other.directory + "/config"
        let env = ["XDG_CONFIG_HOME": config]
        let file = config + "/baton/credentials.json"

        // A key the server refuses is not saved.
        let wrong = try other.baton("login", server.baseURL, "--key-stdin", environment: env, input: "baton_" + String(repeating: "z", count: 40) + "\n")
        #expect(wrong.status == 2 && wrong.stderr.contains("the API key is not valid"), "\(wrong)")
        #expect(!FileManager.default.fileExists(atPath: file))
        let empty = try other.baton("login", server.baseURL, "--key-stdin", environment: env, input: "\n")
        #expect(empty.status == 2 && empty.stderr.contains("--key-stdin read no key"), "\(empty)")

        let saved = try other.baton("login", server.baseURL, "--key-stdin", environment: env, input: viewer + "\n")
        #expect(saved.status == 0 && saved.stdout.contains("as key 'laptop' (viewer in project 'default')"), "\(saved)")
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600, "\(String(describing: mode))")
        #expect(try FileManager.default.attributesOfItem(atPath: config + "/baton")[.posixPermissions] as? Int == 0o700)

        // Commands through that server send it; BATON_API_KEY goes first.
        let listed = try other.baton("flow", "ls", environment: env.merging(["BATON_API_URL": server.baseURL]) { $1 })
        #expect(listed.status == 0 && listed.stdout.contains("hello"), "\(listed)")
        let overridden = try other.baton(
            "flow", "ls", environment: env.merging(["BATON_API_URL": server.baseURL, "BATON_API_KEY": "baton_" + String(repeating: "y", count: 40)]) { $1 })
        #expect(overridden.status == 2, "\(overridden)")

        let out = try other.baton("logout", server.baseURL + "/", environment: env)
        #expect(out.status == 0 && out.stdout.contains("Forgot the key"), "\(out)")
        let after = try other.baton("flow", "ls", environment: env.merging(["BATON_API_URL": server.baseURL]) { $1 })
        #expect(after.status == 2 && after.stderr.contains("requires credentials"), "\(after)")
        let nowhere = try other.baton("login", "--key-stdin", environment: env, input: viewer + "\n")
        #expect(nowhere.status == 2 && nowhere.stderr.contains("no server given"), "\(nowhere)")
    }

    @Test func aKeyOfADisabledUserLetsNobodyInUntilTheyAreEnabledAgain() async throws {
        let server = try await ServerProcess.start(try Sandbox(), ["--no-worker"])
        defer { _ = server.stop() }
        #expect(try server.sandbox.baton("user", "create", "ada").status == 0)
        let made = try server.sandbox.baton("key", "create", "--name", "adas", "--role", "viewer", "--user", "ada", "--json")
        let key = try #require(made.json["key"]?.stringValue, "\(made)")
        #expect(made.json["user"] == .string("ada"))
        let auth = [("Authorization", "Bearer " + key)]
        #expect(try server.request("GET", "/api/flows", headers: auth).status == 200)
        #expect(try server.sandbox.baton("user", "disable", "ada").status == 0)
        let refused = try server.request("GET", "/api/flows", headers: auth)
        #expect(refused.status == 401 && refused.message == "API key 'adas' belongs to user 'ada', who is disabled", "\(refused)")
        #expect(try server.sandbox.baton("user", "enable", "ada").status == 0)
        #expect(try server.request("GET", "/api/flows", headers: auth).status == 200)
        let stranger = try server.sandbox.baton("key", "create", "--name", "x", "--role", "viewer", "--user", "nobody")
        #expect(stranger.status == 2 && stranger.stderr.contains("no user 'nobody'"), "\(stranger)")
    }
}
