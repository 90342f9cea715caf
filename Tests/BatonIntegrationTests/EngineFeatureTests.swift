import BatonCore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The engine's features through `baton` and the real fixture library, each run's state history
/// asserted.
@Suite(.timeLimit(.minutes(20)))
struct EngineFeatureTests {
    func registered() async throws -> Sandbox {
        let sandbox = try Sandbox()
        let result = try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows"))
        try #require(result.status == 0, "\(result.stderr)")
        return sandbox
    }

    func details(_ sandbox: Sandbox, _ id: String) throws -> JSONValue {
        try sandbox.baton("run", "show", id, "--json").json
    }

    func taskRuns(_ show: JSONValue, named task: String? = nil) -> [JSONValue] {
        (show["taskRuns"]?.arrayValue ?? []).filter { task == nil || $0["taskName"]?.stringValue == task }
    }

    func states(_ show: JSONValue, of taskRun: JSONValue) -> [String] {
        show["taskRunStates"]?[taskRun["id"]?.stringValue ?? ""]?.stateNames ?? []
    }

    @Test func aTaskTimeoutEndsTheAttemptAsTimedOutAndRetriesApply() async throws {
        let sandbox = try await registered()
        for cooperative in ["true", "false"] {
            let run = try sandbox.baton("run", "timeouts", "--param", "seconds=5", "--param", "cooperative=\(cooperative)", "--json")
            #expect(run.status == 1)
            let show = try details(sandbox, run.json["id"]?.stringValue ?? "")
            #expect(show["states"]?.stateNames == ["Pending", "Running", "Failed"])
            let task = try #require(taskRuns(show).first)
            #expect(states(show, of: task) == ["Pending", "Running", "AwaitingRetry", "Retrying", "TimedOut"])
            #expect(task["state"]?["type"] == .string("failed"))
            #expect(task["attempts"] == .int(2))
        }
    }

    @Test func aFlowBodyThatIgnoresItsTimeoutDoesNotHoldTheRun() async throws {
        let sandbox = try await registered()
        let run = try sandbox.baton("run", "stuck-flow", "--json")
        #expect(run.status == 1)
        #expect(run.json["state"] == .string("failed"))
        #expect(run.json["stateName"] == .string("TimedOut"))
        #expect(run.json["message"] == .string("the flow run exceeded its timeout of 500 ms"))
        #expect(try details(sandbox, run.json["id"]?.stringValue ?? "")["states"]?.stateNames == ["Pending", "Running", "TimedOut"])
    }

    @Test func cachedResultsAreReturnedAcrossRunsAndProcessesUntilTheyExpireOrAreCleared() async throws {
        let sandbox = try await registered()
        let first = try sandbox.baton("run", "caching", "--json")
        let second = try sandbox.baton("run", "caching", "--json")
        #expect(first.status == 0 && second.status == 0)
        let firstResults = first.json["result"]?.arrayValue ?? []
        let secondResults = second.json["result"]?.arrayValue ?? []
        #expect(secondResults.prefix(2) == firstResults.prefix(2), "computed by the first run's process")
        #expect(secondResults[2] != firstResults[2], "the short-lived entry expired")
        let firstShow = try details(sandbox, first.json["id"]?.stringValue ?? "")
        let secondShow = try details(sandbox, second.json["id"]?.stringValue ?? "")
        for task in ["expensive", "versioned"] {
            let producer = try #require(taskRuns(firstShow, named: task).first)
            let hit = try #require(taskRuns(secondShow, named: task).first)
            #expect(states(secondShow, of: hit) == ["Pending", "Cached"])
            #expect(hit["state"]?["type"] == .string("completed"))
            #expect(hit["cachedFrom"] == producer["id"])
            #expect(hit["state"]?["message"]?.stringValue?.contains("\(task)-0 in flow run") == true)
        }
        #expect(states(secondShow, of: taskRuns(secondShow, named: "short-lived")[0]) == ["Pending", "Running", "Completed"])

        let refreshed = try sandbox.baton("run", "caching", "--param", "refresh=true", "--json")
        #expect(states(try details(sandbox, refreshed.json["id"]?.stringValue ?? ""), of: taskRuns(try details(sandbox, refreshed.json["id"]?.stringValue ?? ""), named: "refreshed")[0]) == ["Pending", "Running", "Completed"])

        let cleared = try sandbox.baton("cache", "clear", "--task", "expensive")
        #expect(cleared.stdout.contains("Removed 1 cached result of task 'expensive'"))
        let third = try sandbox.baton("run", "caching", "--json")
        let thirdShow = try details(sandbox, third.json["id"]?.stringValue ?? "")
        #expect(states(thirdShow, of: taskRuns(thirdShow, named: "expensive")[0]) == ["Pending", "Running", "Completed"])
        #expect(states(thirdShow, of: taskRuns(thirdShow, named: "versioned")[0]) == ["Pending", "Cached"])
    }

