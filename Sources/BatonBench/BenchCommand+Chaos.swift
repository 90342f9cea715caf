import BatonCore
import BatonRunner
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `chaos ROUNDS [--seed N] [--library PATH]`: the fault suite. On a fresh BATON_HOME it starts a
/// server, two workers, a deployment every 3 s and a steady stream of `baton run` processes and
/// API-created runs (some mapping 1,000 tasks, some retried by their flow, some not); each round it
/// SIGKILLs a random one of a runner child, a worker, the server and a `baton run` at a random
/// moment, and restarts what it killed. Then it stops the stream, lets everything settle and audits
/// the store (see `ChaosVerdict`). Throws, after printing the report, when anything was lost, stuck
/// or duplicated, a killed run was not crashed and retried, or the integrity check failed.
extension Bench {
    func chaos(_ rounds: Int, arguments: [String]) throws -> [String: JSONValue] {
        let seed = try UInt64(optionValue("--seed", in: arguments, expected: "a whole number") ?? "\(UInt64.random(in: 1...999_999))") ?? 1
        let library = try optionValue("--library", in: arguments, expected: "the path of libFixtureFlows.so") ?? fixtureLibrary()
        let settleSeconds = try Double(optionValue("--settle", in: arguments, expected: "a number of seconds") ?? "300")!
        var random = SeededGenerator(seed: seed)
        let began = DispatchTime.now()
        let home = scratch + "/chaos-home"
        let markers = scratch + "/chaos-markers"
        let logs = scratch + "/chaos-logs"
        for folder in [markers, logs] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try expectSuccess(baton, ["register", library], home: home)
        try expectSuccess(
            baton,
            ["deployment", "create", "chaos-retrying", "--name", "chaos-tick", "--interval", "3"]
                + ["markers=\(markers)", "tag=deployment", "n=10", "sleepMs=400"].flatMap { ["--param", $0] }, home: home)

        let fleet = ChaosFleet(bench: self, home: home, markers: markers, logs: logs, port: try freePort())
        Interrupts.install()
        let interrupted = ChaosFlag()
        let token = Interrupts.add { _ in interrupted.set() }
        defer {
            Interrupts.remove(token)
            fleet.stopAll()
        }
        try fleet.startServer()
        try fleet.startWorker("chaos-w1")
        try fleet.startWorker("chaos-w2")
        let ready = Date().addingTimeInterval(120)
        while !fleet.serverAnswers() {
            guard Date() < ready, !interrupted.isSet else { throw BatonError(.runner, "the chaos server did not answer /api/health within 120 s") }
            fleet.reap()
            usleep(50_000)
        }
        progress("chaos: seed \(seed), \(rounds) round(s); store \(home), logs \(logs)")

        var stream = ChaosStream()
        var kills: [ChaosKill] = []
        for round in 1...rounds {
            let moment = Date().addingTimeInterval(Double.random(in: 1.5...4.5, using: &random))
            while Date() < moment {
                guard !interrupted.isSet else { throw BatonError(.runner, "interrupted: every process the chaos run started was stopped") }
                try tend(fleet, &stream, random: &random)
                usleep(50_000)
            }
            let kill = try killOne(fleet, random: &random, round: round)
            try tend(fleet, &stream, random: &random)
            kills.append(kill)
            progress("round \(round)/\(rounds): killed the \(kill.role.rawValue) (pid \(kill.pid))\(kill.runs.isEmpty ? "" : " running \(kill.runs.count) run(s)"); runs so far \(stream.tags.count + stream.apiIDs.count)")
        }

        progress("chaos: stopping the stream and letting everything settle (up to \(Int(settleSeconds)) s)…")
        let settleStart = Date().timeIntervalSince1970
        let ended = Date().addingTimeInterval(settleSeconds)
        while !fleet.alive(.batonRun).isEmpty && Date() < ended && !interrupted.isSet {
            try keepUp(fleet)
            usleep(100_000)
        }
        let audit = ChaosAudit(database: StoreSelection.databaseURL() ?? home + "/baton.db", markers: markers)
        var unchanged: (snapshot: String, since: Date)?
        while Date() < ended && !interrupted.isSet {
            try keepUp(fleet)
            // Runs made before the stream stopped, less those scheduled for a time still to come.
            let now = Date().timeIntervalSince1970
            let open = try audit.runs().values.filter {
                !$0.isFinal && $0.createdAt < settleStart && !($0.state == "scheduled" && ($0.scheduledTime ?? 0) > now)
            }
            if open.isEmpty { break }
            // Runs that nothing looks after and that have not moved for 45 s will not move again.
            let snapshot = open.map { "\($0.id):\($0.stateName):\($0.attempt)" }.sorted().joined(separator: ",")
            if open.contains(where: \.isHeld) || unchanged?.snapshot != snapshot {
                unchanged = (snapshot, Date())
            } else if let since = unchanged?.since, Date().timeIntervalSince(since) > 45 {
                break
            }
            usleep(500_000)
        }
        guard !interrupted.isSet else { throw BatonError(.runner, "interrupted: every process the chaos run started was stopped") }
        for (tag, status, output) in fleet.finishedRuns {
            stream.exits[tag] = status
            if let id = output.split(separator: "\n").compactMap({ (try? JSONValue(json: String($0)))?["id"]?.stringValue }).last {
                stream.runIDs[tag] = id
            }
        }
        let verdict = try ChaosVerdict(audit: audit, stream: stream, kills: kills, settleStart: settleStart)
        fleet.stopAll()
        let integrity = try audit.integrity()
        var report = verdict.report
        report["workload"] = .string("chaos")
        report["n"] = .int(Int64(rounds))
        report["seed"] = .int(Int64(seed))
        report["seconds"] = .double(round3(seconds(since: began)))
        report["integrity_check"] = .string(integrity ?? "not run on PostgreSQL (pg_amcheck is its check)")
        var problems = verdict.problems
        if let integrity, integrity != "ok" { problems.append("PRAGMA integrity_check: \(integrity)") }
        report["violations"] = .array(problems.map { .string($0) })
        guard problems.isEmpty else {
            printReport(report, json: arguments.contains("--json"))
            throw BatonError(.runner, "chaos found \(problems.count) violation(s) (seed \(seed)):\n  " + problems.joined(separator: "\n  "))
        }
        return report
    }

