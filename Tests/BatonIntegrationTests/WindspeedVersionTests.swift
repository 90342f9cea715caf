import BatonCore
import Foundation
import Testing

/// The windspeed example, copied so its source can change: versions, reruns of old versions,
/// concurrent registrations, registration during a run, and retries against a flaky server.
@Suite(.serialized, .timeLimit(.minutes(20)))
struct WindspeedVersionTests {
    let package: String
    var source: String { package + "/Sources/Windspeed/Windspeed.swift" }

    init() throws {
        package = try exampleCopy("windspeed")
    }

    /// Makes the copy the second version: it reports in miles per hour instead of knots.
    func changeToMilesPerHour() throws {
        try edit(source, replacing: "let speedUnit = SpeedUnit.knots", with: "let speedUnit = SpeedUnit.milesPerHour")
    }

    @Test func registeringAChangedBuildCreatesTheNextVersionAndBothRun() throws {
        let sandbox = try Sandbox()
        let first = try sandbox.baton("register", package, "--json")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.json.arrayValue?.first?["version"] == .int(1))
        #expect(first.json.arrayValue?.first?["created"] == .bool(true))
        // windspeed declares a one-minute schedule: its default deployment runs the latest version.
        #expect(first.json.arrayValue?.first?["deployment"] == .string("default deployment 'windspeed' created: every 1 minute, pool default"))
        let deployment = try sandbox.baton("deployment", "inspect", "windspeed", "--json").json
        #expect(deployment["version"] == .string("latest"))
        #expect(deployment["isDefault"] == .bool(true))
        #expect(deployment["next"]?.arrayValue?.count == 5)

        let again = try sandbox.baton("register", package, "--json")
        #expect(again.status == 0)
        #expect(again.json.arrayValue?.first?["version"] == .int(1))
        #expect(again.json.arrayValue?.first?["created"] == .bool(false), "identical bytes must not create a version")

