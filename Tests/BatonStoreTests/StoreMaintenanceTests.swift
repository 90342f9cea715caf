import BatonCore
import BatonTestSupport
import Foundation
import Testing

@testable import BatonStore

/// Damage detection, backup, prune and privacy of the store, on real SQLite files.
@Suite struct StoreMaintenanceTests {
    /// A store with `count` runs of flow `etl`, copied by the backup API into a file of its own
    /// (no WAL beside it), and the copy's path.
    func storeWithRuns(_ file: StoreFile, count: Int, state: StateType = .completed) throws -> String {
        let store = try file.open()
        _ = try store.register(sampleRegistration("hash-1"))
        let runs = (0..<count).map { i in
            NewFlowRun(flow: "etl", version: 1, parameters: ["n": .int(Int64(i))], state: RunState(state), name: "run-\(i)")
        }
        try store.createFlowRuns(runs)
        let copy = file.folder + "/copy/baton.db"
        try FileManager.default.createDirectory(atPath: file.folder + "/copy", withIntermediateDirectories: true)
        _ = try StoreMaintenance.backup(path: file.path, to: copy, overwrite: false) { _, _ in true }
        return copy
    }

    /// Overwrites page `page` of the file at `path` with 4 KiB of bytes no page holds.
    func damage(_ path: String, page: Int64) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64(page - 1) * 4096)
        handle.write(Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }))
        try handle.close()
    }

    @Test func aDamagedPageStopsEveryLaterStatementAndIsNotedForOtherProcesses() throws {
        let file = try StoreFile()
        let path = try storeWithRuns(file, count: 3000)
        // The table's root page: every lookup of a run goes through it.
        let root = try #require(try SQLiteConnection(path: path).scalar("SELECT rootpage FROM sqlite_master WHERE name = 'flow_runs'"))
        try damage(path, page: root)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let store = try SQLiteStore(path: path)  // header and schema are intact
        let error = #expect(throws: BatonError.self) { try store.flowRuns(FlowRunQuery(limit: 10)) }
        #expect(error?.message.contains("is damaged") == true && error?.message.contains("`baton store check`") == true)
        #expect(error?.message.contains("\n") == false)
        // Refused without reaching SQLite: no write happens.
        let write = #expect(throws: BatonError.self) {
            try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:], name: "after-damage"))
        }
        #expect(write?.message == error?.message)
        #expect(FileManager.default.fileExists(atPath: SQLiteStore.damageNotePath(for: path)))
        let other = #expect(throws: BatonError.self) { try SQLiteStore(path: path) }
        #expect(other?.message.contains("`baton store check`") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)

        let report = try StoreMaintenance.check(path: path) { true }
        #expect(!report.ok)
        #expect(report.problems.contains { $0.contains("Page \(root)") }, "\(report.problems)")
    }

    @Test func aBrokenHeaderIsRefusedBeforeSQLiteReadsTheFile() throws {
        let file = try StoreFile()
        let path = try storeWithRuns(file, count: 10)
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 16)
        handle.write(Data([0x03, 0x00]))  // a page size of 768 bytes
        try handle.close()
        let error = #expect(throws: BatonError.self) { try SQLiteStore(path: path) }
        #expect(error?.message.contains("header is not valid: page size 768") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("`baton store check`") == true)
    }

    @Test func aStoreMissingATableIsRefused() throws {
        let file = try StoreFile()
        _ = try file.open()
        try SQLiteConnection(path: file.path).execute("DROP TABLE artifacts")
        let error = #expect(throws: BatonError.self) { try file.open() }
        #expect(error?.message.contains("its schema lacks artifacts") == true, "\(error?.message ?? "")")
    }

    @Test func aSoundStorePassesTheCheckWhichClearsAnOldNote() throws {
        let file = try StoreFile()
        let path = try storeWithRuns(file, count: 100)
        FileManager.default.createFile(atPath: SQLiteStore.damageNotePath(for: path), contents: Data("old\n".utf8))
        #expect(throws: BatonError.self) { try SQLiteStore(path: path) }
        let report = try StoreMaintenance.check(path: path) { true }
        #expect(report.ok, "\(report.problems)")
        #expect(!FileManager.default.fileExists(atPath: SQLiteStore.damageNotePath(for: path)))
        #expect(try SQLiteStore(path: path).flowRuns(FlowRunQuery(limit: 1000)).count == 100)
    }

    @Test func aCheckStoppedByItsCallerChangesNothing() throws {
        let file = try StoreFile()
        let path = try storeWithRuns(file, count: 2000)
        let error = #expect(throws: BatonError.self) { try StoreMaintenance.check(path: path) { false } }
        #expect(error?.message.contains("was stopped") == true)
        #expect(!FileManager.default.fileExists(atPath: SQLiteStore.damageNotePath(for: path)))
    }

    @Test func aBackupRefusesAnExistingFileUnlessForced() throws {
        let file = try StoreFile()
        _ = try file.open()
        let target = file.folder + "/backup.db"
        try Data("mine".utf8).write(to: URL(fileURLWithPath: target))
        let error = #expect(throws: BatonError.self) {
            try StoreMaintenance.backup(path: file.path, to: target, overwrite: false) { _, _ in true }
        }
        #expect(error?.message == "backup file '\(target)' exists; pass --force to overwrite it")
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data("mine".utf8))
        let report = try StoreMaintenance.backup(path: file.path, to: target, overwrite: true) { _, _ in true }
        #expect(report.pages > 0)
        #expect(try StoreMaintenance.check(path: target) { true }.ok)
        var info = stat()
        #expect(stat(target, &info) == 0 && info.st_mode & 0o777 == 0o600)
    }

    @Test func aBackupStoppedBetweenBatchesLeavesNoFile() throws {
        let file = try StoreFile()
        _ = try storeWithRuns(file, count: 20_000)  // more pages than one batch copies
        let stopped = file.folder + "/stopped.db"
        var calls = 0
        let error = #expect(throws: BatonError.self) {
            try StoreMaintenance.backup(path: file.path, to: stopped, overwrite: false) { _, _ in
                calls += 1
                return false
            }
        }
        #expect(calls == 1 && error?.message.contains("was stopped") == true)
        #expect(!FileManager.default.fileExists(atPath: stopped) && !FileManager.default.fileExists(atPath: stopped + ".partial"))
    }

    @Test func aNewStoreIsPrivateAndUsesIncrementalVacuum() throws {
        let file = try StoreFile()
        _ = try file.open()
        var info = stat()
        #expect(stat(file.path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(try SQLiteConnection(path: file.path).scalar("PRAGMA auto_vacuum") == 2)
    }

    @Test func pruneKeepsRunsThatAreNotFinalAndSubflowsOfLiveParents() throws {
        let file = try StoreFile()
        let store = try file.open()
        _ = try store.register(sampleRegistration("hash-1"))
        let old = Date().addingTimeInterval(-10 * 86_400)
        func run(_ name: String, _ state: StateType, parent: String? = nil) -> NewFlowRun {
            NewFlowRun(flow: "etl", version: 1, parameters: [:], state: RunState(state, at: old), parentFlowRunID: parent, name: name)
        }
        let done = run("done", .completed)
        let failed = run("failed", .failed)
        let running = run("running", .running)
        let liveParent = run("live-parent", .running)
        let finishedChild = run("finished-child", .completed, parent: liveParent.id)
        let doneParent = run("done-parent", .completed)
        let doneChild = run("done-child", .completed, parent: doneParent.id)
        try store.createFlowRuns([done, failed, running, liveParent, finishedChild, doneParent, doneChild])
        try FileManager.default.createDirectory(atPath: store.runsPath + "/" + done.id, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: store.runsPath + "/" + running.id, withIntermediateDirectories: true)
        func names() throws -> Set<String> { Set(try store.flowRuns(FlowRunQuery(limit: 100)).map(\.name)) }
        let all = try names()

        let dry = try store.prune(PruneOptions(endedBefore: Date().addingTimeInterval(-86_400), dryRun: true))
        #expect(dry.runs == 4 && dry.runDirectories == 1)
        #expect(try names() == all)
        #expect(FileManager.default.fileExists(atPath: store.runsPath + "/" + done.id))

        let recent = try store.prune(PruneOptions(endedBefore: Date().addingTimeInterval(-20 * 86_400)))
        #expect(recent.runs == 0)

        let keeping = try store.prune(PruneOptions(endedBefore: Date().addingTimeInterval(-86_400), keepFailed: true))
        #expect(keeping.runs == 3 && keeping.runDirectories == 1)
        #expect(try names() == ["failed", "running", "live-parent", "finished-child"])
        #expect(!FileManager.default.fileExists(atPath: store.runsPath + "/" + done.id))
        #expect(FileManager.default.fileExists(atPath: store.runsPath + "/" + running.id))

        _ = try store.prune(PruneOptions(endedBefore: Date()))
        #expect(try names() == ["running", "live-parent", "finished-child"])
    }
}
