import BatonCore
import Foundation
import Testing

/// Registering a new version through the API while the server runs the old one: the running run
/// finishes on its version, the next run gets the new one, and the server never restarts.
@Suite(.timeLimit(.minutes(30)))
struct ServerHotRegistrationTests {
    /// Two builds of the windspeed example that differ in behaviour: the first reports knots, the
    /// second miles per hour. Built in a sandbox of their own and read out of its library store.
    func windspeedBuilds() throws -> (knots: [UInt8], milesPerHour: [UInt8]) {
        let package = try exampleCopy("windspeed", folder: "server-windspeed")
        let builder = try Sandbox()
        func build() throws -> [UInt8] {
            let built = try builder.baton("register", package, "--json")
            try #require(built.status == 0, "\(built.stderr)")
            let library = try #require(built.json.arrayValue?.first?["library"]?.stringValue, "\(built.stdout)")
            return try [UInt8](Data(contentsOf: URL(fileURLWithPath: library)))
        }
        let knots = try build()
        try edit(package + "/Sources/Windspeed/Windspeed.swift", replacing: "let speedUnit = SpeedUnit.knots", with: "let speedUnit = SpeedUnit.milesPerHour")
        let milesPerHour = try build()
        return (knots, milesPerHour)
    }

    @Test func uploadingAChangedLibraryWhileARunExecutesLeavesThatRunOnItsVersion() async throws {
        let (knots, milesPerHour) = try windspeedBuilds()
        #expect(knots != milesPerHour)
        let server = try await ServerProcess.start(try Sandbox())
        let pid = server.process.process.processIdentifier

        let first = try server.upload(knots, fileName: "libWindspeed.so", label: "knots")
        #expect(first.status == 201, "\(first)")
        let v1 = try #require(first.json["registered"]?.arrayValue?.first)
        #expect(v1["flow"] == .string("windspeed"))
        #expect(v1["version"] == .int(1))
        #expect(v1["created"] == .bool(true))
        #expect(v1["label"] == .string("knots"))
        #expect(v1["deploymentNote"]?.stringValue?.contains("default deployment 'windspeed' created") == true, "\(v1)")
        // Its one-minute schedule would add runs of its own meanwhile.
        #expect(try server.post("/api/deployments/windspeed/pause").json["paused"] == .bool(true))

        let reading = #"{"city": "Boston", "windSpeed": 5.0, "observedAt": "2026-11-21T12:00:00Z"}"#
        // The held run's requests wait until released, also a copy its task sends again after the
        // client's own timeout (60 s) while a loaded machine registers the new version.
        let station = try LoopbackServer { path, _ in
            path.hasPrefix("/held/") ? .hold(then: 200, body: reading) : .send(status: 200, body: reading)
        }
        defer { station.releaseAll() }
        let directory = server.sandbox.directory
        let held = try server.createRun(
            #"{"flow": "windspeed", "parameters": {"source": "\#(station.baseURL)/held/{city}", "output": "\#(directory)/held.csv"}}"#)
        #expect(held["version"] == .int(1))
        let heldID = try #require(held["id"]?.stringValue)
        await station.requests(reach: 1)  // version 1 is now mid-task, waiting for the station
        // The runner's Running state reaches the store on the supervisor's next write, which may
        // come after the task's request: wait for it rather than race it.
        try await server.reached(heldID) { $0["state"] == .string("running") }

        let second = try server.upload(milesPerHour, fileName: "libWindspeed.so", label: "mph")
        #expect(second.status == 201, "\(second)")
        #expect(second.json["registered"]?.arrayValue?.first?["version"] == .int(2))
        #expect(second.json["registered"]?.arrayValue?.first?["created"] == .bool(true))
        #expect(try server.get("/api/flows/windspeed").json["latestVersion"] == .int(2))
        let heldNow = try server.get("/api/flow-runs/\(heldID)").json
        #expect(heldNow["state"] == .string("running"), "the first run still waits: \(heldNow)")
        // Released as soon as version 2 is registered: the held run's request (60 s a try) then waits
        // only as long as the upload took, even on a loaded machine.
        station.releaseAll()

        let fresh = try server.createRun(
            #"{"flow": "windspeed", "parameters": {"source": "\#(station.baseURL)/fresh/{city}", "output": "\#(directory)/fresh.csv"}}"#)
        #expect(fresh["version"] == .int(2), "a new run gets the new version at once")
        let freshID = try #require(fresh["id"]?.stringValue)
        let freshDone = try await server.finished(freshID)
        #expect(freshDone["state"] == .string("completed"), "\(freshDone)")
        #expect(freshDone["result"]?["unit"] == .string("mph"))

        let heldDone = try await server.finished(heldID)
        #expect(heldDone["state"] == .string("completed"), "\(heldDone)")
        #expect(heldDone["version"] == .int(1))
        #expect(heldDone["result"]?["unit"] == .string("kn"), "the run finished on its own version's code")
        try server.expectHistory(heldID, ["Scheduled", "Pending", "Running", "Completed"])
        #expect(try String(contentsOfFile: directory + "/held.csv", encoding: .utf8).contains(",kn,"))
        #expect(try String(contentsOfFile: directory + "/fresh.csv", encoding: .utf8).contains(",mph,"))

        let again = try server.upload(milesPerHour, fileName: "libWindspeed.so")
        #expect(again.status == 201, "\(again)")
        #expect(again.json["registered"]?.arrayValue?.first?["version"] == .int(2))
        #expect(again.json["registered"]?.arrayValue?.first?["created"] == .bool(false), "identical bytes make no version")
        let versions = try server.get("/api/flows/windspeed/versions").json["versions"]?.arrayValue ?? []
        #expect(versions.map { $0["version"] } == [.int(2), .int(1)])
        #expect(versions.map { $0["label"] } == [.string("mph"), .string("knots")])
        let diff = try server.get("/api/flows/windspeed/versions/1/diff/2").json["changes"]?.arrayValue ?? []
        #expect(diff.contains { $0["path"] == .string("hash") })

        #expect(server.process.process.isRunning && server.process.process.processIdentifier == pid, "never restarted")
        #expect(server.stop() == 0)
    }
}
