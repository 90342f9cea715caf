import BatonCore
import BatonServices
import BatonStore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Nothing stuck: processes on one store notice each other's deaths (and only real ones), signals at
/// any moment of start-up stop what they reach, and runs whose supervisor died end `crashed` and are
/// retried. Real processes on a real store; every wait is on a condition, with a generous bound.
@Suite(.timeLimit(.minutes(20)))
struct LivenessTests: StoreWatching {
    @Test func workersAndServersStartedWhileASchedulerRunsAreNeverRecordedDead() async throws {
        let sandbox = try await registered()
        let scheduler = try WatchedProcess(sandbox, ["worker", "start", "--name", "scheduler"])
        _ = await scheduler.line(containing: "now schedules")
        var started: [String] = []
        for batch in 0..<4 {
            var group: [(String, WatchedProcess)] = []
            for index in 0..<5 {
                let number = batch * 5 + index
                if number % 2 == 0 {
                    let name = "w\(number)"
                    group.append((name, try WatchedProcess(sandbox, ["worker", "start", "--no-schedule", "--name", name])))
                } else {
                    let process = try WatchedProcess(sandbox, ["server", "start", "--port", "0", "--no-worker"])
                    group.append(("server-\(process.process.processIdentifier)-scheduler", process))
                }
            }
            for (name, process) in group {
                let line = await process.line(containing: "started: pool")
                #expect(line?.contains(name) == true, "\(name): \(process.output)")
            }
            // A probe announced after the group and killed: once the scheduler has seen it die, it
            // has judged every worker announced before it.
            let probe = try WatchedProcess(sandbox, ["worker", "start", "--no-schedule", "--name", "probe\(batch)"])
            _ = await probe.line(containing: "started: pool")
            kill(probe.process.processIdentifier, SIGKILL)
            _ = probe.wait()
            let seen = await scheduler.line(containing: "worker 'probe\(batch)' is gone")
            #expect(seen != nil, "\(scheduler.output)")
            let store = try SQLiteStore(home: BatonHome(path: sandbox.home))
            for (name, _) in group {
                let record = try store.workers(limit: 1000).first { $0.name == name }
                #expect(record != nil && record?.stoppedAt == nil, "\(name) was recorded as stopped while it ran: \(scheduler.output)")
            }
            started += group.map(\.0)
            for (name, process) in group { #expect(stop(process) == 0, "\(name): \(process.output)") }
        }
        #expect(started.count == 20)
        for name in started { #expect(!scheduler.output.contains("worker '\(name)' is gone"), "\(scheduler.output)") }
        #expect(stop(scheduler) == 0)
    }

    /// Whether a process ended as one stopped by SIGTERM may: cleanly (0), as interrupted (130 for
    /// a run cancelled, 143 before anything handled the signal), or by the signal itself.
    func stoppedBySignal(_ process: Process, allowed: Set<Int32>) -> Bool {
        process.terminationReason == .uncaughtSignal ? process.terminationStatus == SIGTERM : allowed.contains(process.terminationStatus)
    }

    @Test(arguments: ["server", "worker", "run"])
    func sigtermAtAnyMomentOfStartUpStopsTheProcess(_ kind: String) async throws {
        let sandbox = try await registered()
        let arguments: [String] =
            switch kind {
            case "server": ["server", "start", "--port", "0", "--grace", "5"]
            case "worker": ["worker", "start", "--grace", "5"]
            default: ["run", "sleepy"]
            }
        let allowed: Set<Int32> = kind == "run" ? [130, 143] : [0, 143]
        // Moments after spawning (microseconds; nil: after the first line it prints).
        let moments: [UInt32?] = [0, 1_000, 3_000, 8_000, 15_000, 30_000, 60_000, 120_000, 250_000, nil]
        for moment in moments {
            let process = try WatchedProcess(sandbox, arguments)
            if let moment {
                if moment > 0 { usleep(moment) }
            } else {
                _ = await process.line(containing: kind == "run" ? "Running sleepy" : "started")
            }
            kill(process.process.processIdentifier, SIGTERM)
            let ended = waitForExit(process.process.processIdentifier, limit: 120)
            #expect(ended, "\(kind) after \(moment.map { "\($0) µs" } ?? "its first line") did not stop: \(process.output)")
            if !ended { kill(process.process.processIdentifier, SIGKILL) }
            _ = process.wait()
            #expect(
                stoppedBySignal(process.process, allowed: allowed),
                "\(kind) after \(moment.map { "\($0) µs" } ?? "its first line") exited \(process.process.terminationStatus): \(process.output)")
        }
        // Nothing it started is left running (`run ls` also ends runs whose supervisor died).
        let runs = try sandbox.runs()
        #expect(runs.allSatisfy(isFinal), "\(runs)")
    }

    @Test func aKilledBatonRunHasItsRunCrashedByTheNextRunList() async throws {
        let sandbox = try await registered()
        let run = try WatchedProcess(sandbox, ["run", "sleepy"])
        _ = await run.line(containing: "sleeping")
        kill(run.process.processIdentifier, SIGKILL)
        _ = run.wait()
        let listed = try sandbox.baton("run", "ls", "--json")
        #expect(listed.status == 0, "\(listed.stderr)")
        let runs = listed.json.arrayValue ?? []
        #expect(runs.count == 1)
        #expect(runs.first?["state"]?.stringValue == "crashed", "\(runs)")
        #expect(runs.first?["message"]?.stringValue?.contains("supervisor") == true, "\(runs)")
    }

    @Test func aKilledBatonRunIsCrashedByARunningWorkerAndRetried() async throws {
        let sandbox = try await registered()
        // The first request is held (the run is mid-flight); the retry's is answered.
        let server = try LoopbackServer { _, number in number == 1 ? .hold(then: 200, body: "late") : .send(status: 200, body: "fetched") }
        defer { server.release() }
        let worker = try WatchedProcess(sandbox, ["worker", "start", "--name", "watcher"])
        _ = await worker.line(containing: "now schedules")
        let run = try WatchedProcess(sandbox, ["run", "fetching", "--param", "url=\(server.baseURL)/data"])
        await server.requests(reach: 1)
        kill(run.process.processIdentifier, SIGKILL)
        _ = run.wait()
        let done = try waitUntil(sandbox) { store in
            try store.flowRuns(FlowRunQuery(limit: 10)).first?.state.type == .completed
        }
        #expect(done, "worker: \(worker.output)")
        let store = try SQLiteStore(home: BatonHome(path: sandbox.home))
        let record = try #require(try store.flowRuns(FlowRunQuery(limit: 10)).first)
        #expect(record.attempt == 2)
        #expect(record.result == .string("fetched"))
        let history = try store.states(flowRunID: record.id).filter { $0.taskRunID == nil }.map(\.state.name)
        #expect(history.contains("Crashed") && history.contains("AwaitingRetry"), "\(history)")
        #expect(worker.output.contains("whose supervisor is gone crashed"), "\(worker.output)")
        #expect(stop(worker) == 0)
    }

    @Test func aWorkerPausedAndReapedRevivesAndItsRunsStillCrashWhenItDies() async throws {
        let sandbox = try await registered()
        #expect(try sandbox.baton("deployment", "create", "sleepy", "--name", "nap", "--pool", "slow").status == 0)
        let scheduler = try WatchedProcess(sandbox, ["worker", "start", "--name", "scheduler"])
        _ = await scheduler.line(containing: "now schedules")
        let paused = try WatchedProcess(sandbox, ["worker", "start", "--no-schedule", "--name", "paused", "--pool", "slow"])
        _ = await paused.line(containing: "started: pool")
        let pid = paused.process.processIdentifier
        let first = try sandbox.baton("deployment", "run", "nap", "--json").json["id"]?.stringValue ?? ""
        #expect(try waitUntil(sandbox) { try $0.flowRun(first).state.type == .running })

        // Paused past its heartbeats, it is reaped as a silent worker would be (on one machine its
        // held lock keeps the scheduler from doing so; the heartbeat rule of other hosts does).
        kill(pid, SIGSTOP)
        let store = try SQLiteStore(home: BatonHome(path: sandbox.home))
        let services = Services(store: store, home: BatonHome(path: sandbox.home))
        let workerID = try #require(try store.workers(limit: 100).first { $0.name == "paused" }?.id)
        _ = try services.workers.reap(workerID, reason: "its heartbeat is too old (test)", .storeOwner())
        #expect(try store.workerRecord(workerID)?.stoppedAt != nil)
        kill(pid, SIGCONT)
        let revived = await paused.line(containing: "announced again")
        #expect(revived != nil, "\(paused.output)")
        #expect(try waitUntil(sandbox) { try $0.workerRecord(workerID).map { $0.stoppedAt == nil } == true })

        let second = try sandbox.baton("deployment", "run", "nap", "--json").json["id"]?.stringValue ?? ""
        #expect(try waitUntil(sandbox) { try $0.flowRun(second).state.type == .running })
        kill(pid, SIGKILL)
        _ = paused.wait()
        let ended = try waitUntil(sandbox) { store in
            try [first, second].allSatisfy { try store.flowRun($0).state.type == .crashed }
        }
        #expect(ended, "scheduler: \(scheduler.output)\npaused: \(paused.output)")
        // A sweep may crash the runs before the scheduler reaps their worker: wait for both.
        #expect(try waitUntil(sandbox) { try $0.workerRecord(workerID)?.stoppedAt != nil }, "scheduler: \(scheduler.output)")
        #expect(stop(scheduler) == 0)
    }
}
