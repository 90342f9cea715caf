import BatonCore
import BatonHTTP
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The server's workloads: how soon it is ready, what it holds at rest, how fast its runs list and
/// run page answer over a large store, and how many runs it creates a second.
extension Bench {
    /// `server-ready N`: N starts of `baton server start`, each timed from spawning the process to the
    /// first 200 from /api/health; the resident memory of the last one after the UI's files and a few
    /// API calls were served and it sat idle for two seconds.
    func serverReady(_ n: Int) throws -> [String: JSONValue] {
        let library = try fixtureLibrary()
        let home = scratch + "/server-ready-home"
        try expectSuccess(baton, ["register", library], home: home)
        var times: [Double] = []
        var idleRSS: Int64 = 0
        for round in 0..<n {
            let port = try freePort()
            let started = DispatchTime.now()
            let server = try startServer(home: home, port: port, worker: true)
            defer { stop(server) }
            let client = try waitForHealth(port: port, started: started, server: server)
            times.append(seconds(since: started))
            if round == n - 1 {
                for target in ["/", "/app.css", "/api/flows", "/api/flow-runs?limit=50", "/api/dashboard", "/api/deployments"] {
                    _ = try client.request("GET", target)
                }
                Thread.sleep(forTimeInterval: 2)
                idleRSS = residentBytes(server.processIdentifier)
            }
        }
        return [
            "workload": .string("server-ready"), "n": .int(Int64(n)), "seconds": .double(round3(times.reduce(0, +))),
            "ready_ms": percentiles(times), "idle_rss_bytes": .int(idleRSS),
            "idle_rss_mb": .double(round3(Double(idleRSS) / 1_048_576)),
        ]
    }

    /// `server-runs N`: a store with N flow runs (of three flows, in every final state) and one real
    /// run with a task graph and logs; the latency of the runs list, filtered and paged, and of the
    /// calls the run page makes, each asked 200 times over a kept-alive connection.
    func serverRuns(_ n: Int) throws -> [String: JSONValue] {
        let library = try fixtureLibrary()
        let home = scratch + "/server-runs-home"
        try expectSuccess(baton, ["register", library], home: home)
        try expectSuccess(baton, ["run", "bench-map", "--param", "n=50"], home: home)
        let store = try Self.openStore(home: home)
        let pageRun = try store.flowRuns(FlowRunQuery(flow: "bench-map", limit: 1))[0]
        progress("storing \(n) flow runs…")
        let flows = ["hello", "bench-seq", "bench-etl"]
        let states: [StateType] = [.completed, .completed, .completed, .failed, .crashed, .cancelled, .completed, .scheduled]
        let start = Date().addingTimeInterval(-Double(n) * 2)
        var batch: [NewFlowRun] = []
        for i in 0..<n {
            let state = states[i % states.count]
            let created = start.addingTimeInterval(Double(i) * 2)
            batch.append(NewFlowRun(
                flow: flows[i % flows.count], version: 1, parameters: [:], state: RunState(state, at: created),
                name: "bench-run-\(i)"))
            if batch.count == 5000 {
                try store.createFlowRuns(batch)
                batch = []
            }
        }
        try store.createFlowRuns(batch)
        let port = try freePort()
        let credentials = try self.credentials(home: home)
        let started = DispatchTime.now()
        let server = try startServer(home: home, port: port, worker: false)
        defer { stop(server) }
        let client = try waitForHealth(port: port, started: started, server: server)
        client.headers = credentials
        progress("asking the runs list and the run page's calls 200 times each…")
        let first = try client.request("GET", "/api/flow-runs?limit=50")
        let cursor = (try? JSONValue(json: first.body))?["nextCursor"]?.stringValue ?? ""
        let id = pageRun.id
        let lists = [
            "/api/flow-runs?limit=50", "/api/flow-runs?state=failed&limit=50", "/api/flow-runs?flow=bench-seq&limit=50",
            "/api/flow-runs?flow=hello&state=crashed&limit=50", "/api/flow-runs?limit=50&cursor=\(cursor)",
            "/api/flow-runs?since=\(Timestamps.iso(start.addingTimeInterval(Double(n))))&state=completed&limit=50",
        ]
        let page = [
            "/api/flow-runs/\(id)", "/api/flow-runs/\(id)/states", "/api/flow-runs/\(id)/task-runs", "/api/flow-runs/\(id)/graph",
            "/api/flow-runs/\(id)/logs?limit=500", "/api/flow-runs/\(id)/artifacts", "/api/flows/bench-map/versions",
        ]
        func measure(_ targets: [String]) throws -> [Double] {
            var times: [Double] = []
            for round in 0..<200 {
                let target = targets[round % targets.count]
                let t = DispatchTime.now()
                let response = try client.request("GET", target)
                times.append(seconds(since: t))
                guard response.status == 200 else { throw BatonError(.runner, "GET \(target) answered \(response.status): \(response.text.prefix(200))") }
            }
            return times
        }
        let listTimes = try measure(lists)
        let pageTimes = try measure(page)
        var each: [String: JSONValue] = [:]
        for target in lists + page {
            var times: [Double] = []
            for _ in 0..<20 {
                let t = DispatchTime.now()
                _ = try client.request("GET", target)
                times.append(seconds(since: t))
            }
            each[target.replacingOccurrences(of: id, with: "{id}").replacingOccurrences(of: cursor, with: "{cursor}")] = percentiles(times)
        }
        return [
            "workload": .string("server-runs"), "n": .int(Int64(n)), "stored_flow_runs": .int(Int64(try store.flowRuns(FlowRunQuery(limit: n + 100)).count)),
            "seconds": .double(round3((listTimes + pageTimes).reduce(0, +))),
            "credentials": .bool(!noAuth), "runs_list_ms": percentiles(listTimes), "run_page_calls_ms": percentiles(pageTimes), "each_ms": .object(each),
            "run_page_task_runs": .int(Int64(try store.countTaskRuns(flowRunID: id))),
        ]
    }

