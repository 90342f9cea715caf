import BatonCore
import Foundation
import Testing

@testable import BatonStore

#if canImport(Glibc)
import Glibc
#endif

/// `baton store check|backup|prune`, a damaged store, the privacy of BATON_HOME and the working
/// directories of runs, through the `baton` executable on real stores.
@Suite(.timeLimit(.minutes(20)))
struct StoreCommandTests {
    func registered() async throws -> Sandbox {
        let sandbox = try Sandbox()
        let result = try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows"))
        try #require(result.status == 0, "\(result.stderr)")
        return sandbox
    }

    func mode(_ path: String) -> mode_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o777 : nil
    }

    @Test func aDamagedStoreIsRefusedByEveryCommandAndLeftUnchanged() async throws {
        let source = try await registered()
        for n in [400, 400, 400] { #expect(try source.baton("run", "mapping", "--param", "n=\(n)").status == 0) }
        #expect(try source.baton("run", "hello").status == 0)
        let damaged = try Sandbox()
        try FileManager.default.createDirectory(atPath: damaged.home, withIntermediateDirectories: true)
        let path = damaged.home + "/baton.db"
        let backup = try source.baton("store", "backup", path)
        try #require(backup.status == 0, "\(backup.stderr)")

        // 4 KiB in the middle of the file: the page of the task runs table nearest the middle.
        let page: Int64 = try {
            let connection = try SQLiteConnection(path: path)
            let count = try connection.scalar("PRAGMA page_count") ?? 2
            let table = try? connection.scalar(
                "SELECT pageno FROM dbstat WHERE name = 'task_runs' ORDER BY abs(pageno - ?) LIMIT 1", [.int(count / 2)])
            return (table ?? nil) ?? count / 2
        }()
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64(page - 1) * 4096)
        handle.write(Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }))
        try handle.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let check = try damaged.baton("store", "check")
        #expect(check.status == 1, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("is damaged") && check.stdout.contains("Page \(page)"), "\(check.stdout)")
        for command in [["run", "ls"], ["flow", "ls"], ["run", "hello"]] {
            let result = try damaged.batonArguments(command)
            #expect(result.status != 0, "\(command): \(result.stdout)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains("is damaged") && lines[0].contains("`baton store check`"), "\(command): \(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        let again = try damaged.baton("store", "check", "--json")
        #expect(again.status == 1)
        #expect(again.json["problems"]?.arrayValue?.isEmpty == false, "\(again.stdout)")
    }

    @Test func aBackupTakenWhileARunWritesRestoresToASoundStoreWithTheRuns() async throws {
        let sandbox = try await registered()
        #expect(try sandbox.baton("run", "hello").status == 0)
        let writing = try WatchedProcess(sandbox, ["run", "mapping", "--param", "n=30000"])
        _ = await writing.line(containing: "square-0")
        let file = sandbox.directory + "/backup.db"
        let backup = try sandbox.baton("store", "backup", file)
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(backup.stdout.contains("Backed up"))
        #expect(mode(file) == 0o600)
        #expect(writing.wait() == 0, "\(writing.output)")
        let refused = try sandbox.baton("store", "backup", file)
        #expect(refused.status != 0 && refused.stderr.contains("exists; pass --force"))

        let restored = try Sandbox()
        try FileManager.default.createDirectory(atPath: restored.home, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: file, toPath: restored.home + "/baton.db")
        let check = try restored.baton("store", "check")
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let flows = Set(try restored.runs().compactMap { $0["flow"]?.stringValue })
        #expect(flows == ["hello", "mapping"])
    }

    @Test func theHomeAndTheStoreArePrivateAlsoWhenMadeLooseBefore() async throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.baton("run", "ls").status == 0)
        #expect(mode(sandbox.home) == 0o700)
        #expect(mode(sandbox.home + "/baton.db") == 0o600)
        for file in ["baton.db-wal", "baton.db-shm"] where FileManager.default.fileExists(atPath: sandbox.home + "/" + file) {
            #expect(mode(sandbox.home + "/" + file) == 0o600, "\(file)")
        }
        for folder in ["libraries", "results", "runs", "staging", "locks"] {
            #expect(mode(sandbox.home + "/" + folder) == 0o700, "\(folder)")
        }
        chmod(sandbox.home, 0o755)
        chmod(sandbox.home + "/baton.db", 0o644)
        chmod(sandbox.home + "/libraries", 0o755)
        #expect(try sandbox.baton("flow", "ls").status == 0)
        #expect(mode(sandbox.home) == 0o700)
        #expect(mode(sandbox.home + "/baton.db") == 0o600)
        #expect(mode(sandbox.home + "/libraries") == 0o700)
    }

    @Test func aWorkerRunsEachRunInItsOwnFolderWhichPruneRemoves() async throws {
        let sandbox = try await registered()
        let shared = sandbox.directory + "/shared-work"
        #expect(try sandbox.baton("deployment", "create", "hooks", "--name", "own", "--param", "log=relative.log").status == 0)
        #expect(
            try sandbox.baton(
                "deployment", "create", "hooks", "--name", "shared", "--param", "log=relative.log", "--working-directory", shared
            ).status == 0)
        let worker = try WatchedProcess(sandbox, ["worker", "start", "--name", "cwd"])
        _ = await worker.line(containing: "started")
        let own = try sandbox.baton("deployment", "run", "own", "--json").json["id"]?.stringValue ?? ""
        let inShared = try sandbox.baton("deployment", "run", "shared", "--json").json["id"]?.stringValue ?? ""
        let done = try WorkerTests().waitUntil(sandbox) { store in
            try [own, inShared].allSatisfy { try store.flowRun($0).state.type == .completed }
        }
        #expect(done, "\(worker.output)")
        kill(worker.process.processIdentifier, SIGTERM)
        #expect(worker.wait() == 0)

        let folder = sandbox.home + "/runs/" + own
        #expect(FileManager.default.fileExists(atPath: folder + "/relative.log"), "\(worker.output)")
        #expect(mode(folder) == 0o700)
        #expect(FileManager.default.fileExists(atPath: shared + "/relative.log"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.directory + "/relative.log"))
        // `baton run` from a terminal keeps the caller's directory.
        #expect(try sandbox.baton("run", "hooks", "--param", "log=here.log").status == 0)
        #expect(FileManager.default.fileExists(atPath: sandbox.directory + "/here.log"))

        let dry = try sandbox.baton("store", "prune", "--older-than", "0", "--dry-run", "--json")
        #expect(dry.status == 0 && dry.json["runs"]?.intValue == 3 && dry.json["runDirectories"]?.intValue == 1, "\(dry.stdout)")
        #expect(FileManager.default.fileExists(atPath: folder))
        let pruned = try sandbox.baton("store", "prune", "--older-than", "0", "--json")
        #expect(pruned.status == 0 && pruned.json["runs"]?.intValue == 3, "\(pruned.stdout)\(pruned.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder))
        #expect(FileManager.default.fileExists(atPath: shared + "/relative.log"), "a deployment's own folder is the operator's")
        #expect(try sandbox.runs().isEmpty)
    }

    @Test func pruneRemovesOldRunsWithTheirResultFilesAndTheFileShrinks() async throws {
        let sandbox = try await registered()
        let inFiles = ["BATON_RESULT_FILE_THRESHOLD": "0"]
        #expect(try sandbox.baton("run", "hello", environment: inFiles).status == 0)
        #expect(try sandbox.baton("run", "hooks", "--param", "log=hooks.log", "--param", "fail=true").status != 0)
        #expect(try sandbox.baton("run", "mapping", "--param", "n=4000").status == 0)
        let results = sandbox.home + "/results"
        let files = try FileManager.default.contentsOfDirectory(atPath: results)
        #expect(!files.isEmpty)

        let missing = try sandbox.baton("store", "prune")
        #expect(missing.status != 0 && missing.stderr.contains("--older-than is required"))
        let bad = try sandbox.baton("store", "prune", "--older-than", "soon")
        #expect(bad.status != 0 && bad.stderr.contains("--older-than 'soon' is not valid"))
        let future = try sandbox.baton("store", "prune", "--older-than", "30", "--json")
        #expect(future.json["runs"]?.intValue == 0)

        let dry = try sandbox.baton("store", "prune", "--older-than", "0", "--keep-failed", "--dry-run")
        #expect(dry.status == 0 && dry.stdout.contains("Would remove 2 run(s)"), "\(dry.stdout)")
        #expect(try sandbox.runs().count == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: results).count == files.count)

        let pruned = try sandbox.baton("store", "prune", "--older-than", "0", "--keep-failed", "--json")
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(pruned.json["runs"]?.intValue == 2 && pruned.json["resultFiles"]?.intValue == Int64(files.count), "\(pruned.stdout)")
        let before = pruned.json["bytesBefore"]?.intValue ?? 0
        let after = pruned.json["bytesAfter"]?.intValue ?? 0
        #expect(after < before, "\(pruned.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: results).isEmpty)
        #expect(try sandbox.runs().compactMap { $0["flow"]?.stringValue } == ["hooks"])
        #expect(try sandbox.baton("store", "check").status == 0)
    }

    @Test func aServerWithRetentionPrunesOldRunsAtStart() async throws {
        let sandbox = try await registered()
        let store = try SQLiteStore(home: BatonHome(path: sandbox.home))
        let old = Date().addingTimeInterval(-3 * 86_400)
        let stale = try store.createFlowRun(NewFlowRun(flow: "hello", version: 1, parameters: [:], state: RunState(.completed, at: old)))
        // Not final, and out of reach of anything that ends runs: no pool, no supervisor.
        let waiting = try store.createFlowRun(NewFlowRun(flow: "hello", version: 1, parameters: [:], state: RunState(.scheduled, at: old)))
        let bad = try sandbox.baton("server", "start", "--retention-days", "0")
        #expect(bad.status != 0 && bad.stderr.contains("--retention-days '0' is not valid"))
        let server = try WatchedProcess(sandbox, ["server", "start", "--port", "0", "--no-worker", "--retention-days", "2"])
        let line = await server.line(containing: "retention:")
        kill(server.process.processIdentifier, SIGTERM)
        _ = server.wait()
        #expect(line?.contains("removed 1 run(s)") == true, "\(server.output)")
        #expect(throws: BatonError.self) { try store.flowRun(stale.id) }
        #expect(try !store.flowRun(waiting.id).state.type.isFinal)
    }
}