    @Test func aGlobalLimitIsSharedByTwoConcurrentRuns() async throws {
        let sandbox = try await registered()
        #expect(try sandbox.baton("limit", "set", "fixture-db", "1").status == 0)
        let server = try LoopbackServer { _, _ in .hold(then: 200, body: "done") }
        defer { for _ in 0..<2 { server.release() } }

        let first = try WatchedProcess(sandbox, ["run", "limited", "--param", "url=\(server.baseURL)/first"])
        await server.requests(reach: 1)  // the first run's task holds the slot, waiting for the server
        #expect(try sandbox.baton("limit", "ls", "--json").json.arrayValue?.first?["active"] == .int(1))
        let second = try WatchedProcess(sandbox, ["run", "limited", "--param", "url=\(server.baseURL)/second"])
        let waiting = await second.line(containing: "waiting for a slot of fixture-db")
        #expect(waiting != nil, "\(second.output)")
        #expect(server.requestCount == 1, "the second task must not start while the first holds the slot")

        server.release()
        #expect(first.wait() == 0)
        await server.requests(reach: 2)  // the freed slot went to the second run
        server.release()
        #expect(second.wait() == 0)

        let runs = try sandbox.runs()
        let names = try runs.map { run in
            let show = try details(sandbox, run["id"]?.stringValue ?? "")
            return states(show, of: taskRuns(show)[0])
        }
        #expect(Set(names) == [["Pending", "Running", "Completed"], ["Pending", "AwaitingConcurrencySlot", "Running", "Completed"]])
        #expect(try sandbox.baton("limit", "ls", "--json").json.arrayValue?.first?["active"] == .int(0))
    }