    /// Restarts a server or worker that ended by itself, and keeps the stream going.
    private func tend(_ fleet: ChaosFleet, _ stream: inout ChaosStream, random: inout SeededGenerator) throws {
        try keepUp(fleet)
        // Two `baton run` at a time: retried and not, now and then one mapping 1,000 tasks.
        while fleet.alive(.batonRun).count < 2 {
            let (flow, n, sleepMs) = pick(&random)
            stream.tags.append(try fleet.startRun(flow: flow, n: n, sleepMs: sleepMs))
        }
        // A run through the API about every second (none while the server is down: those are refused).
        if Date() >= stream.nextAPIRun {
            stream.nextAPIRun = Date().addingTimeInterval(Double.random(in: 0.5...1.5, using: &random))
            let (flow, n, sleepMs) = pick(&random)
            if let created = fleet.createThroughAPI(flow: flow, n: n, sleepMs: sleepMs) {
                stream.apiIDs[created.tag] = created.id
            } else {
                stream.apiRefused += 1
            }
        }
    }

    /// Starts again a server or worker that ended without being killed here (it crashed by itself).
    private func keepUp(_ fleet: ChaosFleet) throws {
        for member in fleet.reap() where member.role != .batonRun {
            progress("chaos: the \(member.role.rawValue) '\(member.name)' (pid \(member.pid)) ended by itself; see \(member.log)")
            try restart(member, fleet)
        }
    }

