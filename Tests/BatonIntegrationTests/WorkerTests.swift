import BatonCore
import BatonStore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Workers as processes: `baton worker start` on a real store with the fixture library. Tests wait
/// for what the store records (woken by its doorbells) or for a worker's lines, never for time.
@Suite(.timeLimit(.minutes(20)))
struct WorkerTests: StoreWatching {
    @Test func twoWorkersOnOnePoolRunEveryRunExactlyOnce() async throws {
        let sandbox = try await registered()
        #expect(try sandbox.baton("deployment", "create", "hello", "--name", "greetings").status == 0)
        let a = try WatchedProcess(sandbox, ["worker", "start", "--name", "wa", "--limit", "3"])
        let b = try WatchedProcess(sandbox, ["worker", "start", "--name", "wb", "--limit", "3"])
        _ = await a.line(containing: "started")
        _ = await b.line(containing: "started")
        var ids: [String] = []
        for _ in 0..<24 {
            ids.append(try sandbox.baton("deployment", "run", "greetings", "--json").json["id"]?.stringValue ?? "")
        }
        let done = try waitUntil(sandbox) { store in
            try ids.allSatisfy { try store.flowRun($0).state.type == .completed }
        }
        #expect(done, "a: \(a.output)\nb: \(b.output)")
        let store = try SQLiteStore(home: BatonHome(path: sandbox.home))
        for id in ids {
            let history = try store.states(flowRunID: id).filter { $0.taskRunID == nil }.map(\.state.name)
            #expect(history == ["Scheduled", "Pending", "Running", "Completed"], "run \(id)")
            #expect(try store.taskRuns(flowRunID: id).count == 1, "the run's one task ran once")
        }
        let workers = Set(try ids.compactMap { try store.flowRun($0).workerID })
        #expect(workers.count >= 1 && workers.count <= 2)
        #expect(stop(a) == 0)
        #expect(stop(b) == 0)
        #expect(try sandbox.baton("worker", "ls", "--json").json.arrayValue?.allSatisfy { $0["stoppedAt"] != nil } == true)
    }

    @Test func aWorkerKilledMidRunHasItsRunCrashedAndRetriedByAnother() async throws {
        let sandbox = try await registered()
        // The first request is held (the run is mid-flight); later ones are answered.
        let server = try LoopbackServer { _, number in number == 1 ? .hold(then: 200, body: "late") : .send(status: 200, body: "fetched") }
        defer { server.release() }
        #expect(try sandbox.baton("deployment", "create", "fetching", "--name", "fetch", "--param", "url=\(server.baseURL)/data").status == 0)
        let first = try WatchedProcess(sandbox, ["worker", "start", "--name", "first"])
        _ = await first.line(containing: "now schedules")
        let id = try sandbox.baton("deployment", "run", "fetch", "--json").json["id"]?.stringValue ?? ""
        await server.requests(reach: 1)
        let second = try WatchedProcess(sandbox, ["worker", "start", "--name", "second"])
        _ = await second.line(containing: "started")

        kill(first.process.processIdentifier, SIGKILL)
        _ = first.wait()
        let done = try waitUntil(sandbox) { store in try store.flowRun(id).state.type == .completed }
        #expect(done, "second: \(second.output)")
        let store = try SQLiteStore(home: BatonHome(path: sandbox.home))
        let run = try store.flowRun(id)
        #expect(run.attempt == 2)
        #expect(run.result == .string("fetched"))
        let history = try store.states(flowRunID: id).filter { $0.taskRunID == nil }.map(\.state.name)
        #expect(history == ["Scheduled", "Pending", "Running", "Crashed", "AwaitingRetry", "Pending", "Running", "Completed"])
        let crashed = try store.states(flowRunID: id).first { $0.state.name == "Crashed" }
        #expect(crashed?.state.message?.contains("worker 'first'") == true)
        #expect(try store.workerRecord(run.workerID ?? "")?.name == "second")
        #expect(second.output.contains("worker 'first'"))
        #expect(stop(second) == 0)
    }

    @Test func stoppingAWorkerLetsItsRunningFlowFinish() async throws {
        let sandbox = try await registered()
        let server = try LoopbackServer { _, _ in .hold(then: 200, body: "finished late") }
        defer { server.release() }
        #expect(try sandbox.baton("deployment", "create", "fetching", "--name", "fetch", "--param", "url=\(server.baseURL)/slow").status == 0)
        let worker = try WatchedProcess(sandbox, ["worker", "start"])
        _ = await worker.line(containing: "started")
        let id = try sandbox.baton("deployment", "run", "fetch", "--json").json["id"]?.stringValue ?? ""
        await server.requests(reach: 1)
        kill(worker.process.processIdentifier, SIGTERM)
        _ = await worker.line(containing: "stopping")
        // Runs made after the stop are not claimed by it.
        let later = try sandbox.baton("deployment", "run", "fetch", "--json").json["id"]?.stringValue ?? ""
        server.release()
        #expect(worker.wait() == 0)
        let store = try SQLiteStore(home: BatonHome(path: sandbox.home))
        #expect(try store.flowRun(id).state.type == .completed)
        #expect(try store.flowRun(id).result == .string("finished late"))
        #expect(try store.flowRun(later).state.type == .scheduled)
        #expect(try store.flowRun(later).workerID == nil)
    }

    @Test func scheduledRunsStartNoEarlierThanTheirTime() async throws {
        let sandbox = try await registered()
        #expect(try sandbox.baton("deployment", "create", "hello", "--name", "often", "--interval", "1").status == 0)
        let worker = try WatchedProcess(sandbox, ["worker", "start"])
        let done = try waitUntil(sandbox) { store in
            try store.flowRuns(FlowRunQuery(state: .completed, deployment: "often", limit: 10)).count >= 3
        }
        #expect(done, "\(worker.output)")
        #expect(stop(worker) == 0)
        let store = try SQLiteStore(home: BatonHome(path: sandbox.home))
        let completed = try store.flowRuns(FlowRunQuery(state: .completed, deployment: "often", limit: 100))
        for run in completed {
            let scheduled = try #require(run.scheduledTime)
            let started = try #require(run.startTime)
            #expect(started >= scheduled, "run \(run.name) started before its time")
            #expect(scheduled.timeIntervalSince1970.rounded() == scheduled.timeIntervalSince1970, "interval fire times fall on whole seconds")
        }
        // Each fire time ran once.
        let times = completed.compactMap(\.scheduledTime)
        #expect(times.count == Set(times).count)
    }
}
