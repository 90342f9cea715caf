import BatonCore
import Foundation
import Testing

/// The REST API's system and flow routes on a real `baton server start`: health, dashboard,
/// workers, limits, artifacts, flows, versions and their diff, and uploads.
@Suite(.timeLimit(.minutes(20)))
struct ServerAPITests {
    @Test func healthDashboardAndTheBuiltInWorkerAnswer() async throws {
        let server = try await ServerProcess.withFixtures()
        let health = try server.get("/api/health")
        #expect(health.status == 200)
        #expect(health.headers["Content-Type"] == "application/json")
        #expect(health.json == .object(["status": .string("ok")]), "open to anyone, it names nothing of the store: \(health)")

        let workers = try server.get("/api/workers")
        #expect(workers.status == 200)
        let builtIn = try #require(workers.json["workers"]?.arrayValue?.first, "\(workers)")
        #expect(workers.json["workers"]?.arrayValue?.count == 1)
        #expect(builtIn["name"] == .string("server-\(server.process.process.processIdentifier)"))
        #expect(builtIn["pool"] == .string("default"))
        #expect(builtIn["healthy"] == .bool(true))
        #expect(builtIn["limit"] == .int(10))
        #expect(try server.get("/api/workers?all=true").json["workers"]?.arrayValue?.count == 1)

        let run = try server.createRun(#"{"flow": "hello"}"#)
        try await server.finished(run["id"]?.stringValue ?? "")
        let dashboard = try server.get("/api/dashboard")
        #expect(dashboard.status == 200)
        #expect(dashboard.json["countsByState"]?["completed"] == .int(1), "\(dashboard)")
        #expect(dashboard.json["hourly"]?.arrayValue?.count == 24)
        #expect(dashboard.json["recentFailures"] == .array([]))
        #expect(dashboard.json["workers"]?.arrayValue?.first?["healthy"] == .bool(true))
        #expect(server.stop() == 0)
    }

    @Test func aLimitIsSetListedAndRemovedOnce() async throws {
        let server = try await ServerProcess.withFixtures()
        #expect(try server.get("/api/limits").json == .object(["limits": .array([])]))
        let set = try server.send("PUT", "/api/limits/db", json: #"{"slots": 2}"#)
        #expect(set.status == 200, "\(set)")
        #expect(set.json == .object(["tag": .string("db"), "slots": .int(2)]))
        let listed = try server.get("/api/limits").json["limits"]?.arrayValue ?? []
        #expect(listed.count == 1)
        #expect(listed.first?["tag"] == .string("db"))
        #expect(listed.first?["slots"] == .int(2))
        #expect(listed.first?["active"] == .int(0))
        // Setting it again changes it.
        #expect(try server.send("PUT", "/api/limits/db", json: #"{"slots": 0}"#).status == 200)
        #expect(try server.get("/api/limits").json["limits"]?.arrayValue?.first?["slots"] == .int(0))

        let removed = try server.request("DELETE", "/api/limits/db")
        #expect(removed.status == 204)
        #expect(removed.body.isEmpty)
        let again = try server.request("DELETE", "/api/limits/db")
        #expect(again.status == 404)
        #expect(again.error == "not_found")
        #expect(again.message.contains("'db'"), "\(again)")
        #expect(try server.get("/api/limits").json["limits"] == .array([]))

        let missing = try server.send("PUT", "/api/limits/db", json: "{}")
        #expect(missing.status == 400 && missing.field == "slots", "\(missing)")
        let negative = try server.send("PUT", "/api/limits/db", json: #"{"slots": -1}"#)
        #expect(negative.status == 400 && negative.field == "slots", "\(negative)")
        #expect(server.stop() == 0)
    }

    @Test func flowsAndTheirVersionsAreListedShownAndDiffed() async throws {
        let server = try await ServerProcess.withFixtures()
        let flows = try server.get("/api/flows")
        #expect(flows.status == 200)
        let names = Set(flows.json["flows"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
        #expect(names.isSuperset(of: ["echo", "hello", "flaky", "graph", "sleepy", "resumable", "reporting"]), "\(names)")
        let echoSummary = flows.json["flows"]?.arrayValue?.first { $0["name"] == .string("echo") }
        #expect(echoSummary?["latestVersion"] == .int(1))
        #expect(echoSummary?["description"] == .string("Echoes its typed parameters"))

        let echo = try server.get("/api/flows/echo")
        #expect(echo.status == 200)
        #expect(echo.json["versions"]?.arrayValue?.count == 1)
        let version = try server.get("/api/flows/echo/versions/1")
        #expect(version.status == 200)
        #expect(version.json["flow"] == .string("echo"))
        #expect(version.json["version"] == .int(1))
        #expect(version.json["parameters"]?["properties"]?["count"]?["default"] == .int(3))
        #expect(version.json["parameters"]?["x-order"]?.arrayValue?.first == .string("name"), "declaration order")
        #expect(version.json["tasks"]?.arrayValue?.contains { $0["name"] == .string("greet") && $0["tags"] == .array([.string("fixture")]) } == true)
        #expect(try server.get("/api/flows/echo/versions/latest").json == version.json)

        // A second, different file with the same code: version 2, with its label.
        let upload = try server.upload(try await fixtureBytes(padded: true), fileName: "libFixtureFlows.so", label: "padded")
        #expect(upload.status == 201, "\(upload)")
        let echoRegistration = upload.json["registered"]?.arrayValue?.first { $0["flow"] == .string("echo") }
        #expect(echoRegistration?["version"] == .int(2))
        #expect(echoRegistration?["created"] == .bool(true))
        #expect(echoRegistration?["label"] == .string("padded"))

        let versions = try server.get("/api/flows/echo/versions").json["versions"]?.arrayValue ?? []
        #expect(versions.map { $0["version"] } == [.int(2), .int(1)], "newest first")
        #expect(try server.get("/api/flows/echo/versions/latest").json["version"] == .int(2))
        #expect(try server.get("/api/flows/echo").json["latestVersion"] == .int(2))

        let diff = try server.get("/api/flows/echo/versions/1/diff/2")
        #expect(diff.status == 200, "\(diff)")
        #expect(diff.json["from"] == .int(1) && diff.json["to"] == .int(2))
        let paths = Set(diff.json["changes"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? [])
        #expect(paths.contains("hash") && paths.contains("label"), "\(paths)")
        #expect(!paths.contains { $0.hasPrefix("parameters") }, "the code did not change")
        #expect(try server.get("/api/flows/echo/versions/latest/diff/1").json["from"] == .int(2))
        #expect(server.stop() == 0)
    }

    @Test func anUploadRegistersEveryFlowOnceAndIdenticalBytesCreateNothing() async throws {
        let server = try await ServerProcess.start(try Sandbox())
        #expect(try server.get("/api/flows").json["flows"] == .array([]))
        let bytes = try await fixtureBytes()
        let first = try server.upload(bytes, fileName: "libFixtureFlows.so", label: "x")
        #expect(first.status == 201, "\(first)")
        let registered = first.json["registered"]?.arrayValue ?? []
        #expect(registered.count >= 10)
        #expect(registered.allSatisfy { $0["version"] == .int(1) && $0["created"] == .bool(true) && $0["label"] == .string("x") })
        let again = try server.upload(bytes, fileName: "libFixtureFlows.so")
        #expect(again.status == 201, "\(again)")
        #expect(again.json["registered"]?.arrayValue?.count == registered.count)
        #expect(again.json["registered"]?.arrayValue?.allSatisfy { $0["version"] == .int(1) && $0["created"] == .bool(false) } == true)
        #expect(try server.get("/api/flows/echo/versions").json["versions"]?.arrayValue?.count == 1)
        #expect(server.output.contains("registered echo version 1"), "the server logs what an upload created")
        let uploads = (try? FileManager.default.contentsOfDirectory(atPath: server.sandbox.home + "/uploads")) ?? []
        #expect(uploads.isEmpty, "uploads are not kept: \(uploads)")
        #expect(server.stop() == 0)
    }

    @Test func artifactsAreListedByRunAndByKey() async throws {
        let server = try await ServerProcess.withFixtures()
        let id = try server.createRun(#"{"flow": "reporting"}"#)["id"]?.stringValue ?? ""
        #expect(try await server.finished(id)["state"] == .string("completed"))
        let ofRun = try server.get("/api/flow-runs/\(id)/artifacts")
        #expect(ofRun.status == 200)
        let artifacts = ofRun.json["artifacts"]?.arrayValue ?? []
        #expect(Set(artifacts.compactMap { $0["key"]?.stringValue }) == ["fixture-report", "fixture-table", "fixture-link"])
        #expect(artifacts.allSatisfy { $0["flowRunID"] == .string(id) })
        let table = try #require(artifacts.first { $0["key"] == .string("fixture-table") })
        #expect(table["kind"] == .string("table"))
        #expect(table["data"]?.arrayValue?.first?["city"] == .string("Oslo"), "table rows are decoded")
        let markdown = artifacts.first { $0["key"] == .string("fixture-report") }
        #expect(markdown?["data"]?.stringValue?.contains("All **good**.") == true)

        let byKey = try server.get("/api/artifacts?key=fixture-link")
        #expect(byKey.status == 200)
        #expect(byKey.json["artifacts"]?.arrayValue?.count == 1)
        #expect(byKey.json["artifacts"]?.arrayValue?.first?["kind"] == .string("link"))
        #expect(try server.get("/api/artifacts").json["artifacts"]?.arrayValue?.count == 3)
        #expect(try server.get("/api/artifacts?limit=1").json["artifacts"]?.arrayValue?.count == 1)
        #expect(try server.get("/api/artifacts?key=none").json["artifacts"] == .array([]))
        #expect(server.stop() == 0)
    }
}
