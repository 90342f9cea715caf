import BatonCore
import BatonStore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A store whose disk fills up while a run goes on: the supervisor keeps the run's events in memory,
/// the runner finishes, and once space is freed the run ends final with everything written before
/// kept. The store lives on a small tmpfs, which needs root; elsewhere the suite is skipped.
@Suite(
    .timeLimit(.minutes(20)),
    .enabled(if: TmpfsMount.possible, "mounting a tmpfs needs root (CAP_SYS_ADMIN): the disk-full run is skipped here"))
struct DiskFullTests {
    @Test func aRunWhoseStoreFillsUpEndsFinalOnceSpaceIsFreedAndLosesNothingStored() async throws {
        let sandbox = try Sandbox()
        let disk = try TmpfsMount(at: sandbox.home, megabytes: 16)
        defer { withExtendedLifetime(sandbox) { disk.unmount() } }
        let registered = try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows"))
        try #require(registered.status == 0, "\(registered.stderr)")
        let before = try sandbox.baton("run", "hello")
        try #require(before.status == 0, "\(before.stdout)\(before.stderr)")

        // More lines than a supervisor keeps while it cannot write: the last ones are dropped, counted.
        let lines = 12_000
        let gate = sandbox.directory + "/gate"
        let run = try WatchedProcess(sandbox, ["run", "gated", "--param", "gate=\(gate)", "--param", "lines=\(lines)"])
        let waiting = await run.line(containing: "waiting for the gate")
        try #require(waiting != nil, "\(run.output)")
        let store = try SQLiteStore(home: BatonHome(path: sandbox.home))
        let stored = try store.flowRuns(FlowRunQuery(limit: 10))
        let gated = try #require(stored.first { $0.flow == "gated" })
        let logsBefore = try store.logs(flowRunID: gated.id, afterID: 0, limit: 100_000)
        let statesBefore = try store.states(flowRunID: gated.id)
        let runners = sandboxProcesses(sandbox, "runner")
        try #require(runners.count == 1, "\(runners)")

        let filler = try disk.fill()
        FileManager.default.createFile(atPath: gate, contents: nil)
        let notice = await run.line(containing: "wait in memory")
        #expect(notice != nil, "the supervisor never reported the full disk: \(run.output.suffix(2000))")
        #expect(notice?.contains("full") == true, "\(notice ?? "")")
        // The runner goes on and ends while nothing can be written; the run does not end before space is freed.
        #expect(waitForExit(runners[0], limit: 300), "the runner did not finish while the disk was full")
        #expect(try store.flowRun(gated.id).state.type == .running)
        try FileManager.default.removeItem(atPath: filler)

        let pid = run.process.processIdentifier
        let ended = waitForExit(pid, limit: 300)
        if !ended { kill(pid, SIGKILL) }
        let status = run.wait()
        #expect(ended, "baton run did not end once space was freed: \(run.output.suffix(2000))")

        let final = try store.flowRun(gated.id)
        #expect(final.state.type == .completed, "\(final.state) \(run.output.suffix(2000))")
        #expect(status == 0)
        let message = final.state.message ?? ""
        #expect(message.contains("the disk holding the store was full"), "\(message)")
        // Past the bound, lines were dropped and counted (with any other line of those moments);
        // those kept are in order, each once, from the first.
        let dropped = try #require(Int(message.components(separatedBy: " log line(s) were dropped")[0].split(separator: " ").last ?? ""), "\(message)")
        let printed = try store.logs(flowRunID: gated.id, afterID: 0, limit: 100_000).compactMap { log in
            log.message.components(separatedBy: "gate line ").dropFirst().first?.split(separator: " ").first.flatMap { Int($0) }
        }
        #expect(dropped > 0 && printed.count < lines && printed.count + dropped >= lines, "stored \(printed.count), dropped \(dropped)")
        #expect(printed.first == 0 && zip(printed, printed.dropFirst()).allSatisfy { $0 < $1 }, "\(printed.prefix(20))")

        // Nothing stored before the disk filled is lost, and the file is sound.
        let runs = try store.flowRuns(FlowRunQuery(limit: 10))
        #expect(runs.count == 2 && runs.allSatisfy { $0.state.type.isFinal }, "\(runs.map(\.state))")
        #expect(runs.first { $0.flow == "hello" }?.state.type == .completed)
        let logsAfter = try store.logs(flowRunID: gated.id, afterID: 0, limit: 100_000)
        #expect(logsBefore.allSatisfy { old in logsAfter.contains { $0.id == old.id && $0.message == old.message } })
        let statesAfter = try store.states(flowRunID: gated.id)
        #expect(statesBefore.allSatisfy { old in statesAfter.contains { $0.state == old.state && $0.taskRunID == old.taskRunID } })
        let check = try sandbox.baton("store", "check")
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }
}

/// A tmpfs mounted for one test, unmounted however the test ends.
final class TmpfsMount: @unchecked Sendable {
    // @unchecked: `mounted` is only changed by the test that owns the mount, on one thread at a time.
    let path: String
    private var mounted = true

    /// Whether this process may mount file systems (root, or CAP_SYS_ADMIN), tried once.
    static let possible: Bool = {
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("baton-mount-probe-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard let disk = try? TmpfsMount(at: probe, megabytes: 1) else { return false }
        disk.unmount()
        return true
    }()

    init(at path: String, megabytes: Int) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(megabytes)m,mode=0700") == 0 else {
            throw BatonError(.io, "cannot mount a tmpfs on \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { unmount() }

    /// Unmounts it, lazily when a process still has a file open there.
    func unmount() {
        guard mounted else { return }
        mounted = false
        if umount(path) != 0 { _ = umount2(path, Int32(MNT_DETACH)) }
    }

    /// Writes a file until the file system refuses more; returns its path.
    func fill() throws -> String {
        let filler = path + "/filler"
        let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BatonError(.io, "cannot create \(filler): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        for size in [1 << 20, 4096, 1] {
            let chunk = [UInt8](repeating: 0x2E, count: size)
            while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, size) }) == size {}
        }
        return filler
    }
}
