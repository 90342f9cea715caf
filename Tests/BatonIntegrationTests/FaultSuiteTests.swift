import BatonCore
import BatonStore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The fault suite of issue 9: processes killed at random moments on one store, and processes started
/// while a scheduler runs. Nothing here waits for time: `baton-bench chaos` settles on the store's
/// state (with a generous deadline) and these tests assert only what must hold whatever the timing.
@Suite(.timeLimit(.minutes(30)))
struct FaultSuiteTests {
    /// `baton-bench`, built next to `baton` by `swift build` (and `swift test`).
    static var bench: String { (Paths.baton as NSString).deletingLastPathComponent + "/baton-bench" }

    /// Four rounds of `baton-bench chaos`: a server, two workers, `baton run` processes and API and
    /// deployment runs on one store, one of a runner, a worker, the server and a `baton run` SIGKILLed
    /// each round. Afterwards no run is lost, stuck or executed twice, every killed run crashed (and
    /// was retried when its flow retries), and the store passes its integrity check.
    @Test func killsAtRandomMomentsLoseNothingLeaveNothingStuckAndRunNothingTwice() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.bench), "no baton-bench next to \(Paths.baton): build it with swift build")
        let library = try await Builds.shared.fixture("FixtureFlows")
        let result = try await offThePool {
            try runProgram(
                Self.bench, ["chaos", "4", "--seed", "9", "--json", "--library", library, "--settle", "400"], directory: Paths.root)
        }
        let report = try #require(
            result.stdout.split(separator: "\n").last.flatMap { try? JSONValue(json: String($0)) }, "no report: \(result.stderr.suffix(3000))")
        let violations = (report["violations"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: "\n")
        #expect(report["lost"]?.intValue == 0, "\(violations)")
        #expect(report["stuck"]?.intValue == 0, "\(violations)")
        #expect(report["duplicated"]?.intValue == 0, "\(violations)")
        #expect(report["killed_not_crashed"]?.intValue == 0, "\(violations)")
        #expect(report["killed_not_retried"]?.intValue == 0, "\(violations)")
        #expect(report["integrity_check"]?.stringValue == "ok")
        #expect((report["runs_completed"]?.intValue ?? 0) > 0, "the stream ran nothing: \(result.stderr.suffix(2000))")
        #expect(result.status == 0, "\(result.stderr.suffix(3000))")
    }

    /// Ten workers and ten servers started one after another while a worker schedules the store:
    /// none of them, all alive, is ever recorded as stopped or reaped as gone.
    @Test func workersAndServersStartedWhileASchedulerRunsAreNeverTakenForDead() async throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows")).status == 0)
        let scheduler = try WatchedProcess(sandbox, ["worker", "start", "--name", "scheduler"])
        defer { stopAll([scheduler]) }
        try #require(await scheduler.line(containing: "now schedules") != nil, "\(scheduler.output)")

        var started: [WatchedProcess] = []
        defer { stopAll(started) }
        for index in 0..<20 {
            let process = index.isMultiple(of: 2)
                ? try WatchedProcess(sandbox, ["worker", "start", "--name", "started-\(index)"])
                : try WatchedProcess(sandbox, ["server", "start", "--port", "0"])
            started.append(process)
            let line = await process.line(containing: index.isMultiple(of: 2) ? "started" : "Baton is ready")
            try #require(line != nil, "start \(index) ended early:\n\(process.output)")
        }
        // The scheduler wakes on the doorbell each registration rings; a start it took for a death
        // shows as a stopped record within milliseconds, long before the next of these starts is
        // ready, so all but the last start are surely judged by now (the last one may not be).
        let store = try SQLiteStore(home: BatonHome(path: sandbox.home))
        let records = try store.workers(includeStopped: true, limit: 1000)
        for process in started {
            let pid = process.process.processIdentifier
            #expect(process.process.isRunning, "pid \(pid) ended:\n\(process.output)")
            for record in records where record.pid == pid {
                #expect(record.stoppedAt == nil, "\(record.name) (pid \(pid)) is alive but recorded as stopped")
            }
        }
        #expect(!scheduler.output.contains("is gone"), "the scheduler took a live process for dead:\n\(scheduler.output)")
    }

    private func stopAll(_ processes: [WatchedProcess]) {
        for process in processes where process.process.isRunning { kill(process.process.processIdentifier, SIGTERM) }
        for process in processes { _ = process.wait() }
    }
}
