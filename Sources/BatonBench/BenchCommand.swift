import BatonCore
import BatonRunner
import BatonServices
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `baton-bench <workload> [N] [--json]`: measures Baton through the same paths as `baton`, with real
/// flow libraries. Build in release: `swift run -c release baton-bench run 50`.
///
/// Workloads (each prints `workload`, `n`, `seconds`, `tasks_per_second`, `peak_rss_bytes` and
/// `stored_task_runs`, counted in the store afterwards):
///   seq N                 a flow calling a no-op task N times in sequence
///   map N                 a flow mapping a no-op task over N elements
///                         (both also time a run of 0 tasks and report the cost per task beyond it)
///   etl [N]               extract (failing once, retried) → transform → load → notify, N runs
///   cache                 a cached task and input in two runs: the second is a cache hit
///   run [N]               `baton run hello` (one task) N times: process start to final state, stored
///   register [N]          `baton register libFixtureFlows.so` into a new store N times
///   register-package      `baton register flows/windspeed`: a cold build, then one with nothing to rebuild
///   store [N]             the store alone applying the events of N task runs
///   lateness [N]          a one-second interval deployment and a worker: how late N runs start
///   lateness-servers [N]  the same with two `baton server start` on the store (with --database: as on two hosts)
///   preview [N]           `baton schedule preview` of N fire times of a busy cron expression
///   server-ready [N]      `baton server start` N times: spawn to the first 200 of /api/health; idle RSS
///   server-runs [N]       N runs stored: p50/p99 of the runs list (filtered, paged) and the run page's calls
///   server-create [N]     8 clients creating N runs through POST /api/flow-runs: runs per second
///   remote [N]            a worker on another host (its own home, the API only): a map of N tasks, claim-to-running p50/p99
///   chaos [N]             the fault suite: N rounds of SIGKILL on one store, then lost/stuck/duplicated runs (BenchCommand+Chaos.swift)
public enum BenchCommand {
    public static func main(_ arguments: [String]) async -> Int32 {
        var args = arguments
        let json = args.contains("--json")
        let noAuth = args.contains("--no-auth")
        args.removeAll { $0 == "--json" || $0 == "--no-auth" }
        // --database URL: measure on that PostgreSQL database (the bench and every `baton` it starts
        // keep their records there, through BATON_DATABASE_URL).
        if let index = args.firstIndex(of: "--database") {
            guard index + 1 < args.count, PostgresStore.isDatabaseURL(args[index + 1]) else {
                warn("error: --database needs a PostgreSQL URL, such as --database postgresql://baton@127.0.0.1:5432/bench")
                return 2
            }
            // Each workload gets a new database beside the one named, removed afterwards.
            let server = args[index + 1]
            let scratch = "baton_bench_\(getpid())"
            do {
                setenv(StoreSelection.variable, try PostgresStore.createDatabase(near: server, name: scratch), 1)
            } catch {
                warn("error: \(error)")
                return 1
            }
            args.removeSubrange(index...(index + 1))
            defer { PostgresStore.dropDatabase(near: server, name: scratch) }
            return await measure(args, json: json, noAuth: noAuth, arguments: arguments)
        }
        return await measure(args, json: json, noAuth: noAuth, arguments: arguments)
    }

