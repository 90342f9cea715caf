import BatonCore
import Foundation
import Testing

/// Runs of the fixture library's flows: retries, crashes, parameters and their defaults.
@Suite(.timeLimit(.minutes(20)))
struct FixtureRunTests {
    /// A sandbox with libFixtureFlows.so registered.
    func registered() async throws -> Sandbox {
        let sandbox = try Sandbox()
        let library = try await Builds.shared.fixture("FixtureFlows")
        let result = try sandbox.baton("register", library, "--json")
        try #require(result.status == 0, "\(result.stderr)")
        return sandbox
    }

    func show(_ sandbox: Sandbox, _ run: CommandResult) throws -> JSONValue {
        let id = try #require(run.json["id"]?.stringValue, "no run id in: \(run.stdout) \(run.stderr)")
        return try sandbox.baton("run", "show", id, "--json").json
    }

    @Test func oneLibraryExportsSeveralFlows() async throws {
        let sandbox = try Sandbox()
        let result = try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows"), "--json")
        let flows = (result.json.arrayValue ?? []).compactMap { $0["flow"]?.stringValue }.sorted()
        #expect(Set(flows).isSuperset(of: ["crash", "echo", "flaky", "hello", "no-params"]))
        #expect(flows.count >= 5)
        #expect(result.json.arrayValue?.allSatisfy { $0["version"] == .int(1) } == true)
        let listed = try sandbox.baton("flow", "ls").stdout
        #expect(listed.contains("no-params") && listed.contains("Echoes its typed parameters"))
        #expect(try sandbox.baton("run", "no-params").status == 0)
    }

    @Test func aTaskThatFailsOnceSucceedsOnItsRetry() async throws {
        let sandbox = try await registered()
        let run = try sandbox.baton("run", "flaky", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.json["state"] == .string("completed"))
        #expect(run.json["result"] == .int(2))
        let show = try show(sandbox, run)
        #expect(show["states"]?.stateNames == ["Pending", "Running", "Completed"])
        let task = try #require(show["taskRuns"]?.arrayValue?.first)
        #expect(task["name"] == .string("flaky-step-0"))
        #expect(task["attempts"] == .int(2))
        let id = try #require(task["id"]?.stringValue)
        #expect(show["taskRunStates"]?[id]?.stateNames == ["Pending", "Running", "AwaitingRetry", "Retrying", "Completed"])
        let message = show["taskRunStates"]?[id]?.arrayValue?[2]["message"]?.stringValue ?? ""
        #expect(message.contains("attempt 1 of 3 failed") && message.contains("planned failure 1 of 1"))
        let logs = try sandbox.baton("run", "logs", try #require(run.json["id"]?.stringValue)).stdout
        #expect(logs.contains("retrying in 10 ms"))
        #expect(logs.contains("flaky-step-0") && logs.contains("succeeded on attempt 2 (RunInfo says 2)"))
    }

    @Test func aTaskThatKeepsFailingFailsTheRunWhenRetriesRunOut() async throws {
        let sandbox = try await registered()
        let run = try sandbox.baton("run", "flaky", "--param", "failures=5", "--json")
        #expect(run.status == 1)
        #expect(run.json["state"] == .string("failed"))
        #expect(run.json["message"]?.stringValue?.contains("task 'flaky-step' failed: FixtureError: planned failure 3 of 5") == true)
        let show = try show(sandbox, run)
        #expect(show["states"]?.stateNames == ["Pending", "Running", "Failed"])
        let task = try #require(show["taskRuns"]?.arrayValue?.first)
        #expect(task["attempts"] == .int(3))
        let id = try #require(task["id"]?.stringValue)
        #expect(
            show["taskRunStates"]?[id]?.stateNames
                == ["Pending", "Running", "AwaitingRetry", "Retrying", "AwaitingRetry", "Retrying", "Failed"])
    }

    @Test(arguments: [
        ("fatal", "killed by signal 4 (SIGILL)", "Fatal error: the fixture crashes on purpose"),
        ("segv", "killed by signal 11 (SIGSEGV)", "Bad pointer dereference"),
        ("exit", "exited with status 7", "before the flow run finished"),
    ])
    func aCrashingFlowIsACrashedRunAndTheNextRunWorks(how: String, ending: String, detail: String) async throws {
        let sandbox = try await registered()
        let run = try sandbox.baton("run", "crash", "--param", "how=\(how)", "--json")
        #expect(run.status == 3)
        #expect(run.json["state"] == .string("crashed"))
        let message = run.json["message"]?.stringValue ?? ""
        #expect(message.contains(ending), "\(message)")
        #expect(message.contains(detail), "\(message)")
        let show = try show(sandbox, run)
        #expect(show["states"]?.stateNames == ["Pending", "Running", "Crashed"])
        let task = try #require(show["taskRuns"]?.arrayValue?.first)
        #expect(task["state"]?["type"] == .string("crashed"), "an unfinished task run ends with its flow run")

        let next = try sandbox.baton("run", "echo", "--json")
        #expect(next.status == 0, "the store and baton are unharmed: \(next.stderr)")
        #expect(try sandbox.runs().count == 2)
    }

