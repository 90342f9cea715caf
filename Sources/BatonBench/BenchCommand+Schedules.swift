import BatonCore
import BatonSchedule
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension Bench {
    /// `lateness N`: a deployment of `hello` every second and one `baton worker start`; for its first
    /// N runs, how long after its scheduled time each began running (its `Running` state).
    func lateness(_ n: Int, servers: Int = 0) throws -> [String: JSONValue] {
        let library = try fixtureLibrary()
        let home = scratch + "/lateness-home"
        try expectSuccess(baton, ["register", library], home: home)
        let anchor = Date(timeIntervalSince1970: floor(Date().timeIntervalSince1970) + 3)
        try expectSuccess(
            baton, ["deployment", "create", "hello", "--name", "every-second", "--interval", "1", "--anchor", Timestamps.iso(anchor)],
            home: home)
        // One worker, or several servers (each with its home's worker; one schedules at a time).
        let what = servers == 0 ? "`baton worker start`" : "\(servers) `baton server start` processes"
        progress("running \(what) until \(n) runs of a one-second interval have completed (about \(n + 3) s)…")
        var processes: [Process] = []
        for index in 0..<max(1, servers) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: baton)
            process.arguments = servers == 0 ? ["worker", "start", "--name", "bench"] : ["server", "start", "--port", String(try freePort()), "--no-auth"]
            // Servers of one database on other hosts: each its own home (a second server on one SQLite
            // home would share its lock files, as processes of one host do).
            let ownHome = servers == 0 || index == 0 || StoreSelection.databaseURL() == nil ? home : scratch + "/lateness-home-\(index)"
            process.environment = ProcessInfo.processInfo.environment.merging(["BATON_HOME": ownHome, "NO_COLOR": "1"]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            processes.append(process)
        }
        defer { for process in processes { stop(process) } }
        let store = try Self.openStore(home: home)
        let doorbell = try store.doorbell()
        var runs: [FlowRunRecord] = []
        let deadline = Date().addingTimeInterval(Double(n) * 2 + 60)
        while Date() < deadline {
            runs = try store.flowRuns(FlowRunQuery(state: .completed, deployment: "every-second", limit: n + 50))
            if runs.count >= n { break }
            var entry = pollfd(fd: doorbell.fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&entry, 1, 1000)
            _ = doorbell.drain()
        }
        for process in processes { stop(process) }
        let first = runs.sorted { ($0.scheduledTime ?? .distantPast) < ($1.scheduledTime ?? .distantPast) }.prefix(n)
        guard first.count == n else { throw BatonError(.runner, "only \(first.count) of \(n) runs completed") }
        let lateness = first.compactMap { run in run.startTime.flatMap { start in run.scheduledTime.map { start.timeIntervalSince($0) } } }
        let sorted = lateness.sorted()
        func at(_ q: Double) -> Double { round3(sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)] * 1000) }
        let times = first.compactMap(\.scheduledTime)
        return [
            "workload": .string("lateness"), "n": .int(Int64(n)),
            "lateness_ms": .object([
                "p50": .double(at(0.5)), "p99": .double(at(0.99)), "max": .double(round3((sorted.last ?? 0) * 1000)),
                "min": .double(round3((sorted.first ?? 0) * 1000)),
                "mean": .double(round3(sorted.reduce(0, +) / Double(max(1, sorted.count)) * 1000)),
            ]),
            "runs_started_early": .int(Int64(lateness.filter { $0 < 0 }.count)),
            "distinct_fire_times": .int(Int64(Set(times).count)),
            "processes": .int(Int64(max(1, servers))),
            "fire_times_run_twice": .int(Int64(try store.flowRuns(FlowRunQuery(deployment: "every-second", limit: n + 1000)).reduce(into: [Date: Int]()) {
                $0[$1.scheduledTime ?? .distantPast, default: 0] += 1 }.values.filter { $0 > 1 }.count)),
            "seconds": .double(round3(first.last?.endTime?.timeIntervalSince(anchor) ?? 0)),
        ]
    }

    /// `preview N`: `baton schedule preview` printing N fire times of a busy cron expression in a zone
    /// with daylight saving time, as a process, and the arithmetic alone.
    func preview(_ n: Int) throws -> [String: JSONValue] {
        let expression = "*/5 9-17 * * MON-FRI"
        let arguments = ["schedule", "preview", "--cron", expression, "--timezone", "America/New_York", "--after", "2026-01-01T00:00:00", "--count", "\(n)"]
        progress("running `baton \(arguments.joined(separator: " "))`…")
        let started = DispatchTime.now()
        let (status, output) = try shell(baton, arguments, home: scratch + "/preview-home", stdoutOnly: true)
        let processSeconds = seconds(since: started)
        let lines = output.split(separator: "\n").count
        guard status == 0, lines == n else { throw BatonError(.runner, "schedule preview printed \(lines) lines: \(output.suffix(300))") }
        let schedule = try CompiledSchedule(ScheduleSpec(kind: "cron", cron: expression, timeZone: "America/New_York"))
        let after = try ScheduleTime.parse("2026-01-01T00:00:00", in: schedule.zone)
        let computed = DispatchTime.now()
        let times = schedule.fireTimes(after: after, count: n)
        let formatted = times.map(schedule.format)
        let arithmeticSeconds = seconds(since: computed)
        return [
            "workload": .string("preview"), "n": .int(Int64(n)), "cron": .string(expression),
            "seconds": .double(round3(processSeconds)), "arithmetic_seconds": .double(round3(arithmeticSeconds)),
            "last": .string(formatted.last ?? ""),
        ]
    }
}
