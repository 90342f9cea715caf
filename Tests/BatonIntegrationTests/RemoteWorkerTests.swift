import BatonCore
import BatonLoader
import BatonRunner
import BatonStore
import BatonTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Workers on other hosts, as a team runs them: a server on a PostgreSQL database, and workers that
/// are separate processes with homes of their own that never saw the database or the libraries, and
/// speak to the server only through its API with an operator's key (`baton worker start --api`).
@Suite(.enabled(if: PostgresServer.shared != nil, "no PostgreSQL server on this machine"))
struct RemoteWorkerTests {
    let database = PostgresServer.shared!

    /// A server on a new database with the fixtures registered, without a worker of its own, and an
    /// operator key for the workers.
    func serverOnDatabase(port: Int = 0) async throws -> (server: ServerProcess, url: String, key: String) {
        let url = try database.makeDatabase()
        let sandbox = try Sandbox()
        let environment = [StoreSelection.variable: url]
        let folder = try await Builds.shared.fixtureFolder()
        for library in ["libFixtureFlows.so", "libVersionedOne.so", "libVersionedTwo.so"] {
            let registered = try sandbox.baton("register", folder + "/" + library, environment: environment)
            try #require(registered.status == 0, "\(registered.stderr)")
        }
        let server = try await ServerProcess.start(sandbox, ["--no-worker"], port: port, environment: environment)
        let key = try ServerProcess.makeKey(sandbox, name: "workers", role: "operator", environment: environment)
        return (server, url, key)
    }

    /// `baton worker start --api` on a home of its own, ready once it says it started.
    func remoteWorker(_ server: ServerProcess, key: String, name: String, _ extra: [String] = []) async throws -> (WatchedProcess, Sandbox) {
        let home = try Sandbox()
        let worker = try WatchedProcess(
            home, ["worker", "start", "--api", server.baseURL, "--name", name] + extra, environment: ["BATON_API_KEY": key])
        try #require(await worker.line(containing: "worker '\(name)' started") != nil, "\(worker.output)")
        return (worker, home)
    }