    /// `server-create N`: 8 clients, each on its own connection, create N flow runs in all through
    /// POST /api/flow-runs (the server runs no worker, so only creation is measured).
    func serverCreate(_ n: Int) throws -> [String: JSONValue] {
        let library = try fixtureLibrary()
        let home = scratch + "/server-create-home"
        try expectSuccess(baton, ["register", library], home: home)
        let port = try freePort()
        let credentials = try self.credentials(home: home)
        let server = try startServer(home: home, port: port, worker: false)
        defer { stop(server) }
        _ = try waitForHealth(port: port, started: DispatchTime.now(), server: server)
        let clients = 8
        let failures = Counter()
        let latencies = Collected()
        let started = DispatchTime.now()
        DispatchQueue.concurrentPerform(iterations: clients) { index in
            guard let client = try? HTTPClient(baseURL: "http://127.0.0.1:\(port)") else { return failures.add() }
            client.headers = credentials
            let body = Array(#"{"flow":"hello","parameters":{}}"#.utf8)
            var mine: [Double] = []
            for _ in 0..<(n / clients + (index < n % clients ? 1 : 0)) {
                let t = DispatchTime.now().uptimeNanoseconds
                let response = try? client.request("POST", "/api/flow-runs", headers: [("Content-Type", "application/json")], body: body)
                mine.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
                if response?.status != 201 { failures.add() }
            }
            latencies.add(mine)
        }
        let elapsed = seconds(since: started)
        let store = try Self.openStore(home: home)
        return [
            "workload": .string("server-create"), "n": .int(Int64(n)), "clients": .int(Int64(clients)), "seconds": .double(round3(elapsed)),
            "runs_per_second": .double(round3(Double(n) / elapsed)), "request_ms": percentiles(latencies.values),
            "failed_requests": .int(Int64(failures.value)), "credentials": .bool(!noAuth),
            "stored_flow_runs": .int(Int64(try store.flowRuns(FlowRunQuery(flow: "hello", limit: n + 10)).count)),
        ]
    }

    // MARK: Support

    func startServer(home: String, port: Int, worker: Bool) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: baton)
        process.arguments = ["server", "start", "--port", String(port)] + (worker ? [] : ["--no-worker"]) + (noAuth ? ["--no-auth"] : [])
        process.environment = ProcessInfo.processInfo.environment.merging(["BATON_HOME": home, "NO_COLOR": "1"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func stop(_ process: Process) {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
    }

    /// Asks /api/health until it answers 200 (a benchmark may poll: it measures, it does not test).
    func waitForHealth(port: Int, started: DispatchTime, server: Process) throws -> HTTPClient {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            guard server.isRunning else { throw BatonError(.runner, "baton server start exited with status \(server.terminationStatus)") }
            if let client = try? HTTPClient(baseURL: "http://127.0.0.1:\(port)"), let response = try? client.request("GET", "/api/health"),
                response.status == 200
            {
                return client
            }
            usleep(500)
        }
        throw BatonError(.runner, "the server on port \(port) was not ready within 30 s")
    }

    /// A port nothing listens on now.
    func freePort() throws -> Int {
        do {
            return try FreePort.find()
        } catch {
            throw BatonError(.io, "cannot find a free port: \(error)")
        }
    }

    private func residentBytes(_ pid: Int32) -> Int64 {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (Int64(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }

    func percentiles(_ values: [Double]) -> JSONValue {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .null }
        func at(_ q: Double) -> Double { round3(sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)] * 1000) }
        return .object(["p50": .double(at(0.5)), "p99": .double(at(0.99)), "max": .double(round3(sorted.last! * 1000)), "min": .double(round3(sorted[0] * 1000))])
    }
}

/// Counts from several threads.
private final class Counter: @unchecked Sendable {
    // @unchecked: `count` is guarded by `lock`.
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

private final class Collected: @unchecked Sendable {
    // @unchecked: `all` is guarded by `lock`.
    private let lock = NSLock()
    private var all: [Double] = []
    func add(_ values: [Double]) { lock.withLock { all += values } }
    var values: [Double] { lock.withLock { all } }
}
