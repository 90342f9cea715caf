import BatonCore
import BatonHTTP
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

    @Test func quickstartBuildsRegistersAndRunsEveryExampleThenServesTheUI() async throws {
        let sandbox = try Sandbox()
        let quickstart = try WatchedProcess(sandbox, ["quickstart", "--flows", Paths.root + "/flows", "--port", "0"])
        let ready = try #require(await quickstart.line(containing: "Baton is ready"), "\(quickstart.output.suffix(3000))")
        // The ready line's web UI address is a one-time login link.
        let link = try #require(ready.split(separator: " ").first { $0.contains("/#/login?token=") }.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ",")) })
        let address = String(link.prefix { $0 != "#" }.dropLast())
        #expect(quickstart.output.contains("Summary"))

        // The runs it made itself; the server's scheduler has meanwhile scheduled the examples' default
        // deployments (windspeed declares a one-minute interval).
        let runs = try sandbox.runs().filter { $0["deployment"] == nil }
        #expect(Set(runs.compactMap { $0["flow"]?.stringValue }) == ["bikes", "tables", "windspeed"])
        #expect(runs.allSatisfy { $0["state"] == .string("completed") })
        #expect(FileManager.default.fileExists(atPath: sandbox.home + "/quickstart/windspeed.csv"))

        // The server it leaves running lists the examples, through the API and on the UI's flows page.
        // The UI needs a login: nothing without one.
        let client = try HTTPClient(baseURL: address)
        #expect(try client.request("GET", "/api/flows").status == 401)
        client.headers = [("Authorization", "Bearer " + (try ServerProcess.makeKey(sandbox, name: "check")))]
        let flows = try JSONValue(json: try client.request("GET", "/api/flows").body)
        #expect(Set(flows["flows"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []) == ["bikes", "tables", "windspeed"])
        if Chromium.isAvailable {
            // The link logs the browser in once and lands on the dashboard.
            let browser = try Chromium()
            defer { browser.close() }
            let page = try browser.open(link)
            try page.waitFor(#"document.body.dataset.ready === "dashboard""#)
            #expect(try page.evaluate(#"document.querySelector("[data-user]")?.dataset.user"#) as? String == "admin")
            try page.navigate(address + "/#/flows")
            try page.waitFor(#"document.body.dataset.ready === "flows""#)
            let rows = try page.evaluate(#"[...document.querySelectorAll("tr[data-flow]")].map(r => r.dataset.flow).sort().join(",")"#) as? String
            #expect(rows == "bikes,tables,windspeed")
            #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)")
        }
        quickstart.process.terminate()
        #expect(quickstart.wait() == 0, "\(quickstart.output.suffix(2000))")
    }
}