    private func restart(_ member: ChaosFleet.Member, _ fleet: ChaosFleet) throws {
        switch member.role {
        case .server: try fleet.startServer()
        case .worker: try fleet.startWorker(member.name)
        case .runner, .batonRun: break
        }
    }

    private func pick(_ random: inout SeededGenerator) -> (String, Int, Int) {
        switch Int.random(in: 0..<6, using: &random) {
        case 0: ("chaos-retrying", 1000, 0)
        case 1, 2: ("chaos-once", 10, Int.random(in: 300...1500, using: &random))
        default: ("chaos-retrying", 10, Int.random(in: 300...1500, using: &random))
        }
    }

    /// SIGKILLs one process of a random role (another role when none of it is alive), notes the runs
    /// it was executing (attempts with a start marker and no end), and restarts it.
    private func killOne(_ fleet: ChaosFleet, random: inout SeededGenerator, round: Int) throws -> ChaosKill {
        let processes = fleet.storeProcesses()
        for role in ChaosFleet.Role.allCases.shuffled(using: &random) {
            let candidates: [pid_t] = role == .runner
                ? processes.filter { $0.role == .runner }.map(\.pid).sorted()
                : fleet.alive(role).map(\.pid).sorted()
            guard let pid = candidates.randomElement(using: &random) else { continue }
            let member = fleet.members[pid]
            let killedAt = Date().timeIntervalSince1970
            if member != nil { fleet.kill(pid) } else { _ = Glibc.kill(pid, SIGKILL) }
            // A supervisor's runners are left to end by themselves, as they would be after a real crash.
            let audit = ChaosAudit(database: "", markers: fleet.markers)
            var runs: [String: Int] = [:]
            for attempt in audit.attempts() where !attempt.ended && (attempt.pid == pid || attempt.ppid == pid) {
                runs[attempt.run] = max(runs[attempt.run] ?? 0, attempt.attempt)
            }
            if let member {
                fleet.waitFor(pid)
                try restart(member, fleet)
            }
            return ChaosKill(round: round, role: role, pid: pid, at: killedAt, runs: runs)
        }
        throw BatonError(.runner, "round \(round): no process of the chaos run is alive to kill")
    }

    func printReport(_ report: [String: JSONValue], json: Bool) {
        if json {
            print(JSONValue.object(report).jsonText)
        } else {
            for key in report.keys.sorted() { print("\(key.padding(toLength: 28, withPad: " ", startingAt: 0)) \(report[key]!.jsonText)") }
        }
    }

    private func optionValue(_ name: String, in arguments: [String], expected: String) throws -> String? {
        guard let index = arguments.firstIndex(of: name) else { return nil }
        guard index + 1 < arguments.count, !arguments[index + 1].hasPrefix("--") else {
            throw BatonError(.invalidInput, "\(name) needs a value: expected \(expected)")
        }
        let value = arguments[index + 1]
        if name == "--seed", UInt64(value) == nil { throw BatonError(.invalidInput, "--seed '\(value)' is not valid: expected \(expected)") }
        if name == "--settle", (Double(value) ?? -1) <= 0 { throw BatonError(.invalidInput, "--settle '\(value)' is not valid: expected \(expected)") }
        return value
    }
}

/// What the stream created: tags of `baton run` processes and API runs, and what each came to.
struct ChaosStream {
    var tags: [String] = []
    var apiIDs: [String: String] = [:]
    var apiRefused = 0
    var nextAPIRun = Date()
    /// Exit status and run id of each `baton run` that ended by itself.
    var exits: [String: Int32] = [:]
    var runIDs: [String: String] = [:]
}

/// One round's kill.
struct ChaosKill {
    var round: Int
    var role: ChaosFleet.Role
    var pid: pid_t
    var at: Double
    /// The runs it was executing, by their marker files, with the attempt each was in.
    var runs: [String: Int]
}

/// Set once from a signal handler, read by the loop.
final class ChaosFlag: @unchecked Sendable {
    // @unchecked: `value` is guarded by `lock`.
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
