import BatonCore
import Foundation
import Testing

/// Every kind of bad request the API refuses, each with its status, its `error` code, a message
/// that names the input and, where there is one, the `field` at fault; nothing is stored.
@Suite(.timeLimit(.minutes(20)))
struct ServerBadInputTests {
    /// Checks an error reply: its status, code, a JSON body, and optionally its field and a phrase.
    func expectError(
        _ reply: APIReply, _ status: Int, _ code: String, field: String? = nil, saying phrase: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(reply.status == status, "\(reply)", sourceLocation: sourceLocation)
        #expect(reply.error == code, "\(reply)", sourceLocation: sourceLocation)
        #expect(reply.headers["Content-Type"] == "application/json", sourceLocation: sourceLocation)
        #expect(!reply.message.isEmpty, sourceLocation: sourceLocation)
        if let field { #expect(reply.field == field, "\(reply)", sourceLocation: sourceLocation) }
        if let phrase { #expect(reply.message.contains(phrase), "\(reply)", sourceLocation: sourceLocation) }
    }

    @Test func unknownFlowsVersionsRunsAndDeploymentsAreNotFound() async throws {
        let server = try await ServerProcess.withFixtures()
        expectError(try server.get("/api/flows/nope"), 404, "not_found", saying: "'nope'")
        expectError(try server.get("/api/flows/nope/versions"), 404, "not_found", saying: "nope")
        expectError(try server.get("/api/flows/echo/versions/9"), 404, "not_found", saying: "no version 9")
        expectError(try server.get("/api/flows/echo/versions/1/diff/9"), 404, "not_found", saying: "no version 9")
        expectError(try server.post("/api/flow-runs", #"{"flow": "nope"}"#), 404, "not_found", saying: "nope")
        expectError(try server.post("/api/flow-runs", #"{"flow": "echo", "version": 9}"#), 404, "not_found", saying: "no version 9")
        for path in ["", "/states", "/task-runs", "/graph", "/logs", "/artifacts", "/subflows"] {
            expectError(try server.get("/api/flow-runs/feedbeef\(path)"), 404, "not_found", saying: "no flow run 'feedbeef'")
        }
        for path in ["/cancel", "/rerun", "/resume"] {
            expectError(try server.post("/api/flow-runs/feedbeef\(path)"), 404, "not_found", saying: "no flow run 'feedbeef'")
        }
        expectError(try server.get("/api/deployments/nope"), 404, "not_found", saying: "no deployment 'nope'")
        expectError(try server.request("DELETE", "/api/deployments/nope"), 404, "not_found", saying: "no deployment 'nope'")
        for path in ["/pause", "/resume", "/run"] {
            expectError(try server.post("/api/deployments/nope\(path)"), 404, "not_found", saying: "no deployment 'nope'")
        }
        expectError(try server.post("/api/deployments/nope/backfill", #"{"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}"#), 404, "not_found")
        expectError(try server.post("/api/deployments", #"{"flow": "nope", "name": "x"}"#), 404, "not_found", saying: "nope")
        expectError(try server.get("/api/nothing"), 404, "not_found", saying: "no route")
        expectError(try server.get("/nothing-here"), 404, "not_found")
        #expect(try server.get("/api/flow-runs").json["runs"] == .array([]), "nothing was stored")
        #expect(server.stop() == 0)
    }

    @Test func aWrongMethodIsRefusedWithTheAllowedOnes() async throws {
        let server = try await ServerProcess.withFixtures()
        let cases: [(String, String, String)] = [
            ("DELETE", "/api/flows", "GET, HEAD"),
            ("POST", "/api/health", "GET, HEAD"),
            ("PUT", "/api/flow-runs", "POST, GET, HEAD"),
            ("GET", "/api/libraries", "POST"),
            ("GET", "/api/flow-runs/abc/cancel", "POST"),
            ("POST", "/api/limits/db", "PUT, DELETE"),
            ("PATCH", "/api/deployments/x", "GET, HEAD, DELETE"),
        ]
        for (method, path, allowed) in cases {
            let reply = try server.request(method, path)
            expectError(reply, 405, "method_not_allowed", saying: method)
            #expect(reply.headers["Allow"] == allowed, "\(method) \(path): \(reply.headers["Allow"] ?? "no Allow")")
        }
        // HEAD goes where GET does, without a body.
        let head = try server.request("HEAD", "/api/health")
        #expect(head.status == 200 && head.body.isEmpty)
        #expect(server.stop() == 0)
    }

    @Test func malformedBodiesAreRefusedBeforeAnythingIsStored() async throws {
        let server = try await ServerProcess.withFixtures()
        expectError(try server.send("POST", "/api/flow-runs", json: #"{"flow": "echo""#), 400, "bad_request", saying: "not valid JSON")
        expectError(try server.send("POST", "/api/flow-runs", json: "[1, 2]"), 400, "bad_request", saying: "an array")
        expectError(try server.send("POST", "/api/flow-runs", json: #""echo""#), 400, "bad_request", saying: "a string")
        expectError(try server.send("POST", "/api/flow-runs", json: "null"), 400, "bad_request", saying: "expected a JSON object")
        let plain = try server.request("POST", "/api/flow-runs", headers: [("Content-Type", "text/plain")], body: Array(#"{"flow": "echo"}"#.utf8))
        expectError(plain, 415, "unsupported_media_type", saying: "text/plain")
        let untyped = try server.request("POST", "/api/flow-runs", body: Array(#"{"flow": "echo"}"#.utf8))
        expectError(untyped, 415, "unsupported_media_type", saying: "none")
        let charset = try server.request(
            "POST", "/api/flow-runs", headers: [("Content-Type", "application/json; charset=utf-8")], body: Array(#"{"flow": "hello"}"#.utf8))
        #expect(charset.status == 201, "a charset parameter is fine: \(charset)")
        try await server.finished(charset.json["id"]?.stringValue ?? "")

        expectError(try server.post("/api/flow-runs", #"{"flow": "echo", "colour": "red"}"#), 400, "bad_request", field: "colour", saying: "unknown field 'colour'")
        expectError(try server.post("/api/flow-runs", #"{}"#), 400, "bad_request", field: "flow", saying: "missing")
        expectError(try server.post("/api/flow-runs", #"{"flow": 7}"#), 400, "bad_request", field: "flow", saying: "expected a string")
        expectError(try server.post("/api/flow-runs", #"{"flow": "echo", "parameters": [1]}"#), 400, "bad_request", field: "parameters")
        expectError(try server.post("/api/flow-runs", #"{"flow": "echo", "version": 0}"#), 400, "bad_request", field: "version")
        expectError(try server.post("/api/flow-runs", #"{"flow": "echo", "version": "2"}"#), 400, "bad_request", field: "version")
        let good = try #require(charset.json["id"]?.stringValue)
        expectError(try server.post("/api/flow-runs/\(good)/rerun", #"{"versio": 1}"#), 400, "bad_request", field: "versio")
        expectError(try server.send("PUT", "/api/limits/db", json: #"{"slots": "two"}"#), 400, "bad_request", field: "slots")
        expectError(try server.send("PUT", "/api/limits/db", json: #"{"slots": 2, "extra": 1}"#), 400, "bad_request", field: "extra")
        #expect(try server.get("/api/flow-runs").json["runs"]?.arrayValue?.count == 1, "only the good run was stored")
        #expect(try server.get("/api/limits").json["limits"] == .array([]))
        #expect(server.stop() == 0)
    }

    @Test func badParametersAreUnprocessableNamingTheParameter() async throws {
        let server = try await ServerProcess.withFixtures()
        let wrongType = try server.post("/api/flow-runs", #"{"flow": "echo", "parameters": {"count": "three"}}"#)
        expectError(wrongType, 422, "invalid_parameters", field: "count", saying: "parameter 'count' of flow 'echo'")
        let unknown = try server.post("/api/flow-runs", #"{"flow": "echo", "parameters": {"colour": "red"}}"#)
        expectError(unknown, 422, "invalid_parameters", field: "colour", saying: "unknown parameter 'colour'")
        let nested = try server.post("/api/flow-runs", #"{"flow": "echo", "parameters": {"window": {"from": "one"}}}"#)
        #expect(nested.status == 422 && nested.field?.hasPrefix("window") == true, "\(nested)")
        let none = try server.post("/api/flow-runs", #"{"flow": "hello", "parameters": {"x": 1}}"#)
        expectError(none, 422, "invalid_parameters", field: "x", saying: "it takes no parameters")
        #expect(try server.post("/api/deployments", #"{"flow": "echo", "name": "d", "parameters": {"count": 1.5}}"#).status == 422)
        let overrides = try server.post("/api/deployments", #"{"flow": "echo", "name": "d"}"#)
        #expect(overrides.status == 201, "\(overrides)")
        expectError(try server.post("/api/deployments/d/run", #"{"parameters": {"count": false}}"#), 422, "invalid_parameters", field: "count")
        #expect(try server.get("/api/flow-runs").json["runs"] == .array([]))
        #expect(server.stop() == 0)
    }

    @Test
    func anEnumParameterOutsideItsCasesIsRefused() async throws {
        let server = try await ServerProcess.withFixtures()
        let badEnum = try server.post("/api/flow-runs", #"{"flow": "echo", "parameters": {"mode": "reckless"}}"#)
        expectError(badEnum, 422, "invalid_parameters", field: "mode")
        #expect(try server.get("/api/flow-runs").json["runs"] == .array([]))
        #expect(server.stop() == 0)
    }

    @Test
    func aRunForAnInvalidPoolIsRefused() async throws {
        let server = try await ServerProcess.withFixtures()
        for pool in ["bad pool", ""] {
            expectError(try server.post("/api/flow-runs", #"{"flow": "hello", "pool": "\#(pool)"}"#), 400, "bad_request", field: "pool")
        }
        #expect(try server.get("/api/flow-runs").json["runs"] == .array([]))
        #expect(server.stop() == 0)
    }

    @Test
    func scheduleErrorsAreBadRequestsNotParameterErrors() async throws {
        let server = try await ServerProcess.withFixtures()
        expectError(try server.post("/api/deployments", #"{"flow": "hello", "name": "d", "interval": 0}"#), 400, "bad_request", field: "interval")
        expectError(try server.post("/api/deployments", #"{"flow": "hello", "name": "d", "cron": "0 9 * * *", "interval": 60}"#), 400, "bad_request")
        #expect(server.stop() == 0)
    }

    @Test func badQueryValuesAreRefusedNamingTheParameter() async throws {
        let server = try await ServerProcess.withFixtures()
        let cases: [(String, String, String)] = [
            ("/api/flow-runs?limit=abc", "limit", "'abc'"),
            ("/api/flow-runs?limit=0", "limit", "from 1 to 500"),
            ("/api/flow-runs?limit=501", "limit", "from 1 to 500"),
            ("/api/flow-runs?state=bogus", "state", "'bogus'"),
            ("/api/flow-runs?since=notadate", "since", "'notadate'"),
            ("/api/flow-runs?until=2026-13-01T00:00:00Z", "until", "ISO 8601"),
            ("/api/flow-runs?cursor=garbage", "cursor", "'garbage'"),
            ("/api/flow-runs?version=x", "version", "'x'"),
            ("/api/artifacts?limit=-1", "limit", "'-1'"),
        ]
        for (target, field, phrase) in cases {
            expectError(try server.get(target), 400, "bad_request", field: field, saying: phrase)
        }
        let id = try server.createRun(#"{"flow": "hello"}"#)["id"]?.stringValue ?? ""
        try await server.finished(id)
        expectError(try server.get("/api/flow-runs/\(id)/logs?level=loud"), 400, "bad_request", field: "level", saying: "'loud'")
        expectError(try server.get("/api/flow-runs/\(id)/logs?after=-1"), 400, "bad_request", field: "after")
        expectError(try server.get("/api/flow-runs/\(id)/task-runs?limit=0"), 400, "bad_request", field: "limit")
        expectError(try server.get("/api/flow-runs/\(id)/graph?limit=none"), 400, "bad_request", field: "limit")
        // An empty value is the same as none.
        #expect(try server.get("/api/flow-runs?limit=&state=").status == 200)
        #expect(server.stop() == 0)
    }

    @Test func versionZeroAndOtherBadVersionsAreBadRequests() async throws {
        let server = try await ServerProcess.withFixtures()
        expectError(try server.get("/api/flows/echo/versions/0"), 400, "bad_request", field: "version", saying: "version '0' is not valid")
        expectError(try server.get("/api/flows/echo/versions/-1"), 400, "bad_request", field: "version")
        expectError(try server.get("/api/flows/echo/versions/newest"), 400, "bad_request", field: "version")
        expectError(try server.get("/api/flows/echo/versions/1/diff/0"), 400, "bad_request", field: "other")
        expectError(try server.post("/api/deployments", #"{"flow": "echo", "name": "d", "version": 0}"#), 400, "bad_request", field: "version")
        #expect(server.stop() == 0)
    }

    @Test func finishedRunsCannotBeResumedOrCancelled() async throws {
        let server = try await ServerProcess.withFixtures()
        let id = try server.createRun(#"{"flow": "hello"}"#)["id"]?.stringValue ?? ""
        #expect(try await server.finished(id)["state"] == .string("completed"))
        expectError(try server.post("/api/flow-runs/\(id)/resume"), 400, "bad_request", saying: "is completed; only a failed, crashed or cancelled run")
        expectError(try server.post("/api/flow-runs/\(id)/cancel"), 400, "bad_request", saying: "is already completed")
        try server.expectHistory(id, ["Scheduled", "Pending", "Running", "Completed"], "the history is unchanged")
        #expect(server.stop() == 0)
    }

    @Test func badDeploymentsAreRefusedNamingWhatIsWrong() async throws {
        let server = try await ServerProcess.withFixtures()
        let cron = try server.post("/api/deployments", #"{"flow": "hello", "name": "d", "cron": "61 * * * *"}"#)
        #expect((400..<500).contains(cron.status), "\(cron)")
        #expect(cron.message.contains("61"), "the message names the expression: \(cron)")
        let words = try server.post("/api/deployments", #"{"flow": "hello", "name": "d", "cron": "every tuesday"}"#)
        #expect((400..<500).contains(words.status) && words.message.contains("every tuesday"), "\(words)")
        let zone = try server.post("/api/deployments", #"{"flow": "hello", "name": "d", "cron": "0 9 * * *", "timezone": "Mars/Olympus"}"#)
        #expect((400..<500).contains(zone.status) && zone.message.contains("Mars/Olympus"), "\(zone)")
        let both = try server.post("/api/deployments", #"{"flow": "hello", "name": "d", "cron": "0 9 * * *", "interval": 60}"#)
        #expect((400..<500).contains(both.status) && both.message.contains("both given"), "\(both)")
        let interval = try server.post("/api/deployments", #"{"flow": "hello", "name": "d", "interval": 0}"#)
        #expect((400..<500).contains(interval.status) && interval.field == "interval", "\(interval)")
        let name = try server.post("/api/deployments", #"{"flow": "hello", "name": "bad name"}"#)
        #expect(name.status == 400 && name.message.contains("'bad name'"), "\(name)")
        expectError(try server.post("/api/deployments", #"{"flow": "hello"}"#), 400, "bad_request", field: "name")
        expectError(try server.post("/api/deployments", #"{"flow": "hello", "name": "d", "maxActive": 0}"#), 400, "bad_request", field: "maxActive")
        expectError(try server.post("/api/deployments", #"{"flow": "hello", "name": "d", "catchup": "yes"}"#), 400, "bad_request", field: "catchup")
        expectError(try server.post("/api/deployments", #"{"flow": "hello", "name": "d", "schedule": "daily"}"#), 400, "bad_request", field: "schedule")
        #expect(try server.get("/api/deployments").json["deployments"] == .array([]), "nothing was stored")

        let first = try server.post("/api/deployments", #"{"flow": "hello", "name": "taken"}"#)
        #expect(first.status == 201, "\(first)")
        let duplicate = try server.post("/api/deployments", #"{"flow": "hello", "name": "taken", "interval": 60}"#)
        // 409 is meant (APIError.from maps "already exists" to it), but the store says "exists already":
        // today a 400. Either is a refusal that names the deployment.
        #expect([400, 409].contains(duplicate.status), "\(duplicate)")
        #expect(duplicate.error == (duplicate.status == 409 ? "conflict" : "bad_request"), "\(duplicate)")
        #expect(duplicate.message.contains("a deployment named 'taken' exists already"), "\(duplicate)")
        #expect(try server.get("/api/deployments/taken").json["schedule"] == nil, "the first one is unchanged")

        let range = try server.post("/api/deployments", #"{"flow": "hello", "name": "ranged", "interval": 60}"#)
        #expect(range.status == 201)
        expectError(try server.post("/api/deployments/ranged/backfill", #"{"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}"#), 400, "bad_request", field: "from")
        expectError(try server.post("/api/deployments/ranged/backfill", #"{"from": "yesterday", "to": "2026-01-01T00:00:00Z"}"#), 400, "bad_request", field: "from")
        expectError(try server.post("/api/deployments/ranged/backfill", #"{"from": "2026-01-01T00:00:00Z"}"#), 400, "bad_request", field: "to")
        expectError(try server.post("/api/deployments/taken/backfill", #"{"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}"#), 400, "bad_request", saying: "has no schedule")
        #expect(server.stop() == 0)
    }

    @Test func badUploadsAreRefusedAndStoreNothing() async throws {
        let server = try await ServerProcess.start(try Sandbox())
        let typed = try server.request("POST", "/api/libraries", headers: [("Content-Type", "application/json")], body: Array("{}".utf8))
        expectError(typed, 415, "unsupported_media_type", saying: "application/octet-stream")
        expectError(try server.upload([], fileName: "libX.so"), 400, "bad_request", saying: "empty")
        expectError(try server.upload([1, 2, 3], fileName: "../libX.so"), 400, "bad_request", field: "fileName")
        expectError(try server.upload([1, 2, 3], fileName: "libX.dylib"), 400, "bad_request", field: "fileName")
        expectError(try server.upload(Array("not a library".utf8), fileName: "libX.so"), 422, "invalid_library")
        let noEntry = try [UInt8](Data(contentsOf: URL(fileURLWithPath: try await Builds.shared.fixture("NoEntry"))))
        expectError(try server.upload(noEntry, fileName: "libNoEntry.so"), 422, "invalid_library", saying: "baton_library_open")
        let mismatch = try [UInt8](Data(contentsOf: URL(fileURLWithPath: try await Builds.shared.fixture("Mismatch"))))
        expectError(try server.upload(mismatch, fileName: "libMismatch.so"), 422, "invalid_library")
        #expect(try server.get("/api/flows").json["flows"] == .array([]))
        #expect(try server.get("/api/health").status == 200)
        #expect(server.stop() == 0)
    }
}
