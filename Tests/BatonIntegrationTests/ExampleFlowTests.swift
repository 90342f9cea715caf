import BatonCore
import Foundation
import Testing

/// The bikes and tables examples, built from flows/ and run as a user would.
@Suite(.timeLimit(.minutes(20)))
struct ExampleFlowTests {
    @Test func bikesWritesACSVPerRunWithComputedColumns() async throws {
        let sandbox = try Sandbox()
        let registered = try sandbox.baton("register", Paths.root + "/flows/bikes", "--json")
        try #require(registered.status == 0, "\(registered.stderr)")
        #expect(try sandbox.baton("flow", "inspect", "bikes").stdout.contains("every 5 minutes"))

        let feed = #"{"last_updated": 1, "data": {"stations": [{"station_id": "s1", "name": "Dock \"One\"", "capacity": 10, "num_bikes_available": 1, "num_docks_available": 9, "lat": 1, "lon": 2}, {"station_id": "s2", "name": "Two", "capacity": 4, "num_bikes_available": 4, "num_docks_available": 0, "lat": 1, "lon": 2}]}}"#
        let server = try LoopbackServer { _, _ in .send(status: 200, body: feed) }
        let run = try sandbox.baton("run", "bikes", "--param", "source=\(server.baseURL)/gbfs", "--param", "outputDir=out", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let name = try #require(run.json["name"]?.stringValue)
        let csv = try String(contentsOfFile: sandbox.directory + "/out/stations-\(name).csv", encoding: .utf8)
        let lines = csv.split(separator: "\n")
        #expect(lines.first == "station_id,name,capacity,bikes,docks,utilisation,nearly_empty,full,fetched_at")
        #expect(lines.count == 3)
        #expect(lines[1].hasPrefix("s1,\"Dock \"\"One\"\"\",10,1,9,0.1,true,false,"))
        #expect(lines[2].hasPrefix("s2,\"Two\",4,4,0,1.0,false,true,"))
        #expect(run.json["result"]?["bikesAvailable"] == .int(5))

        let second = try sandbox.baton("run", "bikes", "--param", "outputDir=out", "--json")
        #expect(second.status == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: sandbox.directory + "/out")
        #expect(files.count == 2, "one CSV per run: \(files)")
    }

    @Test func tablesFailsWhenTheValidShareIsBelowTheThreshold() async throws {
        let sandbox = try Sandbox()
        try #require(try sandbox.baton("register", Paths.root + "/flows/tables").status == 0)
        let passing = try sandbox.baton("run", "tables", "--json")
        #expect(passing.status == 0, "\(passing.stderr)")
        #expect(passing.json["result"]?["tables"] == .int(8))
        #expect(passing.json["result"]?["valid"] == .int(7))

        let failing = try sandbox.baton("run", "tables", "--param", "threshold=0.9", "--json")
        #expect(failing.status == 1)
        #expect(failing.json["state"] == .string("failed"))
        #expect(failing.json["message"]?.stringValue?.contains("only 88% of the tables are valid (7 of 8), below the threshold of 90%") == true)

        // Inputs discovered at run time: one task run per table found.
        let folder = sandbox.directory + "/inputs"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "id,amount\n1,2.5\n2,3\n".write(toFile: folder + "/a.csv", atomically: true, encoding: .utf8)
        try "id,amount\n1,x\n".write(toFile: folder + "/b.csv", atomically: true, encoding: .utf8)
        try "id,amount\n7,1\n".write(toFile: folder + "/c.csv", atomically: true, encoding: .utf8)
        let found = try sandbox.baton("run", "tables", "--param", "inputDir=\(folder)", "--param", "threshold=0.5", "--json")
        #expect(found.status == 0, "\(found.stderr)")
        #expect(found.json["result"]?["invalid"] == .array([.string("b.csv")]))
        let id = try #require(found.json["id"]?.stringValue)
        let taskRuns = try sandbox.baton("run", "show", id, "--json").json["taskRuns"]?.arrayValue ?? []
        #expect(taskRuns.compactMap { $0["name"]?.stringValue } == ["discover-0", "validate-0", "validate-1", "validate-2", "aggregate-0"])
    }

    @Test func quickstartBuildsRegistersAndRunsEveryExample() throws {
        let sandbox = try Sandbox()
        let result = try sandbox.baton("quickstart", "--flows", Paths.root + "/flows")
        #expect(result.status == 0, "\(result.stdout.suffix(2000)) \(result.stderr)")
        let runs = try sandbox.runs()
        #expect(Set(runs.compactMap { $0["flow"]?.stringValue }) == ["bikes", "tables", "windspeed"])
        #expect(runs.allSatisfy { $0["state"] == .string("completed") })
        #expect(result.stdout.contains("Summary"))
        #expect(FileManager.default.fileExists(atPath: sandbox.home + "/quickstart/windspeed.csv"))
    }
}
