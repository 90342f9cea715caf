import BatonCore
import Foundation
import Testing

/// Secrets and variables as their users meet them: set with the CLI or the API, read by a flow of
/// the fixture library, and nowhere in what is stored or served afterwards but as `****`.
@Suite(.timeLimit(.minutes(10)))
struct SecretCommandTests {
    /// A value with characters JSON escapes, unique per test.
    static func secretValue() -> String { "S3cr3t/v@l\"ue-\(UUID().uuidString.prefix(8))" }

    /// Every file under `folder` whose bytes hold `text`.
    static func filesHolding(_ text: String, under folder: String) -> [String] {
        let needle = Data(text.utf8)
        let files = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []
        return files.filter { name in
            guard let data = FileManager.default.contents(atPath: folder + "/" + name) else { return false }
            return data.range(of: needle) != nil
        }
    }

    @Test func aFlowReadsASecretAndEverythingStoredShowsStarsInItsPlace() async throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows")).status == 0)
        let secret = Self.secretValue()
        let set = try sandbox.baton("secret", "set", "token", input: secret + "\n")
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout.contains("\(secret.utf8.count) bytes"), "one final newline is not part of the value: \(set.stdout)")
        #expect(try sandbox.baton("variable", "set", "greeting", "howdy").status == 0)
        #expect(try sandbox.baton("variable", "get", "greeting").stdout == "howdy\n")

        let run = try sandbox.baton("run", "secret-reader", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.json["result"] == .object(["token": .string("****"), "echoed": .string("****")]), "\(run.stdout)")
        let id = try #require(run.json["id"]?.stringValue)
        let logs = try sandbox.baton("run", "logs", id).stdout
        for line in ["howdy: the token is ****", "printed token ****", "the task got ****", "stderr token ****"] { #expect(logs.contains(line), "\(logs)") }
        let failed = try sandbox.baton("run", "secret-reader", "--param", "fail=true", "--json")
        #expect(failed.status == 1)
        #expect(failed.json["message"]?.stringValue?.contains("failed holding ****") == true, "\(failed.stdout)")

        // Nothing shown holds it: runs, task runs (inputs, results), logs, artifacts, listings, the audit log.
        var shown = [run.stdout, failed.stdout, logs]
        for arguments in [
            ["run", "show", id, "--json"], ["artifact", "ls", "--json"], ["secret", "ls", "--json"], ["run", "ls", "--json"],
            ["audit", "ls", "--json"],
        ] {
            let result = try sandbox.batonArguments(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            shown.append(result.stdout)
        }
        #expect(shown.allSatisfy { !$0.contains(secret) && !$0.contains("S3cr3t") })
        #expect(shown[2 + 1].contains("has ****"), "the artifact's description is masked: \(shown[3])")
        let listed = try sandbox.baton("secret", "ls", "--json").json.arrayValue ?? []
        #expect(listed.count == 1 && listed[0]["name"] == .string("token") && listed[0]["value"] == nil, "\(listed)")
        // Each read is in the audit log, by name and run.
        let reads = (try sandbox.baton("audit", "ls", "--json").json.arrayValue ?? []).filter { $0["action"] == .string("secret read") }
        #expect(reads.count == 2 && reads.allSatisfy { $0["target"]?.stringValue?.hasPrefix("token (run ") == true }, "\(reads)")
        // Nor do the store's bytes (database, its WAL, results, runs' folders): only the sealed form.
        #expect(Self.filesHolding(secret, under: sandbox.home).isEmpty)
        #expect(Self.filesHolding("S3cr3t", under: sandbox.home).isEmpty)

        // Without the key the value does not open: a run reading it fails and says why.
        let foreign = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let locked = try sandbox.baton("run", "secret-reader", "--json", environment: ["BATON_SECRET_KEY": foreign])
        #expect(locked.status == 1)
        #expect(locked.json["message"]?.stringValue?.contains("does not open with this host's key") == true, "\(locked.stdout)")
        // A secret the project does not have: the flow's error names those it has.
        let missing = try sandbox.baton("run", "secret-reader", "--param", "secret=nope", "--json")
        #expect(missing.json["message"]?.stringValue?.contains("no secret 'nope' in project 'default'; it has: token") == true, "\(missing.stdout)")
    }

    @Test func badSecretsAndVariablesAreRefusedInOneLineAndNothingIsStored() throws {
        let sandbox = try Sandbox()
        for (arguments, input, expected) in [
            (["secret", "set", "token"], "", "secret 'token' is empty"),
            (["secret", "set", "bad name"], "x", "secret name 'bad name' is not valid"),
            (["secret", "set", "token", "--from-file", "/nonexistent"], nil, "--from-file '/nonexistent' cannot be read"),
            (["secret", "rm", "token"], nil, "no secret 'token' in project 'default'"),
            (["variable", "get", "nope"], nil, "no variable 'nope'"),
            (["variable", "set", "a/b", "1"], nil, "variable name 'a/b' is not valid"),
        ] as [([String], String?, String)] {
            let result = try sandbox.batonArguments(arguments, input: input)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(expected) && result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        }
        #expect(try sandbox.baton("secret", "ls", "--json").json.arrayValue?.isEmpty == true)
        #expect(try sandbox.baton("variable", "ls", "--json").json.arrayValue?.isEmpty == true)
        #expect(!FileManager.default.fileExists(atPath: sandbox.home + "/secret.key"), "no key is made for nothing")
    }

    /// Through a server: set over the API by a developer (not by an operator or a viewer), read by a
    /// run on a worker on another host (whose home has no key: the server opens it), never served back.
    @Test func aRemoteWorkersRunReadsTheSecretThroughTheServerAndNoResponseHoldsIt() async throws {
        let server = try await ServerProcess.withFixtures(["--no-worker"])
        defer { _ = server.stop() }
        let sandbox = server.sandbox
        let secret = Self.secretValue()
        let developer = try ServerProcess.makeKey(sandbox, name: "dev", role: "developer")
        let operatorKey = try ServerProcess.makeKey(sandbox, name: "ops", role: "operator")
        let viewer = try ServerProcess.makeKey(sandbox, name: "viewer", role: "viewer")
        func put(_ key: String, _ target: String, _ json: String) throws -> APIReply {
            try server.request("PUT", target, headers: [("Authorization", "Bearer " + key), ("Content-Type", "application/json")], body: Array(json.utf8))
        }
        let body = #"{"value": "\#(secret.replacingOccurrences(of: "\"", with: "\\\""))"}"#
        #expect(try put(viewer, "/api/secrets/token", body).status == 403)
        #expect(try put(operatorKey, "/api/secrets/token", body).status == 403)
        let made = try put(developer, "/api/secrets/token", body)
        #expect(made.status == 200 && made.json["name"] == .string("token") && made.json["value"] == nil, "\(made)")
        #expect(try put(developer, "/api/variables/greeting", #"{"value": "hi"}"#).status == 200)
        #expect(try put(developer, "/api/secrets/empty", #"{"value": ""}"#).status == 400)

        let home = try Sandbox()
        let worker = try WatchedProcess(home, ["worker", "start", "--api", server.baseURL, "--name", "far"], environment: ["BATON_API_KEY": operatorKey])
        defer { worker.process.terminate() }
        #expect(await worker.line(containing: "started") != nil, "\(worker.output)")
        let id = try #require(try server.post("/api/flow-runs", #"{"flow": "secret-reader"}"#).json["id"]?.stringValue)
        let state = try await server.waitForEnd(of: id)
        #expect(state == "completed", "\(worker.output)")
        #expect(!FileManager.default.fileExists(atPath: home.home + "/secret.key"), "the worker needs no key")

        // Every answer the server gives about it: masked or silent.
        var answers: [APIReply] = []
        for target in [
            "/api/secrets", "/api/variables", "/api/variables/greeting", "/api/flow-runs/\(id)", "/api/flow-runs/\(id)/logs",
            "/api/flow-runs/\(id)/task-runs", "/api/artifacts", "/api/audit?limit=500", "/api/flow-runs?limit=50", "/api/dashboard",
        ] {
            let reply = try server.get(target)
            #expect(reply.status == 200, "\(target): \(reply)")
            answers.append(reply)
        }
        #expect(answers.allSatisfy { !$0.text.contains("S3cr3t") })
        // And every other GET the API documents, with the run's id where a path takes one.
        let document = try server.get("/api/openapi.json").json
        var walked = 0
        for (path, item) in (document["paths"]?.objectValue ?? [:]) where item["get"] != nil && path != "/api/events" {
            let reply = try server.get(ServerAccessMatrixTests.target("GET", path, runID: id))
            walked += 1
            #expect(!reply.text.contains("S3cr3t"), "GET \(path) shows the secret")
        }
        #expect(walked > 20, "\(walked) GET routes")
        #expect(answers[4].text.contains("the token is ****"), "\(answers[4].text)")
        #expect(answers[1].text.contains("\"hi\""), "variables are shown: \(answers[1].text)")
        let audit = answers[7].json["entries"]?.arrayValue ?? []
        #expect(audit.contains { $0["action"] == .string("secret read") && $0["actor"] == .string("key ops") }, "\(audit)")
        #expect(!audit.contains { $0["action"]?.stringValue?.contains("/values") == true }, "the read is audited once, by name")
        #expect(Self.filesHolding("S3cr3t", under: sandbox.home).isEmpty && Self.filesHolding("S3cr3t", under: home.home).isEmpty)
    }
}