    func count(_ sql: String, _ url: String) throws -> Int {
        Int(try database.psql(sql, database: String(url.split(separator: "/").last!)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Waits, woken by the database's changes, until `condition` holds or `limit` seconds pass.
    func waitUntil(_ url: String, limit: TimeInterval = 120, _ condition: @escaping @Sendable () throws -> Bool) async throws -> Bool {
        try await onThread {
            let store = try PostgresStore(url: url, home: BatonHome(path: NSTemporaryDirectory() + "/baton-wait-\(UUID().uuidString)"))
            let bell = try store.changeDoorbell()
            let deadline = Date().addingTimeInterval(limit)
            while Date() < deadline {
                if try condition() { return true }
                var entry = pollfd(fd: bell.fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&entry, 1, 1000)
                _ = bell.drain()
            }
            return try condition()
        }
    }

    func createRun(_ server: ServerProcess, _ json: String) throws -> String {
        let made = try server.post("/api/flow-runs", json)
        try #require(made.status == 201, "\(made.text)")
        return try #require(made.json["id"]?.stringValue)
    }

    /// Two workers that have never seen the libraries, each of a pool of its own: runs of two versions
    /// go to each pool; each worker fetches each version's library by hash once, keeps it in its own
    /// library store, and runs it; every run completes with its own version's result.
    @Test(.timeLimit(.minutes(10)))
    func remoteWorkersFetchEachVersionByHashAndRunItInTheirPool() async throws {
        let (server, url, key) = try await serverOnDatabase()
        defer { _ = server.stop() }
        let (alpha, alphaHome) = try await remoteWorker(server, key: key, name: "alpha", ["--pool", "alpha"])
        defer { alpha.process.terminate() }
        let (beta, betaHome) = try await remoteWorker(server, key: key, name: "beta", ["--pool", "beta"])
        defer { beta.process.terminate() }

        var runs: [(id: String, version: Int, pool: String)] = []
        for pool in ["alpha", "beta"] {
            for version in [1, 2, 1, 2] {
                let id = try createRun(server, #"{"flow": "versioned", "version": \#(version), "pool": "\#(pool)", "parameters": {"count": 4}}"#)
                runs.append((id, version, pool))
            }
        }
        let expected = runs.count
        let finished = try await waitUntil(url) {
            try self.count("SELECT count(*) FROM flow_runs WHERE state_type = 'completed'", url) == expected
        }
        #expect(finished, "alpha:\n\(alpha.output)\nbeta:\n\(beta.output)")

        for run in runs {
            let shown = try server.get("/api/flow-runs/\(run.id)")
            #expect(shown.json["state"]?.stringValue == "completed", "\(shown.text)")
            #expect(shown.json["result"]?.stringValue == "v\(run.version): 12", "\(shown.text)")
            #expect(shown.json["pool"]?.stringValue == run.pool)
            let worker = try #require(shown.json["workerID"]?.stringValue)
            let ran = try count("SELECT count(*) FROM workers WHERE id = '\(worker)' AND name = '\(run.pool)'", url)
            #expect(ran == 1, "run of pool \(run.pool) went to the worker of that pool")
        }
        // Each worker fetched both versions' libraries (two hashes) into its own home, once each.
        for (worker, home) in [(alpha, alphaHome), (beta, betaHome)] {
            let stored = try FileManager.default.contentsOfDirectory(atPath: home.home + "/libraries")
            #expect(stored.count == 2, "\(stored)")
            #expect(worker.output.components(separatedBy: "fetched the library of versioned").count - 1 == 2, "\(worker.output)")
        }
        // Every task run once: 4 doubles, a total and an announcement per run.
        #expect(try count("SELECT count(*) FROM task_runs", url) == runs.count * 6)

        // `baton worker ls` through the API shows each worker's host, pool, runs and heartbeat.
        let listed = try server.sandbox.baton("worker", "ls", environment: server.remote)
        #expect(listed.status == 0, "\(listed.stderr)")
        for (name, worker) in [("alpha", alpha), ("beta", beta)] {
            let line = try #require(listed.stdout.split(separator: "\n").first { $0.hasPrefix(name) }, "\(listed.stdout)")
            #expect(line.contains(" \(name) ") && line.contains("running"), "\(line)")
            #expect(line.hasSuffix(":\(worker.process.processIdentifier)"), "its host and pid: \(line)")
        }
    }

    /// A remote worker SIGKILLed in the middle of a run: the server takes it for gone (its process
    /// is gone, and it falls silent), crashes its run and schedules the run again, and the other
    /// worker runs the new attempt to the end; the first attempt's runner is gone with its worker.
    @Test(.timeLimit(.minutes(10)))
    func aKilledRemoteWorkersRunIsCrashedAndRetriedOnTheOther() async throws {
        let (server, url, key) = try await serverOnDatabase()
        defer { _ = server.stop() }
        let (first, firstHome) = try await remoteWorker(server, key: key, name: "first", ["--heartbeat", "1"])
        defer { first.process.terminate() }
        // Its first attempt waits for a gate nobody opens; a retry goes straight on.
        let gate = server.sandbox.directory + "/never"
        let id = try createRun(server, #"{"flow": "gated-retrying", "parameters": {"gate": "\#(gate)", "lines": 3}}"#)
        let waiting = try await waitUntil(url) {
            try self.count("SELECT count(*) FROM logs WHERE flow_run_id = '\(id)' AND message LIKE 'waiting for the gate%'", url) == 1
        }
        try #require(waiting, "\(first.output)")
        let runners = sandboxProcesses(firstHome, "runner")
        #expect(runners.count == 1)
        let (second, _) = try await remoteWorker(server, key: key, name: "second", ["--heartbeat", "1"])
        defer { second.process.terminate() }
        kill(first.process.processIdentifier, SIGKILL)
        _ = try await onThread { first.wait() }

        let retried = try await waitUntil(url) {
            try self.count("SELECT count(*) FROM flow_runs WHERE id = '\(id)' AND state_type = 'completed' AND attempt = 2", url) == 1
        }
        #expect(retried, "server:\n\(server.output.suffix(3000))\nsecond:\n\(second.output)")
        let states = try server.get("/api/flow-runs/\(id)/states").json["states"]?.stateNames ?? []
        #expect(states.contains("Crashed") && states.last == "Completed", "\(states)")
        let crash = try count(
            "SELECT count(*) FROM states WHERE flow_run_id = '\(id)' AND task_run_id IS NULL AND type = 'crashed' AND message LIKE '%worker ''first''%'", url)
        #expect(crash == 1, "the crash names the worker that died")
        #expect(second.output.contains("Completed"), "\(second.output)")
        // The first attempt's runner did not outlive its worker.
        for runner in runners { #expect(try await onThread { waitForExit(runner, limit: 60) }, "runner \(runner) of the killed worker") }
        #expect(try count("SELECT count(*) FROM flow_runs WHERE state_type IN ('running', 'pending')", url) == 0)
    }

    /// Servers on different hosts share one database: a library registered through one is run by a
    /// remote worker of another whose host never had its file (the bytes come from the database,
    /// checked against the hash), and by `baton run` on a third host; the live events of a run made
    /// through the first reach the second's clients.
    @Test(.timeLimit(.minutes(10)))
    func serversOnDifferentHostsRunEveryVersionFromTheDatabase() async throws {
        let url = try database.makeDatabase()
        let environment = [StoreSelection.variable: url]
        let first = try await ServerProcess.start(try Sandbox(), ["--no-worker"], environment: environment)
        let folder = try await Builds.shared.fixtureFolder()
        let upload = try first.sandbox.baton("register", folder + "/libVersionedTwo.so", environment: first.remote)
        try #require(upload.status == 0, "\(upload.stderr)")
        defer { _ = first.stop() }
        // The other hosts do not have the first one's files.
        try FileManager.default.removeItem(atPath: first.sandbox.home + "/libraries")

        let second = try await ServerProcess.start(try Sandbox(), ["--no-worker"], environment: environment)
        defer { _ = second.stop() }
        #expect(!FileManager.default.fileExists(atPath: second.sandbox.home + "/libraries/" + (try libraryHash(url))))
        let key = try ServerProcess.makeKey(second.sandbox, name: "workers", role: "operator", environment: environment)
        let (worker, workerHome) = try await remoteWorker(second, key: key, name: "far", [])
        defer { worker.process.terminate() }

        // The second server's live events: the run is made through the first once the stream is
        // open, and followed to its end.
        let created = Locked<String>("")
        let events = Locked<[String]>([])
        let streamed = Task {
            try await onThread {
                try second.client().events("/api/events") { event in
                    if event.event == "hello" { created.value = try self.createRun(first, #"{"flow": "versioned", "parameters": {"count": 3}}"#) }
                    if event.event == "flow_run" { events.value.append(event.data) }
                    return !(event.event == "flow_run" && event.data.contains(created.value) && event.data.contains("\"completed\""))
                }
            }
        }
        try await streamed.value
        let id = created.value
        let done = try await waitUntil(url) {
            try self.count("SELECT count(*) FROM flow_runs WHERE id = '\(id)' AND state_type = 'completed'", url) == 1
        }
        #expect(done, "\(worker.output)\n\(second.output.suffix(2000))")
        #expect(try second.get("/api/flow-runs/\(id)").json["result"]?.stringValue == "v2: 6")
        #expect(FileManager.default.fileExists(atPath: second.sandbox.home + "/libraries/" + (try libraryHash(url))), "the server wrote it from the database")
        #expect(try FileManager.default.contentsOfDirectory(atPath: workerHome.home + "/libraries").count == 1)
        #expect(events.value.contains { $0.contains(id) && $0.contains("\"completed\"") }, "the second server's clients saw the run end")

        // `baton run` on a third host, straight on the database, without the server.
        let third = try Sandbox()
        let local = try third.baton("run", "versioned", "--param", "count=2", environment: environment)
        #expect(local.status == 0, "\(local.stderr)")
        #expect(local.stdout.contains("v2: 2"), "\(local.stdout)")
        #expect(FileManager.default.fileExists(atPath: third.home + "/libraries/" + (try libraryHash(url))))
    }

    func libraryHash(_ url: String) throws -> String {
        try database.psql("SELECT hash FROM libraries LIMIT 1", database: String(url.split(separator: "/").last!))
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The server SIGKILLed under a running map and started again a while later: the map goes on, its
    /// events wait on the worker's disk, and once the server is back every task run is stored exactly
    /// once, with each of its states once, and the run completes.
    @Test(.timeLimit(.minutes(10)))
    func aMapLivesThroughItsServerGoingAwayAndEveryTaskRunIsStoredOnce() async throws {
        let (server, url, key) = try await serverOnDatabase()
        defer { _ = server.stop() }
        let (worker, workerHome) = try await remoteWorker(server, key: key, name: "steady", ["--heartbeat", "1"])
        defer { worker.process.terminate() }
        let n = 5_000
        let gate = server.sandbox.directory + "/gate"
        let id = try createRun(server, #"{"flow": "gated-map", "parameters": {"gate": "\#(gate)", "n": \#(n)}}"#)
        try #require(await worker.line(containing: "starting") != nil, "\(worker.output)")
        let waiting = try await waitUntil(url) {
            try self.count("SELECT count(*) FROM logs WHERE flow_run_id = '\(id)' AND message LIKE 'waiting for the gate%'", url) == 1
        }
        try #require(waiting, "\(worker.output)")

        kill(server.process.process.processIdentifier, SIGKILL)
        _ = try await onThread { server.process.wait() }
        FileManager.default.createFile(atPath: gate, contents: nil)
        #expect(await worker.line(containing: "its events wait on disk") != nil, "\(worker.output)")
        // The map finishes while the server is away: its runner ends, its events are on disk.
        let runners = sandboxProcesses(workerHome, "runner")
        for runner in runners { #expect(try await onThread { waitForExit(runner, limit: 300) }) }
        let spooled = try FileManager.default.contentsOfDirectory(atPath: workerHome.home + "/spool/\(id)-1")
        #expect(!spooled.isEmpty)

        let again = try await ServerProcess.start(server.sandbox, ["--no-worker"], port: server.port, environment: [StoreSelection.variable: url])
        defer { _ = again.stop() }
        #expect(await worker.line(containing: "the events that waited are delivered") != nil, "\(worker.output)")
        let completed = try await waitUntil(url) {
            try self.count("SELECT count(*) FROM flow_runs WHERE id = '\(id)' AND state_type = 'completed'", url) == 1
        }
        #expect(completed, "\(worker.output)")
        #expect(try count("SELECT count(*) FROM task_runs WHERE flow_run_id = '\(id)'", url) == n + 1)
        #expect(try count("SELECT count(*) FROM task_runs WHERE flow_run_id = '\(id)' AND state_type = 'completed'", url) == n + 1)
        // Each task run's states once: no batch was applied twice.
        let doubled = try count(
            """
            SELECT count(*) FROM (SELECT task_run_id, type FROM states WHERE flow_run_id = '\(id)' AND task_run_id IS NOT NULL
            GROUP BY task_run_id, type HAVING count(*) > 1) twice
            """, url)
        #expect(doubled == 0)
        #expect(try count("SELECT count(*) FROM logs WHERE flow_run_id = '\(id)' AND message LIKE 'waiting for the gate%'", url) == 1)
        #expect(try server.sandbox.baton("run", "show", id, environment: again.remote).stdout.contains("Completed"))
        #expect(!FileManager.default.fileExists(atPath: workerHome.home + "/spool/\(id)-1"), "the spool goes once delivered")
    }

}

/// The routes remote workers use, tried as an attacker would, on a server of the default store: keys
/// of the wrong role or project, another worker's run, batches sent twice, out of order or malformed.
@Suite(.timeLimit(.minutes(10)))
struct RemoteWorkerAPITests {
    func batch(_ events: [RunEvent]) -> [UInt8] { RunEventBatch.encode(events) }

    func log(_ run: String, _ text: String) -> RunEvent {
        .log(LogRecord(flowRunID: run, taskRunID: nil, taskRunName: nil, timestamp: Date(), level: .info, message: text))
    }

    func post(_ server: ServerProcess, _ key: String, _ target: String, json: String = "{}") throws -> APIReply {
        try server.request("POST", target, headers: [("Authorization", "Bearer " + key), ("Content-Type", "application/json")], body: Array(json.utf8))
    }

    func events(_ server: ServerProcess, _ key: String, _ target: String, _ bytes: [UInt8]) throws -> APIReply {
        try server.request("POST", target, headers: [("Authorization", "Bearer " + key), ("Content-Type", "application/octet-stream")], body: bytes)
    }

    @Test func workerRoutesServeOnlyTheRunsAWorkerClaimedInItsKeysProject() async throws {
        let server = try await ServerProcess.withFixtures(["--no-worker"])
        defer { _ = server.stop() }
        let sandbox = server.sandbox
        #expect(try sandbox.baton("project", "create", "other").status == 0)
        let ours = try ServerProcess.makeKey(sandbox, name: "ours", role: "operator")
        let theirs = try ServerProcess.makeKey(sandbox, name: "theirs", role: "operator", project: "other")
        let viewer = try ServerProcess.makeKey(sandbox, name: "viewer", role: "viewer")

        let announce = #"{"name": "w", "host": "elsewhere", "pid": 4242, "processStart": "1", "heartbeat": 2}"#
        let worker = try post(server, ours, "/api/workers", json: announce)
        #expect(worker.status == 201, "\(worker)")
        let id = try #require(worker.json["id"]?.stringValue)
        #expect(worker.json["host"]?.stringValue == "elsewhere")
        #expect([JSONValue.int(2), .double(2)].contains(worker.json["heartbeatSeconds"] ?? .null), "\(worker)")
        #expect(try post(server, viewer, "/api/workers", json: announce).status == 403)
        #expect(try server.request("POST", "/api/workers/\(id)/claim", anonymous: true).status == 401)
        let rival = try #require(try post(server, ours, "/api/workers", json: #"{"name": "rival", "host": "h", "processStart": "1"}"#).json["id"]?.stringValue)

        // Nothing due: the claim says so.
        let empty = try post(server, ours, "/api/workers/\(id)/claim")
        #expect(empty.status == 200 && empty.json["assignment"] == nil, "\(empty)")
        let run = try #require(try server.post("/api/flow-runs", #"{"flow": "hello"}"#).json["id"]?.stringValue)
        // A key of another project claims nothing of this one.
        #expect(try post(server, theirs, "/api/workers/\(id)/claim").json["assignment"] == nil)
        let claim = try post(server, ours, "/api/workers/\(id)/claim")
        let assignment = try #require(claim.json["assignment"], "\(claim)")
        #expect(assignment["run"]?["id"]?.stringValue == run)
        let hash = try #require(assignment["libraryHash"]?.stringValue)

        // The library by hash: for the run's project's operators, byte for byte.
        let library = try server.request("GET", "/api/libraries/\(hash)", headers: [("Authorization", "Bearer " + ours)])
        #expect(library.status == 200)
        #expect(SHA256.hex(of: library.body) == hash)
        #expect(try server.request("GET", "/api/libraries/\(hash)", headers: [("Authorization", "Bearer " + theirs)]).status == 404)
        #expect(try server.request("GET", "/api/libraries/\(hash)", headers: [("Authorization", "Bearer " + viewer)]).status == 403)
        #expect(try server.request("GET", "/api/libraries/\(hash)", anonymous: true).status == 401)
        #expect(try server.request("GET", "/api/libraries/\(String(repeating: "0", count: 64))", headers: [("Authorization", "Bearer " + ours)]).status == 404)

        let path = "/api/workers/\(id)/runs/\(run)"
        // Batches: applied once each, in order; sent again, answered as duplicates and not written twice.
        #expect(try events(server, ours, path + "/events?attempt=1&batch=1", batch([log(run, "first")])).json["outcome"] == .string("applied"))
        #expect(try events(server, ours, path + "/events?attempt=1&batch=1", batch([log(run, "first")])).json["outcome"] == .string("duplicate"))
        let gap = try events(server, ours, path + "/events?attempt=1&batch=3", batch([log(run, "third")]))
        #expect(gap.status == 409 && gap.message.contains("before batch 2"), "\(gap)")
        // Another worker, another project, an earlier attempt: refused, nothing written.
        #expect(try events(server, ours, "/api/workers/\(rival)/runs/\(run)/events?attempt=1&batch=2", batch([log(run, "rival")])).status == 409)
        #expect(try events(server, theirs, path + "/events?attempt=1&batch=2", batch([log(run, "theirs")])).status == 404)
        #expect(try events(server, ours, path + "/events?attempt=2&batch=2", batch([log(run, "later")])).status == 409)
        // Bytes that are not a batch: one line, 400, nothing written; a count past the bytes is no allocation.
        for bad: [UInt8] in [[], [1], [9, 0, 0, 0, 0], [1, 255, 255, 255, 255, 6], Array("not a batch".utf8)] {
            let refused = try events(server, ours, path + "/events?attempt=1&batch=2", bad)
            #expect(refused.status == 400, "\(bad): \(refused)")
            #expect(!refused.message.contains("\n"))
        }
        // Events of another run, even of the same project: refused, nothing written there.
        let elsewhere = try #require(try server.post("/api/flow-runs", #"{"flow": "hello"}"#).json["id"]?.stringValue)
        let forged = try events(server, ours, path + "/events?attempt=1&batch=2", batch([log(run, "mine"), log(elsewhere, "forged")]))
        #expect(forged.status == 409 && forged.message.contains("is not part of"), "\(forged)")
        #expect(try server.get("/api/flow-runs/\(elsewhere)/logs").json["logs"]?.arrayValue?.isEmpty == true)
        let json = try server.request("POST", path + "/events?attempt=1&batch=2", headers: [("Authorization", "Bearer " + ours), ("Content-Type", "application/json")], body: Array("{}".utf8))
        #expect(json.status == 415)
        let logs = try server.get("/api/flow-runs/\(run)/logs").json["logs"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
        #expect(logs == ["first"], "\(logs)")

        // Ending it: only crashed or cancelled, only by its worker; a run over takes no more states.
        #expect(try post(server, ours, path + "/end", json: #"{"state": "completed"}"#).status == 400)
        #expect(try post(server, ours, "/api/workers/\(rival)/runs/\(run)/end", json: #"{"state": "crashed"}"#).status == 409)
        #expect(try post(server, ours, path + "/end", json: #"{"state": "crashed", "message": "the test ended it"}"#).status == 204)
        let late = RunEvent.flowRunState(FlowRunStateChange(flowRunID: run, state: RunState(.running)))
        #expect(try events(server, ours, path + "/events?attempt=1&batch=2", batch([late])).status == 409)
        let done = try post(server, ours, path + "/done")
        #expect(done.json["run"]?["state"]?["type"]?.stringValue == "crashed", "\(done)")
        #expect(try server.get("/api/flow-runs/\(run)").json["state"] == .string("crashed"))

        // None of it fills the audit log but the worker's announcements.
        let audit = try server.get("/api/audit?limit=500").json["entries"]?.arrayValue?.compactMap { $0["action"]?.stringValue } ?? []
        #expect(!audit.contains { $0.contains("/events") || $0.contains("/claim") }, "\(audit)")
        #expect(audit.contains { $0.contains("POST /api/workers") })
    }

    /// A global concurrency limit holds across hosts: a remote run's task waits for the slot another
    /// run holds, and is woken by the server's `limits` event when it is given back (never polling).
    @Test func aRemoteTaskWaitsForASlotAndIsWokenWhenItIsGivenBack() async throws {
        let server = try await ServerProcess.withFixtures(["--no-worker"])
        defer { _ = server.stop() }
        #expect(try server.sandbox.baton("limit", "set", "fixture-db", "1").status == 0)
        let key = try ServerProcess.makeKey(server.sandbox, name: "workers", role: "operator")
        let home = try Sandbox()
        let worker = try WatchedProcess(home, ["worker", "start", "--api", server.baseURL, "--name", "far"], environment: ["BATON_API_KEY": key])
        defer { worker.process.terminate() }
        #expect(await worker.line(containing: "started") != nil, "\(worker.output)")
        let endpoint = try LoopbackServer { _, _ in .hold(then: 200, body: "done") }
        defer { for _ in 0..<2 { endpoint.release() } }

        let first = try #require(try server.post("/api/flow-runs", #"{"flow": "limited", "parameters": {"url": "\#(endpoint.baseURL)/first"}}"#).json["id"]?.stringValue)
        await endpoint.requests(reach: 1)  // the first run's task holds the slot
        // The second run's task waits for it: seen in the server's live events.
        let waiting = try await onThread {
            var second = ""
            var seen = false
            try server.client().events("/api/events") { event in
                if event.event == "hello" {
                    second = try server.post("/api/flow-runs", #"{"flow": "limited", "parameters": {"url": "\#(endpoint.baseURL)/second"}}"#).json["id"]?.stringValue ?? ""
                }
                seen = event.event == "task_runs" && event.data.contains(second) && event.data.contains("AwaitingConcurrencySlot")
                return !seen
            }
            return (second, seen)
        }
        #expect(waiting.1, "\(worker.output)")
        #expect(endpoint.requestCount == 1, "the second task must not start while the first holds the slot")

        endpoint.release()
        await endpoint.requests(reach: 2)  // the freed slot went to the second run, on the server's word
        endpoint.release()
        for id in [first, waiting.0] {
            let ended = try await server.waitForEnd(of: id)
            #expect(ended == "completed", "\(id): \(worker.output)")
        }
        #expect(try server.get("/api/limits").json["limits"]?.arrayValue?.first?["active"] == .int(0))
    }

    /// A worker whose server is not there says so in one line, keeps trying, and stops at Ctrl-C.
    @Test func aWorkerWithoutItsServerSaysSoAndStopsAtCtrlC() async throws {
        let sandbox = try Sandbox()
        let port = try PostgresServer.freePort()
        let worker = try WatchedProcess(sandbox, ["worker", "start", "--api", "http://127.0.0.1:\(port)"], environment: ["BATON_API_KEY": "baton_x"])
        let line = await worker.line(containing: "cannot reach the Baton server")
        #expect(line?.contains("trying again (Ctrl-C to stop)") == true, "\(worker.output)")
        kill(worker.process.processIdentifier, SIGINT)
        #expect(try await onThread { worker.wait() } == 0, "\(worker.output)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.home + "/baton.db"), "it never opened a store of its own")
    }
}