        try changeToMilesPerHour()
        let second = try sandbox.baton("register", package, "--label", "mph", "--json")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.json.arrayValue?.first?["version"] == .int(2))
        #expect(second.json.arrayValue?.first?["label"] == .string("mph"))

        let versions = try sandbox.baton("flow", "versions", "windspeed", "--json").json.arrayValue ?? []
        #expect(versions.map { $0["version"] } == [.int(1), .int(2)])
        #expect(versions[0]["hash"] != versions[1]["hash"])
        #expect(versions[1]["label"] == .string("mph"))

        let one = try sandbox.baton("run", "windspeed", "--version", "1", "--param", "output=v1.csv", "--json")
        let two = try sandbox.baton("run", "windspeed", "--param", "output=v2.csv", "--param", "city=Denver", "--json")
        #expect(one.status == 0, "\(one.stderr)")
        #expect(two.status == 0, "\(two.stderr)")
        #expect(one.json["version"] == .int(1))
        #expect(two.json["version"] == .int(2))
        #expect(one.json["parameters"]?["city"] == .string("Boston"), "the default fills in")
        #expect(two.json["parameters"]?["city"] == .string("Denver"))
        #expect(one.json["result"]?["unit"] == .string("kn"))
        #expect(two.json["result"]?["unit"] == .string("mph"))
        let v1 = try String(contentsOfFile: sandbox.directory + "/v1.csv", encoding: .utf8)
        let v2 = try String(contentsOfFile: sandbox.directory + "/v2.csv", encoding: .utf8)
        #expect(v1.contains("Boston,") && v1.contains(",kn,"))
        #expect(v2.contains("Denver,") && v2.contains(",mph,"))

        // A rerun keeps the run's version and parameters unless told otherwise.
        let firstRun = try #require(one.json["id"]?.stringValue)
        let rerun = try sandbox.baton("rerun", firstRun, "--json")
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.json["version"] == .int(1))
        #expect(rerun.json["parameters"] == one.json["parameters"])
        #expect(rerun.json["rerunOf"] == .string(firstRun))
        let onLatest = try sandbox.baton("rerun", firstRun, "--version", "latest", "--json")
        #expect(onLatest.json["version"] == .int(2))
        #expect(onLatest.json["result"]?["unit"] == .string("mph"))
    }

    @Test func concurrentRegistrationsGetDistinctConsecutiveNumbers() async throws {
        // Two builds with different bytes, copied out of the package's build folder.
        let builder = try Sandbox()
        let libraries = try (1...2).map { variant -> String in
            if variant == 2 { try changeToMilesPerHour() }
            let built = try builder.baton("register", package, "--json")
            try #require(built.status == 0, "\(built.stderr)")
            let library = try #require(built.json.arrayValue?.first?["library"]?.stringValue)
            let copy = builder.directory + "/variant\(variant)/libWindspeed.so"
            try FileManager.default.createDirectory(atPath: builder.directory + "/variant\(variant)", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: library, toPath: copy)
            return copy
        }

        let sandbox = try Sandbox()
        let processes = try libraries.map { try sandbox.startBaton(["register", $0]) }
        for process in processes { process.waitUntilExit() }
        #expect(processes.allSatisfy { $0.terminationStatus == 0 })
        let versions = try sandbox.baton("flow", "versions", "windspeed", "--json").json.arrayValue ?? []
        #expect(versions.map { $0["version"] } == [.int(1), .int(2)])
        #expect(Set(versions.compactMap { $0["hash"] }).count == 2)

        // Identical bytes registered at once: one version, both registrations succeed.
        let other = try Sandbox()
        let same = try (0..<3).map { _ in try other.startBaton(["register", libraries[0]]) }
        for process in same { process.waitUntilExit() }
        #expect(same.allSatisfy { $0.terminationStatus == 0 })
        let single = try other.baton("flow", "versions", "windspeed", "--json").json.arrayValue ?? []
        #expect(single.map { $0["version"] } == [.int(1)])
    }

    @Test func registeringWhileARunExecutesLeavesThatRunOnItsVersion() async throws {
        let sandbox = try Sandbox()
        let reading = #"{"city": "Boston", "windSpeed": 5.0, "observedAt": "2026-11-21T12:00:00Z"}"#
        let server = try LoopbackServer { _, _ in .hold(then: 200, body: reading) }
        #expect(try sandbox.baton("register", package).status == 0)

        let run = try sandbox.startBaton(
            ["run", "windspeed", "--param", "source=\(server.baseURL)/{city}", "--param", "output=held.csv"])
        await server.requests(reach: 1)  // version 1 is now mid-task, waiting for the server

        try changeToMilesPerHour()
        let registered = try sandbox.baton("register", package, "--json")
        #expect(registered.status == 0, "\(registered.stderr)")
        #expect(registered.json.arrayValue?.first?["version"] == .int(2))

        server.release()
        run.waitUntilExit()
        #expect(run.terminationStatus == 0)
        let runs = try sandbox.runs()
        #expect(runs.count == 1)
        #expect(runs.first?["version"] == .int(1))
        #expect(runs.first?["state"] == .string("completed"))
        #expect(runs.first?["result"]?["unit"] == .string("kn"), "the run finished on its own version")
    }

    @Test func extractRetriesWhenTheStationServerFails() async throws {
        let sandbox = try Sandbox()
        let reading = #"{"city": "Oslo", "windSpeed": 11.0, "observedAt": "2026-11-21T12:00:00Z"}"#
        let server = try LoopbackServer { path, number in
            number == 1 ? .send(status: 503, body: "{}") : .send(status: 200, body: reading)
        }
        #expect(try sandbox.baton("register", package).status == 0)
        let result = try sandbox.baton(
            "run", "windspeed", "--param", "city=Oslo", "--param", "source=\(server.baseURL)/station/{city}", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(server.requestCount == 2)
        let id = try #require(result.json["id"]?.stringValue)
        let show = try sandbox.baton("run", "show", id, "--json").json
        let extract = try #require(show["taskRuns"]?.arrayValue?.first { $0["taskName"] == .string("extract") })
        #expect(extract["attempts"] == .int(2))
        let taskID = try #require(extract["id"]?.stringValue)
        #expect(show["taskRunStates"]?[taskID]?.stateNames == ["Pending", "Running", "AwaitingRetry", "Retrying", "Completed"])
        let awaiting = show["taskRunStates"]?[taskID]?.arrayValue?[2]["message"]?.stringValue ?? ""
        #expect(awaiting.contains("HTTP 503"))
        #expect(show["states"]?.stateNames == ["Pending", "Running", "Completed"])
    }

    @Test func aFlowAddedToAnExistingFileIsExportedByTheNextRegistration() throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.baton("register", package, "--json").json.arrayValue?.count == 1)
        // Only a file's content changes, not the package's structure: the entry point must follow.
        let text = try String(contentsOfFile: source, encoding: .utf8)
        try (text + "\nlet gusts = Flow(\"gusts\", description: \"added later\") { () -> Int in 42 }\n")
            .write(toFile: source, atomically: true, encoding: .utf8)
        let registered = try sandbox.baton("register", package, "--json")
        #expect(registered.status == 0, "\(registered.stderr)")
        let flows = (registered.json.arrayValue ?? []).map { "\($0["flow"]?.stringValue ?? "")=\($0["version"]?.intValue ?? 0)" }
        #expect(flows.sorted() == ["gusts=1", "windspeed=2"])
        let run = try sandbox.baton("run", "gusts", "--json")
        #expect(run.json["result"] == .int(42))
    }

    @Test func theCommandPluginBuildsAndRegistersWithALabel() throws {
        let sandbox = try Sandbox()
        let result = try runProgram(
            Paths.swift, ["package", "--package-path", package, "baton-register", "--label", "from-plugin", "--json"],
            environment: ["BATON_HOME": sandbox.home, "BATON_BIN": Paths.baton])
        #expect(result.status == 0, "\(result.stderr)")
        let versions = try sandbox.baton("flow", "versions", "windspeed", "--json").json.arrayValue ?? []
        #expect(versions.count == 1)
        #expect(versions.first?["label"] == .string("from-plugin"))
        #expect(versions.first?["sourcePath"] == .string(package))
        // Only the entry point is exported from the library it built.
        let library = try #require(versions.first?["library"]?.stringValue)
        let symbols = try runProgram("/usr/bin/env", ["nm", "-D", "--defined-only", library])
        let global = symbols.stdout.split(separator: "\n").filter { line in
            let parts = line.split(separator: " ")
            return parts.count == 3 && parts[1].uppercased() == parts[1] && parts[1] != "A"
        }
        #expect(global.map { $0.split(separator: " ").last.map(String.init) ?? "" } == ["baton_library_open"])
    }

    @Test func ctrlCDuringARunEndsItCancelledAndTheNextRunWorks() async throws {
        let sandbox = try Sandbox()
        let reading = #"{"city": "Boston", "windSpeed": 5.0, "observedAt": "2026-11-21T12:00:00Z"}"#
        let server = try LoopbackServer { _, number in number == 1 ? .hold(then: 200, body: reading) : .send(status: 200, body: reading) }
        defer { server.release() }
        #expect(try sandbox.baton("register", package).status == 0)

        let run = try sandbox.startBaton(["run", "windspeed", "--param", "source=\(server.baseURL)/{city}"])
        await server.requests(reach: 1)
        run.interrupt()  // SIGINT, as Ctrl-C at a terminal sends
        run.waitUntilExit()
        #expect(run.terminationStatus == 130)
        let stopped = try #require(try sandbox.runs().first)
        #expect(stopped["state"] == .string("cancelled"))
        #expect(stopped["message"] == .string("interrupted (Ctrl-C)"))
        let show = try sandbox.baton("run", "show", stopped["id"]?.stringValue ?? "", "--json").json
        #expect(show["taskRuns"]?.arrayValue?.first?["state"]?["type"] == .string("cancelled"))

        let next = try sandbox.baton("run", "windspeed", "--param", "source=\(server.baseURL)/{city}", "--json")
        #expect(next.status == 0, "\(next.stderr)")
    }
}