    /// Runs workload `args[0]` (with N `args[1]`) and prints its report.
    static func measure(_ args: [String], json: Bool, noAuth: Bool, arguments: [String]) async -> Int32 {
        guard let workload = args.first, !["-h", "--help"].contains(workload) else {
            print("USAGE: baton-bench <seq|map|etl|cache|run|register|register-package|store|lateness|lateness-servers|preview|server-ready|server-runs|server-create|remote|chaos|automations|mask> [N] [--json] [--no-auth] [--database URL]   (from the baton checkout, in release; --no-auth: servers without credentials; --database: on a new database of that PostgreSQL server, removed afterwards)")
            return args.isEmpty ? 2 : 0
        }
        let n = args.count > 1 ? Int(args[1]) : nil
        if args.count > 1 && (n ?? 0) < 1 {
            warn("error: N '\(args[1])' is not valid: expected a whole number of at least 1")
            return 2
        }
        do {
            let bench = try Bench()
            bench.noAuth = noAuth
            defer { bench.cleanUp() }
            var report: [String: JSONValue]
            switch workload {
            case "seq": report = try bench.flowWorkload("seq", flow: "bench-seq", n: n ?? 1000)
            case "map": report = try bench.flowWorkload("map", flow: "bench-map", n: n ?? 1000)
            case "etl": report = try bench.etl(n ?? 20)
            case "cache": report = try bench.cache()
            case "run": report = try bench.run(n ?? 20)
            case "register": report = try bench.register(n ?? 10)
            case "register-package": report = try bench.registerPackage()
            case "store": report = try bench.storeApply(n ?? 20_000)
            case "lateness": report = try bench.lateness(n ?? 200)
            case "lateness-servers": report = try bench.lateness(n ?? 200, servers: 2)
            case "preview": report = try bench.preview(n ?? 10_000)
            case "server-ready": report = try bench.serverReady(n ?? 10)
            case "server-runs": report = try bench.serverRuns(n ?? 100_000)
            case "server-create": report = try bench.serverCreate(n ?? 2000)
            case "remote": report = try bench.remote(n ?? 10_000)
            case "chaos": report = try bench.chaos(n ?? 20, arguments: arguments)
            case "automations": report = try bench.automations(n ?? 1000)
            case "mask": report = try bench.mask(n ?? 100_000)
            default:
                warn("error: unknown workload '\(workload)'; expected seq, map, etl, cache, run, register, register-package, store, lateness, preview, server-ready, server-runs, server-create, remote, chaos, automations or mask")
                return 2
            }
            report["store"] = .string(StoreSelection.databaseURL() == nil ? "sqlite" : "postgresql")
            if json {
                print(JSONValue.object(report).jsonText)
            } else {
                for key in report.keys.sorted() { print("\(key.padding(toLength: 28, withPad: " ", startingAt: 0)) \(report[key]!.jsonText)") }
            }
            return 0
        } catch {
            warn("error: \(error)")
            return 1
        }
    }
}

final class Bench {
    /// The store a benchmark measures, at `home` (or in the database `BATON_DATABASE_URL` names, as
    /// the `baton` processes it starts see it): the one place the bench opens a store.
    static func openStore(home: String) throws -> any Store {
        try StoreSelection.open(home: BatonHome(path: home), databaseURL: StoreSelection.databaseURL())
    }

    let root: String
    let scratch: String
    let baton: String

    init() throws {
        let cwd = FileManager.default.currentDirectoryPath
        guard FileManager.default.fileExists(atPath: cwd + "/flows/windspeed/Package.swift") else {
            throw BatonError(.invalidInput, "run baton-bench from the baton checkout (no flows/windspeed here)")
        }
        root = cwd
        scratch = NSTemporaryDirectory() + "baton-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        baton = RunnerExecutable.default
        guard FileManager.default.isExecutableFile(atPath: baton) else {
            throw BatonError(.invalidInput, "no baton next to baton-bench; build both: swift build -c release")
        }
    }

    /// Removes the scratch folder, unless `BATON_BENCH_KEEP` is set (to look at what a run left).
    func cleanUp() {
        if ProcessInfo.processInfo.environment["BATON_BENCH_KEEP"] != nil {
            warn("kept \(scratch)")
            return
        }
        try? FileManager.default.removeItem(atPath: scratch)
    }

    func progress(_ text: String) { warn(text) }

    /// The fixture library with the `hello` flow, built in release.
    func fixtureLibrary() throws -> String {
        progress("building the fixture flows in release…")
        let package = root + "/Tests/Fixtures/FixtureFlows"
        let (status, output) = try shell(
            try PackageBuilder.swiftExecutable(), ["build", "-c", "release", "--package-path", package, "--product", "FixtureFlows", "--disable-build-manifest-caching"])
        guard status == 0 else { throw BatonError(.buildFailed, "building the fixtures failed: \(output.suffix(500))") }
        return package + "/.build/release/libFixtureFlows.so"
    }

    /// A flow of `n` no-op task calls (`bench-seq` in sequence, `bench-map` as a map), run by `baton run`.
    func flowWorkload(_ workload: String, flow: String, n: Int, extra: [String] = []) throws -> [String: JSONValue] {
        let library = try fixtureLibrary()
        let home = scratch + "/\(workload)-home"
        if !FileManager.default.fileExists(atPath: home) { try expectSuccess(baton, ["register", library], home: home) }
        // The same run with no tasks: what every run costs (two processes, loading the library, the
        // store), so that the cost per task can be told apart from it.
        progress("running `baton run \(flow) --param n=0` for the fixed cost of a run…")
        let emptyStarted = DispatchTime.now()
        try expectSuccess(baton, ["run", flow, "--param", "n=0"], home: home)
        let fixed = seconds(since: emptyStarted)
        progress("running `baton run \(flow) --param n=\(n)`…")
        let started = DispatchTime.now()
        let (status, rss, output) = try spawnMeasured(baton, ["run", flow, "--param", "n=\(n)", "--json"] + extra, home: home, capture: true)
        let seconds = seconds(since: started)
        guard status == 0, let id = (try? JSONValue(json: output))?["id"]?.stringValue else {
            throw BatonError(.runner, "`baton run \(flow)` exited with status \(status): \(output.suffix(300))")
        }
        let store = try Self.openStore(home: home)
        let stored = try store.countTaskRuns(flowRunID: id)
        return [
            "workload": .string(workload), "n": .int(Int64(n)), "seconds": .double(round3(seconds)),
            "tasks_per_second": .double(round3(Double(n) / seconds)),
            "us_per_task": .double(round3(seconds / Double(n) * 1e6)),
            "fixed_run_seconds": .double(round3(fixed)),
            "us_per_task_beyond_fixed": .double(round3(max(0, seconds - fixed) / Double(n) * 1e6)),
            "peak_rss_bytes": .int(rss), "stored_task_runs": .int(Int64(stored)),
            "all_stored": .bool(stored == n),
        ]
    }