    @Test func defaultsFillInAndEachTypeIsReadFromTheCommandLine() async throws {
        let sandbox = try await registered()
        let defaults = try sandbox.baton("run", "echo", "--json")
        #expect(defaults.status == 0, "\(defaults.stderr)")
        let params = try #require(defaults.json["parameters"])
        #expect(params["name"] == .string("world"))
        #expect(params["count"] == .int(3))
        #expect(params["ratio"] == .double(0.5))
        #expect(params["enabled"] == .bool(true))
        #expect(params["tags"] == .array([.string("a"), .string("b")]))
        #expect(params["limit"] == .null)
        #expect(params["mode"] == .string("fast"))
        #expect(params["window"] == .object(["from": .int(1), "to": .int(10)]))
        #expect(defaults.json["result"]?["greeting"] == .string("hello world, hello world, hello world"))

        let given = try sandbox.baton(
            "run", "echo", "--param", "name=Ada", "--param", "count=2", "--param", "ratio=0.25", "--param", "enabled=false",
            "--param", #"tags=["x"]"#, "--param", "limit=7", "--param", "mode=careful", "--param", #"window={"from":2,"to":3}"#,
            "--param", "since=2026-01-02T03:04:05Z", "--json")
        #expect(given.status == 0, "\(given.stderr)")
        let echoed = try #require(given.json["result"]?["params"])
        #expect(echoed["name"] == .string("Ada"))
        #expect(echoed["count"] == .int(2))
        #expect(echoed["ratio"] == .double(0.25))
        #expect(echoed["enabled"] == .bool(false))
        #expect(echoed["tags"] == .array([.string("x")]))
        #expect(echoed["limit"] == .int(7))
        #expect(echoed["mode"] == .string("careful"))
        #expect(echoed["window"] == .object(["from": .int(2), "to": .int(3)]))
        #expect(echoed["since"] == .string("2026-01-02T03:04:05Z"))
        #expect(given.json["result"]?["greeting"] == .string("hello Ada, hello Ada"))
    }

    @Test func aParamsFileIsReadAndParamsOverrideIt() async throws {
        let sandbox = try await registered()
        let file = sandbox.directory + "/params.json"
        try #"{"name": "file", "count": 1}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try sandbox.baton("run", "echo", "--params-file", file, "--param", "name=flag", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.json["parameters"]?["name"] == .string("flag"))
        #expect(run.json["parameters"]?["count"] == .int(1))
    }

    @Test func logsCarryLevelsRunAndTaskNames() async throws {
        let sandbox = try await registered()
        let run = try sandbox.baton("run", "echo")
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let name = try #require(lines.first.flatMap { $0.split(separator: "'").dropFirst().first }.map(String.init))
        #expect(lines.contains { $0.contains("WARNING") && $0.contains(name) && $0.hasSuffix("warning line") })
        #expect(lines.contains { $0.contains("INFO") && $0.contains("\(name) greet-0") && $0.contains("Completed") })
        #expect(lines.contains { $0.contains("printed by the flow body") })
        let stored = try sandbox.baton("run", "logs", name, "--level", "warning").stdout
        #expect(stored.contains("warning line") && !stored.contains("debug line"))
        let inspect = try sandbox.baton("flow", "inspect", "echo").stdout
        #expect(inspect.contains("count") && inspect.contains("integer") && inspect.contains("How many greetings"))
        #expect(inspect.contains("greet") && inspect.contains("(String, Int)") && inspect.contains("fixture"))
    }

    @Test func severalProcessesWritingTheStoreAtOnceAllSucceed() async throws {
        let sandbox = try await registered()
        let runs = try (0..<4).map { index in try sandbox.startBaton(["run", "echo", "--param", "count=\(index + 1)"]) }
        let register = try sandbox.startBaton(["register", try await Builds.shared.fixture("FixtureFlows")])
        for process in runs + [register] { process.waitUntilExit() }
        #expect((runs + [register]).map(\.terminationStatus) == [0, 0, 0, 0, 0])
        let stored = try sandbox.runs()
        #expect(stored.count == 4)
        #expect(stored.allSatisfy { $0["state"] == .string("completed") })
    }
}
