import BatonCore
import Foundation
import Testing

/// Deployments over the API: created with a cron schedule in a time zone, listed with their next
/// runs, paused, resumed, run now, backfilled and deleted.
@Suite(.timeLimit(.minutes(20)))
struct ServerDeploymentTests {
    @Test func aDeploymentIsCreatedPausedResumedRunBackfilledAndDeleted() async throws {
        let server = try await ServerProcess.withFixtures()
        let created = try server.post("/api/deployments", #"""
            {"flow": "echo", "name": "morning", "cron": "0 9 * * *", "timezone": "America/New_York",
             "parameters": {"count": 2}, "maxActive": 3}
            """#)
        #expect(created.status == 201, "\(created)")
        #expect(created.json["name"] == .string("morning"))
        #expect(created.json["flow"] == .string("echo"))
        #expect(created.json["version"] == .string("latest"))
        #expect(created.json["timezone"] == .string("America/New_York"))
        #expect(created.json["paused"] == .bool(false))
        #expect(created.json["maxActive"] == .int(3))
        #expect(created.json["parameters"] == .object(["count": .int(2)]))
        #expect(created.json["scheduleSummary"]?.stringValue?.contains("0 9 * * *") == true, "\(created)")
        let next = created.json["next"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(next.count == 5)
        #expect(next.allSatisfy { $0.contains("T09:00:00-0") }, "nine in the morning in New York: \(next)")
        #expect(next == next.sorted())

        let shown = try server.get("/api/deployments/morning")
        #expect(shown.status == 200)
        #expect(shown.json["next"] == created.json["next"])
        let names = { (query: String) throws -> [String] in
            try server.get("/api/deployments\(query)").json["deployments"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        }
        #expect(try names("") == ["morning"])
        #expect(try names("?flow=echo") == ["morning"])
        #expect(try names("?flow=hello") == [])

        let paused = try server.post("/api/deployments/morning/pause")
        #expect(paused.status == 200, "\(paused)")
        #expect(paused.json["paused"] == .bool(true))
        #expect(paused.json["next"] == .array([]), "a paused deployment fires no more")
        #expect(try server.get("/api/deployments/morning").json["paused"] == .bool(true))
        let resumed = try server.post("/api/deployments/morning/resume")
        #expect(resumed.status == 200)
        #expect(resumed.json["paused"] == .bool(false))
        #expect(resumed.json["next"]?.arrayValue?.count == 5)

        let run = try server.post("/api/deployments/morning/run", #"{"parameters": {"name": "deployed"}}"#)
        #expect(run.status == 201, "\(run)")
        #expect(run.json["deployment"] == .string("morning"))
        #expect(run.json["parameters"]?["count"] == .int(2), "the deployment's parameters")
        #expect(run.json["parameters"]?["name"] == .string("deployed"), "with the run's overrides")
        let runID = try #require(run.json["id"]?.stringValue)
        let done = try await server.finished(runID)
        #expect(done["state"] == .string("completed"))
        #expect(done["result"]?["greeting"] == .string("hello deployed, hello deployed"))
        try server.expectHistory(runID, ["Scheduled", "Pending", "Running", "Completed"])
        let plain = try server.post("/api/deployments/morning/run")
        #expect(plain.status == 201 && plain.json["parameters"]?["name"] == .string("world"), "no body, no overrides: \(plain)")
        try await server.finished(plain.json["id"]?.stringValue ?? "")

        // Three mornings in New York; a second backfill of the same range makes none.
        let range = #"{"from": "2026-11-01T00:00:00Z", "to": "2026-11-03T23:59:59Z"}"#
        let first = try server.post("/api/deployments/morning/backfill", range)
        #expect(first.status == 201, "\(first)")
        let backfilled = first.json["created"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(backfilled.count == 3)
        #expect(first.json["existing"] == .int(0))
        let second = try server.post("/api/deployments/morning/backfill", range)
        #expect(second.status == 201, "\(second)")
        #expect(second.json["created"] == .array([]))
        #expect(second.json["existing"] == .int(3))
        let times = try backfilled.map { try server.get("/api/flow-runs/\($0)").json["scheduledTime"]?.stringValue ?? "" }.sorted()
        #expect(times == ["2026-11-01T14:00:00.000Z", "2026-11-02T14:00:00.000Z", "2026-11-03T14:00:00.000Z"])
        // Besides these, the scheduler has made the runs of the next mornings, not yet due.
        let listedRuns = try server.get("/api/flow-runs?deployment=morning").json["runs"]?.arrayValue ?? []
        let made = Set(backfilled + [runID, plain.json["id"]?.stringValue ?? ""])
        let ahead = listedRuns.filter { !made.contains($0["id"]?.stringValue ?? "") }
        let listed = Set(listedRuns.compactMap { $0["id"]?.stringValue })
        #expect(listed.isSuperset(of: made))
        let now = Timestamps.iso(Date())
        let description = listedRuns.map { "\($0["scheduledTime"] ?? .null) \($0["stateName"] ?? .null)" }
        #expect(ahead.allSatisfy { $0["state"] == .string("scheduled") && ($0["scheduledTime"]?.stringValue ?? "") > now }, "\(description)")

        let deleted = try server.request("DELETE", "/api/deployments/morning")
        #expect(deleted.status == 204, "\(deleted)")
        #expect(deleted.body.isEmpty)
        let gone = try server.get("/api/deployments/morning")
        #expect(gone.status == 404 && gone.error == "not_found")
        #expect(try server.request("DELETE", "/api/deployments/morning").status == 404)
        #expect(try names("") == [])
        for run in ahead {
            #expect(try server.get("/api/flow-runs/\(run["id"]?.stringValue ?? "")").status == 404, "its runs not yet started went with it")
        }
        let kept = try server.get("/api/flow-runs/\(runID)")
        #expect(kept.status == 200 && kept.json["state"] == .string("completed"), "finished runs stay")
        #expect(server.stop() == 0)
    }

    @Test func anIntervalDeploymentRunsOnItsOwnThroughTheServersScheduler() async throws {
        let server = try await ServerProcess.withFixtures()
        let created = try server.post("/api/deployments", #"{"flow": "hello", "name": "often", "interval": 1, "version": 1}"#)
        #expect(created.status == 201, "\(created)")
        #expect(created.json["version"] == .string("1"))
        // The scheduler makes runs; the built-in worker executes them.
        let events = try await server.events("/api/events") { _, events in
            Set(payloads(events, "flow_run").filter { $0["deployment"] == .string("often") && $0["state"] == .string("completed") }
                .compactMap { $0["id"]?.stringValue }).count >= 2
        }
        let completed = payloads(events, "flow_run").filter { $0["deployment"] == .string("often") && $0["state"] == .string("completed") }
        #expect(completed.allSatisfy { $0["version"] == .int(1) && $0["flow"] == .string("hello") })
        #expect(try server.post("/api/deployments/often/pause").json["paused"] == .bool(true))
        #expect(server.stop() == 0)
    }
}
