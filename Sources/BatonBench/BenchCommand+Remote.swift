import BatonCore
import BatonHTTP
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A worker on another host: a home of its own, the server's API only.
extension Bench {
    /// `remote N`: a server without a worker of its own, and `baton worker start --api` on a home of
    /// its own (as on another host). A map of N no-op tasks that worker runs, from its Running state
    /// to its end as stored, with every task run counted in the store; then 50 runs of `hello` one
    /// after another, each timed from its creation (due at once) to its Running state: the latency
    /// from a run being claimable to its flow running on the remote host.
    func remote(_ n: Int) throws -> [String: JSONValue] {
        let library = try fixtureLibrary()
        let home = scratch + "/remote-server-home"
        try expectSuccess(baton, ["register", library], home: home)
        let (status, output) = try shell(baton, ["key", "create", "--name", "bench-worker", "--role", "operator", "--json"], home: home, stdoutOnly: true)
        guard status == 0, let key = (try? JSONValue(json: output))?["key"]?.stringValue else {
            throw BatonError(.runner, "`baton key create` failed: \(output.suffix(500))")
        }
        let port = try freePort()
        let started = DispatchTime.now()
        let server = try startServer(home: home, port: port, worker: false)
        defer { stop(server) }
        let client = try waitForHealth(port: port, started: started, server: server)
        client.headers = try credentials(home: home)

        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: baton)
        worker.arguments = ["worker", "start", "--api", "http://127.0.0.1:\(port)", "--name", "bench-remote"]
        var environment = ProcessInfo.processInfo.environment
        environment[StoreSelection.variable] = nil
        environment["BATON_HOME"] = scratch + "/remote-worker-home"
        environment["BATON_API_KEY"] = key
        environment["NO_COLOR"] = "1"
        worker.environment = environment
        worker.standardOutput = FileHandle.nullDevice
        worker.standardError = FileHandle.nullDevice
        try worker.run()
        defer { stop(worker) }

        let store = try Self.openStore(home: home)
        /// Creates a run through the API and waits for it to end, looking at the store (a benchmark
        /// may poll: it measures, it does not test).
        func runToEnd(_ json: String) throws -> FlowRunRecord {
            let made = try client.request("POST", "/api/flow-runs", headers: [("Content-Type", "application/json")], body: Array(json.utf8))
            guard made.status == 201, let id = (try? JSONValue(json: made.body))?["id"]?.stringValue else {
                throw BatonError(.runner, "POST /api/flow-runs answered \(made.status): \(made.text.prefix(300))")
            }
            let deadline = Date().addingTimeInterval(600)
            while Date() < deadline {
                let run = try store.flowRun(id, project: nil)
                if run.state.type.isFinal { return run }
                guard worker.isRunning else { throw BatonError(.runner, "the remote worker exited with status \(worker.terminationStatus)") }
                usleep(2000)
            }
            throw BatonError(.runner, "run \(id) did not end within 600 s")
        }

        progress("a remote worker fetches the library and runs hello once…")
        _ = try runToEnd(#"{"flow": "hello"}"#)
        progress("a map of \(n) tasks through the remote worker…")
        let map = try runToEnd(#"{"flow": "bench-map", "parameters": {"n": \#(n)}}"#)
        guard map.state.type == .completed, let start = map.startTime, let end = map.endTime else {
            throw BatonError(.runner, "the map ended \(map.state.name): \(map.state.message ?? "")")
        }
        let seconds = end.timeIntervalSince(start)
        let stored = try store.taskRuns(flowRunID: map.id).count
        let peak = peakResident(worker.processIdentifier)

        progress("50 runs of hello, one after another: claim to running…")
        var latencies: [Double] = []
        for _ in 0..<50 {
            let run = try runToEnd(#"{"flow": "hello"}"#)
            if let running = run.startTime { latencies.append(running.timeIntervalSince(run.createdAt)) }
        }
        return [
            "workload": .string("remote"), "n": .int(Int64(n)), "seconds": .double(round3(seconds)),
            "tasks_per_second": .double(round3(Double(n) / seconds)), "stored_task_runs": .int(Int64(stored)),
            "all_stored": .bool(stored == n), "worker_peak_rss_bytes": .int(peak), "claim_to_running_ms": percentiles(latencies),
        ]
    }

    /// The peak resident memory of a process that still runs (VmHWM).
    func peakResident(_ pid: Int32) -> Int64 {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        return (Int64(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }
}