    /// `n` runs of extract (failing once, retried) → transform → load → notify.
    func etl(_ n: Int) throws -> [String: JSONValue] {
        let library = try fixtureLibrary()
        let home = scratch + "/etl-home"
        try expectSuccess(baton, ["register", library], home: home)
        progress("running `baton run bench-etl` \(n) times…")
        var times: [Double] = []
        var peak: Int64 = 0
        var ids: [String] = []
        for _ in 0..<n {
            let started = DispatchTime.now()
            let (status, rss, output) = try spawnMeasured(baton, ["run", "bench-etl", "--json"], home: home, capture: true)
            times.append(seconds(since: started))
            guard status == 0, let id = (try? JSONValue(json: output))?["id"]?.stringValue else {
                throw BatonError(.runner, "`baton run bench-etl` exited with status \(status)")
            }
            ids.append(id)
            peak = max(peak, rss)
        }
        let store = try Self.openStore(home: home)
        let stored = try ids.reduce(0) { $0 + (try store.countTaskRuns(flowRunID: $1)) }
        let retried = try ids.allSatisfy { id in
            try store.taskRuns(flowRunID: id).first { $0.taskName == "etl-extract" }?.attempts == 2
        }
        let total = times.reduce(0, +)
        return [
            "workload": .string("etl"), "n": .int(Int64(n)), "seconds": .double(round3(total)),
            "run_ms": summary(times), "tasks_per_second": .double(round3(Double(4 * n) / total)),
            "peak_rss_bytes": .int(peak), "stored_task_runs": .int(Int64(stored)), "all_stored": .bool(stored == 4 * n),
            "extract_retried_each_run": .bool(retried),
        ]
    }

    /// Two runs of a cached task with the same input; the second must be a hit.
    func cache() throws -> [String: JSONValue] {
        let library = try fixtureLibrary()
        let home = scratch + "/cache-home"
        try expectSuccess(baton, ["register", library], home: home)
        var times: [Double] = []
        var peak: Int64 = 0
        var ids: [String] = []
        for _ in 0..<2 {
            let started = DispatchTime.now()
            let (status, rss, output) = try spawnMeasured(baton, ["run", "bench-cache", "--json"], home: home, capture: true)
            times.append(seconds(since: started))
            guard status == 0, let id = (try? JSONValue(json: output))?["id"]?.stringValue else {
                throw BatonError(.runner, "`baton run bench-cache` exited with status \(status)")
            }
            ids.append(id)
            peak = max(peak, rss)
        }
        let store = try Self.openStore(home: home)
        let second = try store.taskRuns(flowRunID: ids[1]).first
        let stored = try ids.reduce(0) { $0 + (try store.countTaskRuns(flowRunID: $1)) }
        return [
            "workload": .string("cache"), "n": .int(2), "seconds": .double(round3(times.reduce(0, +))),
            "first_run_ms": .double(round3(times[0] * 1000)), "second_run_ms": .double(round3(times[1] * 1000)),
            "tasks_per_second": .double(round3(2 / times.reduce(0, +))), "peak_rss_bytes": .int(peak),
            "stored_task_runs": .int(Int64(stored)), "second_is_cache_hit": .bool(second?.state.name == StateName.cached),
        ]
    }

