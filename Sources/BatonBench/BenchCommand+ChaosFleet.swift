import BatonCore
import BatonHTTP
import BatonRunner
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The processes of `baton-bench chaos` on one store: a server, two workers and the `baton run`
/// processes of the stream. Each is started in a process group of its own, so that a Ctrl-C at the
/// terminal reaches only the bench, which then stops them itself.
final class ChaosFleet {
    enum Role: String, CaseIterable {
        case runner, worker, server, batonRun = "baton run"
    }

    struct Member {
        var role: Role
        var pid: pid_t
        var name: String
        var log: String
        var tag: String?
        var killed = false
    }

    let bench: Bench
    let home: String
    let markers: String
    let logs: String
    private(set) var port: Int
    private(set) var members: [pid_t: Member] = [:]
    /// `baton run` processes that ended by themselves: tag, exit status and what they printed.
    private(set) var finishedRuns: [(tag: String, status: Int32, output: String)] = []
    private var sequence = 0

    /// The admin key the fleet's requests carry (made on its store before the first server starts).
    var credentials: [(String, String)] = []

    init(bench: Bench, home: String, markers: String, logs: String, port: Int) {
        self.bench = bench
        self.home = home
        self.markers = markers
        self.logs = logs
        self.port = port
    }

    var environment: [String: String] {
        ProcessInfo.processInfo.environment.merging(["BATON_HOME": home, "NO_COLOR": "1"]) { $1 }
    }

    func alive(_ role: Role) -> [Member] { members.values.filter { $0.role == role && !$0.killed } }

    // MARK: Starting

    func startServer() throws {
        if credentials.isEmpty && !bench.noAuth { credentials = try bench.credentials(home: home) }
        _ = try spawn(.server, name: "server", ["server", "start", "--port", String(port)] + (bench.noAuth ? ["--no-auth"] : []))
    }

    func startWorker(_ name: String) throws {
        _ = try spawn(.worker, name: name, ["worker", "start", "--name", name])
    }

    /// A `baton run` of one of the chaos flows, named by a new tag.
    func startRun(flow: String, n: Int, sleepMs: Int) throws -> String {
        sequence += 1
        let tag = "run-\(sequence)"
        let arguments = ["run", flow, "--json"] + parameters(tag: tag, n: n, sleepMs: sleepMs).flatMap { ["--param", $0] }
        _ = try spawn(.batonRun, name: tag, arguments, tag: tag)
        return tag
    }

    func parameters(tag: String, n: Int, sleepMs: Int) -> [String] {
        ["markers=\(markers)", "tag=\(tag)", "n=\(n)", "sleepMs=\(sleepMs)"]
    }

    /// A run created through POST /api/flow-runs; returns its tag and id, or nil when the server did
    /// not answer 201 (it may be down: that run was never created).
    func createThroughAPI(flow: String, n: Int, sleepMs: Int) -> (tag: String, id: String)? {
        sequence += 1
        let tag = "api-\(sequence)"
        let body = #"{"flow":"\#(flow)","parameters":{"markers":"\#(markers)","tag":"\#(tag)","n":\#(n),"sleepMs":\#(sleepMs)}}"#
        // A client of its own per request: a kept-alive connection would send the request again
        // when the server died after reading it.
        guard let client = try? HTTPClient(baseURL: "http://127.0.0.1:\(port)"),
            let response = try? client.request(
                "POST", "/api/flow-runs", headers: [("Content-Type", "application/json")] + credentials, body: Array(body.utf8)),
            response.status == 201, let id = (try? JSONValue(json: response.text))?["id"]?.stringValue
        else { return nil }
        return (tag, id)
    }

    func serverAnswers() -> Bool {
        guard let client = try? HTTPClient(baseURL: "http://127.0.0.1:\(port)"), let response = try? client.request("GET", "/api/health") else {
            return false
        }
        return response.status == 200
    }

    private func spawn(_ role: Role, name: String, _ arguments: [String], tag: String? = nil) throws -> pid_t {
        let log = logs + "/\(name)-\(members.count + finishedRuns.count).log"
        let pid = try Spawn.start(
            bench.baton, arguments,
            descriptors: [.open(0, "/dev/null", O_RDONLY), .open(1, log, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600), .duplicate(1, to: 2)],
            environment: environment)
        members[pid] = Member(role: role, pid: pid, name: name, log: log, tag: tag)
        return pid
    }

    // MARK: Ending

    /// Collects the processes that ended; returns those that ended without being killed here.
    @discardableResult
    func reap() -> [Member] {
        var ended: [Member] = []
        for member in members.values {
            guard let code = Spawn.poll(member.pid)?.code else { continue }
            members[member.pid] = nil
            if member.role == .batonRun, !member.killed, let tag = member.tag {
                let output = (try? String(contentsOfFile: member.log, encoding: .utf8)) ?? ""
                finishedRuns.append((tag, code, output))
            }
            if !member.killed { ended.append(member) }
        }
        return ended
    }

    /// SIGKILLs a process; a member is then waited for, so that it can be restarted.
    func kill(_ pid: pid_t) {
        members[pid]?.killed = true
        _ = Glibc.kill(pid, SIGKILL)
    }

    /// Waits (up to `seconds`) for a member to end.
    func waitFor(_ pid: pid_t, seconds: Double = 30) {
        let deadline = Date().addingTimeInterval(seconds)
        while members[pid] != nil && Date() < deadline {
            reap()
            usleep(20_000)
        }
    }

    /// Stops everything started here: `baton run` processes and stray runners at once, the server
    /// and the workers with SIGTERM (SIGKILL after `grace` seconds).
    func stopAll(grace: Double = 20) {
        for member in members.values where member.role == .batonRun { kill(member.pid) }
        for process in storeProcesses() where process.role == .runner { _ = Glibc.kill(process.pid, SIGKILL) }
        for member in members.values where member.role != .batonRun { _ = Glibc.kill(member.pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        while !members.isEmpty && Date() < deadline {
            reap()
            usleep(50_000)
        }
        for member in members.values { kill(member.pid) }
        while !members.isEmpty {
            reap()
            usleep(20_000)
        }
        for process in storeProcesses() { _ = Glibc.kill(process.pid, SIGKILL) }
    }

    // MARK: Finding processes

    /// Every process on this store (found by its BATON_HOME in /proc), with the role its command
    /// line gives it: runner children are found here, as their supervisors start them.
    func storeProcesses() -> [(pid: pid_t, role: Role, parent: pid_t)] {
        let needle = Array("BATON_HOME=\(home)\0".utf8)
        var found: [(pid_t, Role, pid_t)] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), pid != getpid(),
                let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
                environ.range(of: Data(needle)) != nil,
                let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
            else { continue }
            let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard arguments.count >= 2 else { continue }
            let role: Role
            switch (arguments[1], arguments.count > 2 ? arguments[2] : "") {
            case ("runner", "run"): role = .runner
            case ("worker", "start"): role = .worker
            case ("server", "start"): role = .server
            case ("run", _): role = .batonRun
            default: continue
            }
            found.append((pid, role, parentOf(pid)))
        }
        return found
    }

    private func parentOf(_ pid: pid_t) -> pid_t { ChaosProcess.statField(pid, 4).flatMap { pid_t($0) } ?? 0 }
}

/// A seeded random number generator (SplitMix64), so that a chaos run can be repeated.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
