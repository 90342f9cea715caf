import BatonCore
import Foundation
import Testing

/// What the API does to runs once made: rerun on a version, resume after a failure, cancel.
@Suite(.timeLimit(.minutes(20)))
struct ServerRunLifecycleTests {
    @Test func aRerunKeepsItsVersionAfterASecondRegistrationUnlessToldOtherwise() async throws {
        let server = try await ServerProcess.withFixtures()
        let original = try server.createRun(#"{"flow": "echo", "parameters": {"count": 1}}"#)
        let id = original["id"]?.stringValue ?? ""
        try await server.finished(id)
        let upload = try server.upload(try await fixtureBytes(padded: true), fileName: "libFixtureFlows.so")
        #expect(upload.json["registered"]?.arrayValue?.first { $0["flow"] == .string("echo") }?["version"] == .int(2))

        let rerun = try server.post("/api/flow-runs/\(id)/rerun")
        #expect(rerun.status == 201, "\(rerun)")
        #expect(rerun.json["version"] == .int(1), "a rerun keeps its run's version")
        #expect(rerun.json["rerunOf"] == .string(id))
        #expect(rerun.json["parameters"] == original["parameters"])
        let pinned = try server.post("/api/flow-runs/\(id)/rerun", #"{"version": 1}"#)
        #expect(pinned.status == 201 && pinned.json["version"] == .int(1), "\(pinned)")
        let latest = try server.post("/api/flow-runs/\(id)/rerun", #"{"version": "latest"}"#)
        #expect(latest.status == 201 && latest.json["version"] == .int(2), "\(latest)")
        for reply in [rerun, pinned, latest] {
            let rerunID = reply.json["id"]?.stringValue ?? ""
            #expect(rerunID != id)
            let done = try await server.finished(rerunID)
            #expect(done["state"] == .string("completed"))
            #expect(done["result"]?["greeting"] == .string("hello world"))
            try server.expectHistory(rerunID, ["Scheduled", "Pending", "Running", "Completed"])
        }
        let missing = try server.post("/api/flow-runs/\(id)/rerun", #"{"version": 9}"#)
        #expect(missing.status == 404 && missing.error == "not_found", "\(missing)")
        #expect(server.stop() == 0)
    }

    @Test func resumingAFailedRunReusesItsCompletedTasks() async throws {
        let server = try await ServerProcess.withFixtures()
        let marker = server.sandbox.directory + "/marker"
        let id = try server.createRun(#"{"flow": "resumable", "parameters": {"marker": "\#(marker)"}}"#)["id"]?.stringValue ?? ""
        let failed = try await server.finished(id)
        #expect(failed["state"] == .string("failed"), "\(failed)")
        try server.expectHistory(id, ["Scheduled", "Pending", "Running", "Failed"])

        try "ok".write(toFile: marker, atomically: true, encoding: .utf8)
        let resumed = try server.post("/api/flow-runs/\(id)/resume")
        #expect(resumed.status == 202, "\(resumed)")
        #expect(resumed.json["id"] == .string(id), "the same run, a new attempt")
        #expect(resumed.json["attempt"] == .int(2))
        // Scheduled for a worker, or already claimed by the built-in one.
        #expect(["scheduled", "pending"].contains(resumed.json["state"]?.stringValue ?? ""), "\(resumed)")
        #expect(resumed.json["stateName"] == .string("Resuming"))
        let done = try await server.finished(id)
        #expect(done["state"] == .string("completed"), "\(done)")
        #expect(done["attempt"] == .int(2))
        // The resume is scheduled, then claimed: both states are named Resuming.
        try server.expectHistory(id, ["Scheduled", "Pending", "Running", "Failed", "Resuming", "Resuming", "Running", "Completed"])
        let types = try server.get("/api/flow-runs/\(id)/states").json["states"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
        #expect(types == ["scheduled", "pending", "running", "failed", "scheduled", "pending", "running", "completed"])

        let taskRuns = try server.get("/api/flow-runs/\(id)/task-runs").json["taskRuns"]?.arrayValue ?? []
        let first = taskRuns.filter { $0["flowRunAttempt"] == .int(1) }
        let second = taskRuns.filter { $0["flowRunAttempt"] == .int(2) }
        #expect(first.map { $0["stateName"] } == ["Completed", "Completed", "Failed"].map(JSONValue.string))
        #expect(second.map { $0["name"] } == ["step-one-0", "step-two-0", "step-three-0"].map(JSONValue.string))
        #expect(second.map { $0["stateName"] } == ["Cached", "Cached", "Completed"].map(JSONValue.string))
        #expect(second.map { $0["history"]?.stateNames ?? [] } == [["Pending", "Cached"], ["Pending", "Cached"], ["Pending", "Running", "Completed"]])
        #expect(second.first?["cachedFrom"] == first.first?["id"])

        let again = try server.post("/api/flow-runs/\(id)/resume")
        #expect(again.status == 400, "\(again)")
        #expect(again.error == "bad_request")
        #expect(again.message.contains("only a failed, crashed or cancelled run can be resumed"), "\(again)")
        #expect(server.stop() == 0)
    }

    @Test func cancellingALongRunGoesThroughCancellingToCancelled() async throws {
        let server = try await ServerProcess.withFixtures()
        let id = try server.createRun(#"{"flow": "sleepy"}"#)["id"]?.stringValue ?? ""
        // Wait until its task sleeps: its log line says so.
        _ = try await server.events("/api/events?flowRun=\(id)", subscribed: { [server] in
            let logs = try server.get("/api/flow-runs/\(id)/logs").json["logs"]?.arrayValue ?? []
            return logs.contains { $0["message"]?.stringValue?.hasPrefix("sleeping") == true }
        }) { event, _ in
            event.event == "log" && ((try? JSONValue(json: event.data))?["message"]?.stringValue?.hasPrefix("sleeping") ?? false)
        }
        let cancel = try server.post("/api/flow-runs/\(id)/cancel")
        #expect(cancel.status == 202, "\(cancel)")
        #expect(cancel.json["state"] == .string("cancelling"))
        let done = try await server.finished(id)
        #expect(done["state"] == .string("cancelled"), "\(done)")
        try server.expectHistory(id, ["Scheduled", "Pending", "Running", "Cancelling", "Cancelled"])
        let taskRuns = try server.get("/api/flow-runs/\(id)/task-runs").json["taskRuns"]?.arrayValue ?? []
        #expect(taskRuns.compactMap { $0["name"]?.stringValue } == ["sleeper-0"], "after-sleep never started")
        #expect(taskRuns.first?["history"]?.stateNames == ["Pending", "Running", "Cancelled"])

        let again = try server.post("/api/flow-runs/\(id)/cancel")
        #expect(again.status == 400, "\(again)")
        #expect(again.message.contains("is already cancelled"), "\(again)")
        #expect(server.stop() == 0)
    }

    @Test func cancellingARunNoWorkerHasClaimedEndsItAtOnce() async throws {
        let server = try await ServerProcess.withFixtures()
        // No worker serves pool "nobody": the run waits, unclaimed.
        let id = try server.createRun(#"{"flow": "hello", "pool": "nobody"}"#)["id"]?.stringValue ?? ""
        let cancel = try server.post("/api/flow-runs/\(id)/cancel")
        #expect(cancel.status == 202, "\(cancel)")
        #expect(cancel.json["state"] == .string("cancelled"), "nothing runs it, so nothing need stop first")
        try server.expectHistory(id, ["Scheduled", "Cancelled"])
        #expect(try server.get("/api/flow-runs/\(id)/task-runs").json["taskRuns"] == .array([]))
        // A resumed run goes back to its own pool, not the server's.
        let resumed = try server.post("/api/flow-runs/\(id)/resume")
        #expect(resumed.status == 202 && resumed.json["pool"] == .string("nobody"), "\(resumed)")
        #expect(resumed.json["attempt"] == .int(2))
        #expect(server.stop() == 0)
    }
}