    func run(_ n: Int) throws -> [String: JSONValue] {
        let library = try fixtureLibrary()
        let home = scratch + "/run-home"
        try expectSuccess(baton, ["register", library], home: home)
        _ = try shell(baton, ["run", "hello"], home: home)  // warm the page cache
        progress("running `baton run hello` \(n) times…")
        var endToEnd: [Double] = []
        var peak: Int64 = 0
        for _ in 0..<n {
            let started = DispatchTime.now()
            let (status, rss, _) = try spawnMeasured(baton, ["run", "hello"], home: home)
            endToEnd.append(seconds(since: started))
            guard status == 0 else { throw BatonError(.runner, "`baton run hello` exited with status \(status)") }
            peak = max(peak, rss)
        }
        progress("running the same flow \(n) times through the supervisor, without the CLI process…")
        let store = try Self.openStore(home: home)
        let supervisor = RunSupervisor(store: store, runnerExecutable: baton)
        var supervised: [Double] = []
        for _ in 0..<n {
            let started = DispatchTime.now()
            let run = try store.createFlowRun(NewFlowRun(flow: "hello", version: 1, parameters: [:]))
            let final = try supervisor.execute(run)
            guard final.state.type == .completed else { throw BatonError(.runner, "a run ended \(final.state.name)") }
            supervised.append(seconds(since: started))
        }
        let runs = try store.flowRuns(FlowRunQuery(limit: 100_000))
        return [
            "workload": .string("run"), "n": .int(Int64(n)),
            "seconds": .double(round3(endToEnd.reduce(0, +))),
            "end_to_end_ms": summary(endToEnd), "supervisor_ms": summary(supervised),
            "runs_per_second": .double(round3(Double(n) / endToEnd.reduce(0, +))),
            "stored_flow_runs": .int(Int64(runs.count)),
            "stored_task_runs": .int(Int64(try store.countTaskRuns(flowRunID: nil))),
            "peak_rss_bytes": .int(peak),
        ]
    }

    /// The store alone: the events of `n` completed no-op task runs, applied in batches of 2,000 as the
    /// supervisor applies a runner's output.
    func storeApply(_ n: Int) throws -> [String: JSONValue] {
        let library = try fixtureLibrary()
        let home = scratch + "/store-home"
        try expectSuccess(baton, ["register", library], home: home)
        let store = try Self.openStore(home: home)
        let run = try store.createFlowRun(NewFlowRun(flow: "hello", version: 1, parameters: [:]))
        var events: [RunEvent] = []
        let now = Date()
        for i in 0..<n {
            let id = RunID.make()
            events.append(.taskRunCreated(TaskRunStart(
                id: id, flowRunID: run.id, flowRunAttempt: 1, position: i + 1, name: "noop-\(i)", taskName: "noop",
                input: "\(i)", inputKey: String(repeating: "a", count: 64), createdAt: now)))
            events.append(.taskRunState(TaskRunStateChange(taskRunID: id, flowRunID: run.id, state: RunState(.running, at: now), attempt: 1)))
            events.append(.taskRunState(TaskRunStateChange(taskRunID: id, flowRunID: run.id, state: RunState(.completed, at: now), attempt: 1, result: "\(i)")))
        }
        progress("applying \(events.count) events of \(n) task runs…")
        let started = DispatchTime.now()
        var offset = 0
        while offset < events.count {
            try store.apply(Array(events[offset..<min(events.count, offset + 6000)]))
            offset += 6000
        }
        let seconds = seconds(since: started)
        return [
            "workload": .string("store"), "n": .int(Int64(n)), "seconds": .double(round3(seconds)),
            "tasks_per_second": .double(round3(Double(n) / seconds)), "us_per_task": .double(round3(seconds / Double(n) * 1e6)),
            "stored_task_runs": .int(Int64(try store.countTaskRuns(flowRunID: run.id))),
        ]
    }

    func register(_ n: Int) throws -> [String: JSONValue] {
        let library = try fixtureLibrary()
        progress("registering libFixtureFlows.so into \(n) new stores…")
        var times: [Double] = []
        var peak: Int64 = 0
        for index in 0..<n {
            let started = DispatchTime.now()
            let (status, rss, _) = try spawnMeasured(baton, ["register", library], home: scratch + "/register-\(index)")
            times.append(seconds(since: started))
            guard status == 0 else { throw BatonError(.runner, "`baton register` exited with status \(status)") }
            peak = max(peak, rss)
        }
        var again: [Double] = []
        for _ in 0..<n {
            let started = DispatchTime.now()
            try expectSuccess(baton, ["register", library], home: scratch + "/register-0")
            again.append(seconds(since: started))
        }
        let size = (try FileManager.default.attributesOfItem(atPath: library)[.size] as? Int) ?? 0
        return [
            "workload": .string("register"), "n": .int(Int64(n)), "seconds": .double(round3(times.reduce(0, +))),
            "new_library_ms": summary(times), "identical_bytes_ms": summary(again), "library_bytes": .int(Int64(size)),
            "peak_rss_bytes": .int(peak),
        ]
    }

