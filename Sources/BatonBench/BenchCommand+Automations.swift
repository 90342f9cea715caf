import BatonCore
import BatonHTTP
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Being told: how fast a failure reaches a webhook, how many deliveries a burst gets through, and
/// what masking a secret costs.
extension Bench {
    /// `automations N`: a server (which schedules, so evaluates and delivers), a webhook receiver in
    /// this process, and an automation notifying it of every failed run. First 20 runs that fail, one
    /// after another (`baton run` in processes of their own), each timed from its Failed state as
    /// stored to the webhook's arrival; then N failed runs recorded at once, and the deliveries per
    /// second until the receiver has all N, each once.
    func automations(_ n: Int) throws -> [String: JSONValue] {
        let library = try fixtureLibrary()
        let home = scratch + "/automations-home"
        try expectSuccess(baton, ["register", library], home: home)
        let receiver = try Receiver()
        defer { receiver.server.shutdown(grace: .seconds(1)) }
        try expectSuccess(baton, ["channel", "create", "bench", "--webhook", "http://127.0.0.1:\(receiver.server.port)/hook"], home: home)
        try expectSuccess(baton, ["automation", "create", "on-failure", "--on-state", "failed", "--notify", "bench"], home: home)
        let port = try freePort()
        let server = try startServer(home: home, port: port, worker: false)
        defer { stop(server) }
        _ = try waitForHealth(port: port, started: .now(), server: server)
        let store = try Self.openStore(home: home)

        progress("20 runs failing one after another, each to its webhook…")
        var latencies: [Double] = []
        for _ in 0..<20 {
            let (status, output) = try shell(baton, ["run", "flaky", "--param", "failures=5", "--json"], home: home, stdoutOnly: true)
            guard status == 1, let id = (try? JSONValue(json: output))?["id"]?.stringValue else {
                throw BatonError(.runner, "`baton run flaky` did not fail as planned (status \(status)): \(output.suffix(300))")
            }
            let arrival = try receiver.arrival(of: id, within: 60)
            let failed = try store.flowRun(id, project: nil).state.timestamp
            latencies.append(arrival.timeIntervalSince(failed))
        }

        progress("\(n) failed runs recorded at once…")
        let before = receiver.count
        let started = Date()
        var ids: [String] = []
        for _ in 0..<n {
            let run = try store.createFlowRun(NewFlowRun(flow: "flaky", version: 1, parameters: [:], state: RunState(.running)))
            try store.finish(flowRunID: run.id, state: RunState(.failed, message: "a burst"))
            ids.append(run.id)
        }
        store.ring("finished")
        let recorded = Date()
        try receiver.wait(for: before + n, within: 600)
        let seconds = Date().timeIntervalSince(started)
        let distinct = receiver.distinctRuns(ids)
        return [
            "workload": .string("automations"), "n": .int(Int64(n)),
            "failure_to_webhook_ms": percentiles(latencies),
            "burst_seconds": .double(round3(seconds)), "burst_recording_seconds": .double(round3(recorded.timeIntervalSince(started))),
            "deliveries_per_second": .double(round3(Double(n) / seconds)),
            "burst_runs_delivered": .int(Int64(distinct.delivered)), "burst_runs_delivered_twice": .int(Int64(distinct.twice)),
        ]
    }

    /// `mask N`: `map N` twice, once as is and once with the flow reading a secret first (so every
    /// event of the run goes through the mask): what masking costs per task.
    func mask(_ n: Int) throws -> [String: JSONValue] {
        let plain = try flowWorkload("map", flow: "bench-map", n: n)
        let home = scratch + "/map-home"
        let (status, output) = try shell(baton, ["secret", "set", "bench-token"], home: home, input: "a-secret-value-for-the-bench")
        guard status == 0 else { throw BatonError(.runner, "`baton secret set` failed: \(output.suffix(300))") }
        let masked = try flowWorkload("map", flow: "bench-map", n: n, extra: ["--param", "secret=bench-token"])
        let us = { (report: [String: JSONValue]) -> Double in
            switch report["us_per_task"] {
            case .double(let value)?: value
            case .int(let value)?: Double(value)
            default: 0
            }
        }
        return [
            "workload": .string("mask"), "n": .int(Int64(n)),
            "plain_tasks_per_second": plain["tasks_per_second"] ?? .null, "masked_tasks_per_second": masked["tasks_per_second"] ?? .null,
            "plain_us_per_task": plain["us_per_task"] ?? .null, "masked_us_per_task": masked["us_per_task"] ?? .null,
            "masking_us_per_task": .double(round3(us(masked) - us(plain))),
            "all_stored": .bool(plain["all_stored"] == .bool(true) && masked["all_stored"] == .bool(true)),
        ]
    }
}

/// A webhook receiver in the bench's process: when each delivery arrived, by the run it is about.
private final class Receiver: @unchecked Sendable {
    // @unchecked: `arrivals` and `total` are guarded by `condition`.
    let server: HTTPServer
    private let condition = NSCondition()
    private var arrivals: [String: [Date]] = [:]
    private var total = 0

    init() throws {
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        let box = Box()
        server = HTTPServer(configuration: configuration) { request in
            let run = (try? JSONValue(json: Array(request.body)))?["event"]?["flowRunID"]?.stringValue ?? ""
            box.receiver?.arrived(run)
            return .text("ok")
        }
        box.receiver = self
        try server.start()
    }

    private final class Box: @unchecked Sendable {
        weak var receiver: Receiver?
    }

    func arrived(_ run: String) {
        condition.lock()
        arrivals[run, default: []].append(Date())
        total += 1
        condition.broadcast()
        condition.unlock()
    }

    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return total
    }

    func arrival(of run: String, within seconds: Double) throws -> Date {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while arrivals[run]?.first == nil {
            guard condition.wait(until: deadline) || arrivals[run]?.first != nil else {
                throw BatonError(.runner, "no delivery for run \(run) within \(Int(seconds)) s")
            }
        }
        return arrivals[run]![0]
    }

    func wait(for count: Int, within seconds: Double) throws {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while total < count {
            guard condition.wait(until: deadline) || total >= count else {
                throw BatonError(.runner, "\(total) of \(count) deliveries within \(Int(seconds)) s")
            }
        }
    }

    func distinctRuns(_ ids: [String]) -> (delivered: Int, twice: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (ids.filter { arrivals[$0] != nil }.count, ids.filter { (arrivals[$0]?.count ?? 0) > 1 }.count)
    }
}