    @Test func aSlotHeldByAProcessThatDiedIsGivenBack() async throws {
        let sandbox = try await registered()
        #expect(try sandbox.baton("limit", "set", "fixture-db", "1").status == 0)
        let server = try LoopbackServer { path, _ in path.hasSuffix("held") ? .hold(then: 200, body: "late") : .send(status: 200, body: "fresh") }
        defer { server.release() }
        let holder = try WatchedProcess(sandbox, ["run", "limited", "--param", "url=\(server.baseURL)/held"])
        await server.requests(reach: 1)
        let runners = sandboxProcesses(sandbox, "runner")
        #expect(runners.count == 1)
        kill(holder.process.processIdentifier, SIGKILL)  // the supervisor dies holding the slot
        _ = holder.wait()
        // Its runner, blocked in the task body, ends too: nobody would record what it does.
        #expect(runners.allSatisfy { waitForExit($0) })
        let next = try sandbox.baton("run", "limited", "--param", "url=\(server.baseURL)/fresh", "--json")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.json["result"] == .string("fresh"))
    }

    @Test func mapReturnsResultsInInputOrderAndAFailedElementFailsTheMap() async throws {
        let sandbox = try await registered()
        let ok = try sandbox.baton("run", "mapping", "--param", "n=6", "--json")
        #expect(ok.json["result"] == .array([0, 1, 4, 9, 16, 25].map { .int($0) }))
        let show = try details(sandbox, ok.json["id"]?.stringValue ?? "")
        #expect(taskRuns(show).compactMap { $0["name"]?.stringValue } == (0..<6).map { "square-\($0)" })
        #expect(taskRuns(show).allSatisfy { states(show, of: $0) == ["Pending", "Running", "Completed"] })

        let failing = try sandbox.baton("run", "mapping", "--param", "n=5", "--param", "failAt=2", "--json")
        #expect(failing.status == 1)
        #expect(failing.json["message"] == .string("task 'square' failed: SquareFailure: cannot square 2"))
        let failedShow = try details(sandbox, failing.json["id"]?.stringValue ?? "")
        #expect(taskRuns(failedShow).count == 5, "every element ran")
        #expect(states(failedShow, of: taskRuns(failedShow)[2]) == ["Pending", "Running", "Failed"])

        let perElement = try sandbox.baton("run", "mapping", "--param", "n=5", "--param", "failAt=2", "--param", "perElement=true", "--json")
        #expect(perElement.status == 0)
        #expect(perElement.json["result"] == .array([0, 1, -1, 9, 16].map { .int($0) }))
    }

    @Test func theRunGraphRecordsWhichTaskFedWhich() async throws {
        let sandbox = try await registered()
        let run = try sandbox.baton("run", "graph", "--json")
        #expect(run.json["result"] == .string("total 25"))
        let show = try details(sandbox, run.json["id"]?.stringValue ?? "")
        let names = Dictionary(uniqueKeysWithValues: taskRuns(show).map { ($0["id"]!.stringValue!, $0["name"]!.stringValue!) })
        let edges = (show["edges"]?.arrayValue ?? []).map { "\(names[$0["upstream"]!.stringValue!]!)→\(names[$0["downstream"]!.stringValue!]!):\($0["kind"]!.stringValue!)" }
        #expect(Set(edges) == ["square-0→audit-0:wait", "square-1→audit-0:wait", "combine-0→describe-0:future"])

        // Values passed on are recognised too: each table's report feeds the aggregate.
        try #require(try sandbox.baton("register", Paths.root + "/flows/tables").status == 0)
        let tables = try sandbox.baton("run", "tables", "--param", "count=3", "--param", "threshold=0", "--json")
        let tablesShow = try details(sandbox, tables.json["id"]?.stringValue ?? "")
        let tableNames = Dictionary(uniqueKeysWithValues: taskRuns(tablesShow).map { ($0["id"]!.stringValue!, $0["name"]!.stringValue!) })
        let dataEdges = (tablesShow["edges"]?.arrayValue ?? []).map { "\(tableNames[$0["upstream"]!.stringValue!]!)→\(tableNames[$0["downstream"]!.stringValue!]!):\($0["kind"]!.stringValue!)" }
        #expect(Set(dataEdges).isSuperset(of: ["validate-0→aggregate-0:data", "validate-1→aggregate-0:data", "validate-2→aggregate-0:data"]), "\(dataEdges)")
    }

    @Test func aFlowCalledFromAFlowIsALinkedSubflowRun() async throws {
        let sandbox = try await registered()
        let run = try sandbox.baton("run", "parent-flow", "--json")
        #expect(run.json["result"] == .int(17))
        let parent = try details(sandbox, run.json["id"]?.stringValue ?? "")
        let call = try #require(taskRuns(parent).first)
        #expect(call["kind"] == .string("subflow"))
        #expect(states(parent, of: call) == ["Pending", "Running", "Completed"])
        let subflow = try #require(parent["subflowRuns"]?.arrayValue?.first)
        #expect(subflow["flow"] == .string("child-flow"))
        #expect(call["childFlowRunID"] == subflow["id"])
        let child = try details(sandbox, subflow["id"]?.stringValue ?? "")
        #expect(child["run"]?["parameters"]?["x"] == .int(4))
        #expect(child["states"]?.stateNames == ["Pending", "Running", "Completed"])
        #expect(taskRuns(child).compactMap { $0["name"]?.stringValue } == ["square-0"])
        let logs = try sandbox.baton("run", "logs", subflow["id"]?.stringValue ?? "").stdout
        #expect(logs.contains("child squaring 4"))
    }

    @Test func resumeRunsAFailedRunAgainReusingWhatCompleted() async throws {
        let sandbox = try await registered()
        let marker = sandbox.directory + "/marker"
        let failed = try sandbox.baton("run", "resumable", "--param", "marker=\(marker)", "--json")
        #expect(failed.status == 1)
        let id = try #require(failed.json["id"]?.stringValue)
        try "ok".write(toFile: marker, atomically: true, encoding: .utf8)
        let resumed = try sandbox.baton("run", "resume", id, "--json")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.json["id"] == .string(id), "the same run, a new attempt")
        let before = failed.json["result"]
        #expect(before == nil || before == .null)
        let results = resumed.json["result"]?.arrayValue ?? []
        let show = try details(sandbox, id)
        #expect(show["run"]?["attempt"] == .int(2))
        #expect(show["states"]?.stateNames == ["Pending", "Running", "Failed", "Resuming", "Running", "Completed"])
        let second = taskRuns(show).filter { $0["flowRunAttempt"] == .int(2) }
        #expect(second.map { states(show, of: $0) } == [["Pending", "Cached"], ["Pending", "Cached"], ["Pending", "Running", "Completed"]])
        let first = taskRuns(show).filter { $0["flowRunAttempt"] == .int(1) }
        #expect(second[0]["cachedFrom"] == first[0]["id"])
        #expect(results.count == 3)
        #expect(results[0].stringValue?.hasSuffix(first[0]["result"]?.stringValue?.split(separator: " ").last.map(String.init) ?? "?") == true)
        #expect(try sandbox.baton("run", "resume", id).status != 0, "a completed run cannot be resumed")
    }

    @Test func hooksRunWithTheFinalStateAndAFailingHookChangesNothing() async throws {
        let sandbox = try await registered()
        let log = sandbox.directory + "/hooks.log"
        let ok = try sandbox.baton("run", "hooks", "--param", "log=\(log)", "--json")
        #expect(ok.status == 0 && ok.json["state"] == .string("completed"), "a failing onCompletion hook leaves the run completed")
        let failed = try sandbox.baton("run", "hooks", "--param", "log=\(log)", "--param", "fail=true")
        #expect(failed.status == 1)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines == [
            "task onCompletion Completed", "flow onCompletion Completed",
            "task onFailure Failed: PermanentError: the input is invalid", "flow onFailure Failed",
        ])
        let logs = try sandbox.baton("run", "logs", ok.json["id"]?.stringValue ?? "", "--level", "error").stdout
        #expect(logs.contains("hook onCompletion of task 'hooked' failed: PermanentError: the input is invalid"))
    }

    @Test func printsBecomeLogLinesOfTheirRunOrTaskRun() async throws {
        let sandbox = try await registered()
        let run = try sandbox.baton("run", "reporting", "--json")
        #expect(run.status == 0)
        let id = try #require(run.json["id"]?.stringValue)
        let logs = try sandbox.baton("run", "logs", id).stdout.split(separator: "\n")
        #expect(logs.contains { $0.contains(" loud-0 ") && $0.hasSuffix("printed by a task") })
        #expect(logs.contains { $0.hasSuffix("printed by the flow") && !$0.contains("-0 ") })
        // With logPrints off the print goes to the runner's output, stored as the run's, not the task's.
        #expect(logs.contains { $0.hasSuffix("printed by a task that keeps its prints") && !$0.contains("quiet-0") })
    }

    @Test func artifactsAreStoredWithTheRunAndShown() async throws {
        let sandbox = try await registered()
        let run = try sandbox.baton("run", "reporting", "--json")
        let id = try #require(run.json["id"]?.stringValue)
        let listed = try sandbox.baton("artifact", "ls", "--run", id, "--json").json.arrayValue ?? []
        #expect(Set(listed.compactMap { $0["key"]?.stringValue }) == ["fixture-report", "fixture-table", "fixture-link"])
        #expect(Set(listed.compactMap { $0["kind"]?.stringValue }) == ["markdown", "table", "link"])
        let table = try sandbox.baton("artifact", "show", "fixture-table").stdout
        #expect(table.contains("CITY  KNOTS") && table.contains("Oslo  12"))
        #expect(try sandbox.baton("artifact", "show", "fixture-report").stdout.contains("All **good**."))
        #expect(try sandbox.baton("artifact", "show", "fixture-link").stdout.contains("Dashboard <https://example.com/dashboard>"))
        let missing = try sandbox.baton("artifact", "show", "nope")
        #expect(missing.status != 0 && missing.stderr.contains("no artifact with key 'nope'"))
        #expect(try details(sandbox, id)["artifacts"]?.arrayValue?.count == 3)
    }

    @Test func cancellingARunStopsItsTasksAndTasksNotStartedDoNotStart() async throws {
        let sandbox = try await registered()
        let sleepy = try WatchedProcess(sandbox, ["run", "sleepy"])
        #expect(await sleepy.line(containing: "sleeping 3600.0 s") != nil)
        let id = try #require(try sandbox.runs().first?["id"]?.stringValue)
        let cancel = try sandbox.baton("run", "cancel", id, "--json")
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(cancel.json["state"] == .string("cancelled"))
        #expect(sleepy.wait() == 130)
        let show = try details(sandbox, id)
        #expect(show["states"]?.stateNames == ["Pending", "Running", "Cancelling", "Cancelled"])
        #expect(taskRuns(show).compactMap { $0["name"]?.stringValue } == ["sleeper-0"], "after-sleep never started")
        #expect(states(show, of: taskRuns(show)[0]) == ["Pending", "Running", "Cancelled"])
        let again = try sandbox.baton("run", "cancel", id)
        #expect(again.status != 0 && again.stderr.contains("is already cancelled"))
    }

    @Test func blockingTaskBodiesDoNotStarveEachOther() async throws {
        let sandbox = try await registered()
        // Eight bodies that block their threads until all eight have arrived: more than there are
        // cores, so only bodies off the cooperative pool, side by side, can finish.
        let run = try sandbox.baton("run", "blocking", "--param", "n=8", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.json["result"] == .int(8))
    }

    @Test func largeResultsAreKeptInFilesUnderBatonHome() async throws {
        let sandbox = try await registered()
        let run = try sandbox.baton("run", "echo", "--json", environment: ["BATON_RESULT_FILE_THRESHOLD": "16"])
        #expect(run.status == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: sandbox.home + "/results")
        #expect(files.count >= 1, "the greet result is longer than 16 bytes")
        let show = try details(sandbox, run.json["id"]?.stringValue ?? "")
        #expect(taskRuns(show).first?["result"] == .string("hello world, hello world, hello world"))
    }

    @Test func limitAndCacheCommandsRefuseBadInput() async throws {
        let sandbox = try await registered()
        let bad = try sandbox.baton("limit", "set", "db", "many")
        #expect(bad.status != 0 && bad.stderr.contains("slots 'many' is not valid"))
        let missing = try sandbox.baton("limit", "rm", "nothing")
        #expect(missing.status != 0 && missing.stderr.contains("no concurrency limit on tag 'nothing'"))
        let resume = try sandbox.baton("run", "resume", "feedbeef")
        #expect(resume.status != 0 && resume.stderr.contains("no flow run 'feedbeef'"))
    }

    @Test func aFlowsTaskConcurrencyBoundsHowManyTaskRunsRunAtOnce() async throws {
        let sandbox = try await registered()
        let run = try sandbox.baton("run", "throttled", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let most = try #require(run.json["result"]?.intValue)
        #expect(most >= 1 && most <= 2, "at most 2 at once, saw \(most)")
        #expect(taskRuns(try details(sandbox, run.json["id"]?.stringValue ?? "")).count == 12)
    }
}