    func registerPackage() throws -> [String: JSONValue] {
        // A copy of windspeed with its own build folder, so that a cold build is really cold.
        let package = scratch + "/windspeed"
        try FileManager.default.copyItem(atPath: root + "/flows/windspeed/Sources", toPath: package + "/Sources")
        let manifest = try String(contentsOfFile: root + "/flows/windspeed/Package.swift", encoding: .utf8)
            .replacingOccurrences(of: "path: \"../..\"", with: "path: \"\(root)\"")
        try manifest.write(toFile: package + "/Package.swift", atomically: true, encoding: .utf8)
        var report: [String: JSONValue] = ["workload": .string("register-package"), "n": .int(1)]
        for (name, home) in [("cold", "pkg-cold"), ("warm", "pkg-warm")] {
            progress("registering the windspeed package (\(name) build)…")
            let started = DispatchTime.now()
            let (status, output) = try shell(baton, ["register", package, "--json"], home: scratch + "/" + home, stdoutOnly: true)
            guard status == 0 else { throw BatonError(.runner, "register failed: \(output.suffix(500))") }
            let total = seconds(since: started)
            let buildSeconds = (try? JSONValue(json: output))?.arrayValue?.first?["buildSeconds"].flatMap {
                if case .double(let d) = $0 { return d }
                return $0.intValue.map(Double.init)
            } ?? 0
            report["\(name)_seconds"] = .double(round3(total))
            report["\(name)_build_seconds"] = .double(round3(buildSeconds))
            report["\(name)_build_share"] = .double(round3(buildSeconds / total))
        }
        report["seconds"] = report["cold_seconds"]
        return report
    }

    // MARK: Helpers

    /// Whether servers run with `--no-auth` and requests carry no key (`baton-bench … --no-auth`), to
    /// measure what credentials cost.
    var noAuth = false

    /// The `Authorization` header of an admin key made on the store at `home` (none under --no-auth).
    func credentials(home: String) throws -> [(String, String)] {
        guard !noAuth else { return [] }
        let (status, output) = try shell(baton, ["key", "create", "--name", "bench-\(UUID().uuidString.prefix(8).lowercased())", "--role", "admin", "--json"], home: home, stdoutOnly: true)
        guard status == 0, let key = (try? JSONValue(json: output))?["key"]?.stringValue else {
            throw BatonError(.runner, "`baton key create` failed: \(output.suffix(500))")
        }
        return [("Authorization", "Bearer " + key)]
    }

    func expectSuccess(_ executable: String, _ arguments: [String], home: String) throws {
        let (status, output) = try shell(executable, arguments, home: home)
        guard status == 0 else { throw BatonError(.runner, "`\(arguments.joined(separator: " "))` failed: \(output.suffix(500))") }
    }

    func shell(_ executable: String, _ arguments: [String], home: String? = nil, stdoutOnly: Bool = false, input: String? = nil) throws -> (Int32, String) {
        let process = Process()
        let stdin = Pipe()
        if input != nil { process.standardInput = stdin }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        if let home { environment["BATON_HOME"] = home }
        environment["NO_COLOR"] = "1"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = stdoutOnly ? FileHandle.nullDevice : pipe
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    func summary(_ values: [Double]) -> JSONValue {
        let sorted = values.sorted()
        func at(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))] * 1000 }
        return .object([
            "min": .double(round3(at(0))), "p50": .double(round3(at(0.5))), "p90": .double(round3(at(0.9))),
            "max": .double(round3(at(1))), "mean": .double(round3(sorted.reduce(0, +) / Double(sorted.count) * 1000)),
        ])
    }

    func round3(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    /// Runs a program with its output discarded and returns its exit status and peak resident memory:
    /// `wait4` reports the larger of the process's own and that of the children it reaped (for
    /// `baton run`, its runner).
    func spawnMeasured(_ executable: String, _ arguments: [String], home: String, capture: Bool = false) throws -> (Int32, Int64, String) {
        var environment = ProcessInfo.processInfo.environment
        environment["BATON_HOME"] = home
        let outputPath = scratch + "/output-\(UUID().uuidString)"
        defer { unlink(outputPath) }
        let pid = try Spawn.start(
            executable, arguments,
            descriptors: [.open(1, capture ? outputPath : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644), .open(2, "/dev/null", O_WRONLY)],
            environment: environment, ownProcessGroup: false)
        let (status, peakMemory) = Spawn.waitMeasured(pid)
        let output = capture ? (FileManager.default.contents(atPath: outputPath).map { String(decoding: $0, as: UTF8.self) } ?? "") : ""
        return (status.code, peakMemory, output)
    }
}
func warn(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
