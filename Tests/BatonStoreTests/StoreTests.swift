import BatonCore
import BatonTestSupport
import Foundation
import Testing

@testable import BatonStore

@Suite struct StoreSchemaTests {
    @Test func anEmptyFileIsMigratedToTheCurrentSchema() throws {
        let file = try StoreFile()
        _ = try file.open()
        let check = try SQLiteConnection(path: file.path)
        #expect(try check.scalar("PRAGMA user_version") == Int64(Schema.migrations.count))
        #expect(try check.scalar("PRAGMA application_id") == Schema.applicationID)
        #expect(try check.query("PRAGMA journal_mode") { $0.text(0) } == ["wal"])
        _ = try file.open()  // opening again migrates nothing and fails nothing
    }

    @Test func aFileThatIsNotSQLiteIsRefusedUntouched() throws {
        let file = try StoreFile()
        let bytes = Data(repeating: 0x5A, count: 8192)
        try bytes.write(to: URL(fileURLWithPath: file.path))
        let error = #expect(throws: BatonError.self) { try file.open() }
        #expect(error?.code == .store)
        #expect(error?.message.contains("is not a Baton database") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: file.path)) == bytes)
    }

    @Test func anotherApplicationsDatabaseIsRefusedUntouched() throws {
        let file = try StoreFile()
        do {
            let other = try SQLiteConnection(path: file.path)
            try other.execute("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: file.path))
        let error = #expect(throws: BatonError.self) { try file.open() }
        #expect(error?.message.contains("1 tables of something else") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: file.path)) == before)
    }

    @Test func aStoreFromANewerBatonIsRefused() throws {
        let file = try StoreFile()
        _ = try file.open()
        try SQLiteConnection(path: file.path).execute("PRAGMA user_version = 99")
        let error = #expect(throws: BatonError.self) { try file.open() }
        #expect(error?.message.contains("written by a newer baton (schema 99") == true)
    }
}

@Suite struct VersionNumberingTests {
    @Test func newBytesGetTheNextNumberAndIdenticalBytesTheirOldOne() throws {
        let file = try StoreFile()
        let store = try file.open()
        #expect(try store.register(sampleRegistration("aaa")).map(\.version) == [1])
        #expect(try store.register(sampleRegistration("bbb", label: "b")).map(\.version) == [2])
        let again = try store.register(sampleRegistration("aaa"))
        #expect(again.map(\.version) == [1])
        #expect(again.map(\.created) == [false])
        let versions = try store.versions(of: "etl")
        #expect(versions.map(\.number) == [1, 2])
        #expect(versions[1].label == "b")
        #expect(try store.version(of: "etl", number: nil).number == 2)
        #expect(try store.flows().map(\.latestVersion) == [2])
    }

    @Test func aLibraryWithSeveralFlowsVersionsEachFlow() throws {
        let store = try StoreFile().open()
        _ = try store.register(sampleRegistration("one", flows: ["a"]))
        let both = try store.register(sampleRegistration("two", flows: ["a", "b"]))
        #expect(both.map { "\($0.flow)=\($0.version)" } == ["a=2", "b=1"])
    }

    @Test func unknownFlowsAndVersionsNameWhatExists() throws {
        let store = try StoreFile().open()
        #expect(throws: BatonError.self) { try store.versions(of: "etl") }
        _ = try store.register(sampleRegistration("aaa"))
        _ = try store.register(sampleRegistration("bbb"))
        _ = try store.register(sampleRegistration("ccc"))
        let error = #expect(throws: BatonError.self) { try store.version(of: "etl", number: 7) }
        #expect(error?.message == "flow 'etl' has no version 7; its versions are 1–3")
        let unknown = #expect(throws: BatonError.self) { try store.version(of: "elt", number: nil) }
        #expect(unknown?.message == "unknown flow 'elt'; registered flows: etl")
    }

    @Test func racingRegistrationsFromSeparateConnectionsGetConsecutiveNumbers() async throws {
        let file = try StoreFile()
        _ = try file.open()
        let count = 12
        let path = file.path
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<count {
                group.addTask {
                    // Each its own connection, as separate processes would have.
                    try SQLiteStore(path: path).register(sampleRegistration("hash\(index)"))[0].version
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.sorted() == Array(1...count))
        #expect(try file.open().versions(of: "etl").map(\.number) == Array(1...count))
    }
}

@Suite struct FlowRunStoreTests {
    func storeWithVersion() throws -> (StoreFile, SQLiteStore) {
        let file = try StoreFile()
        let store = try file.open()
        _ = try store.register(sampleRegistration("aaa"))
        return (file, store)
    }

    @Test func eventsBuildTheRunsStateHistoryTaskRunsAndLogs() throws {
        let (_, store) = try storeWithVersion()
        let run = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: ["n": .int(2)]))
        #expect(run.state.type == .pending)
        let t = Date()
        func task(_ state: RunState, attempt: Int, result: String? = nil) -> RunEvent {
            .taskRunState(TaskRunStateChange(taskRunID: "t1", flowRunID: run.id, state: state, attempt: attempt, result: result))
        }
        try store.apply([
            .flowRunState(FlowRunStateChange(flowRunID: run.id, state: RunState(.running, at: t))),
            .taskRunCreated(TaskRunStart(
                id: "t1", flowRunID: run.id, flowRunAttempt: 1, position: 1, name: "extract-0", taskName: "extract",
                input: "[1]", createdAt: t)),
            task(RunState(.running, at: t), attempt: 1),
            task(RunState(.scheduled, name: "AwaitingRetry", message: "boom", at: t), attempt: 1),
            task(RunState(.running, name: "Retrying", at: t), attempt: 2),
            task(RunState(.completed, at: t), attempt: 2, result: "3"),
            .log(LogRecord(flowRunID: run.id, taskRunID: "t1", taskRunName: "extract-0", timestamp: t, level: .warning, message: "careful")),
            .flowRunState(FlowRunStateChange(flowRunID: run.id, state: RunState(.completed, at: t.addingTimeInterval(1)), result: #"{"ok":true}"#)),
        ])
        let stored = try store.flowRun(run.id)
        #expect(stored.state.type == .completed)
        #expect(stored.result == .object(["ok": .bool(true)]))
        #expect(stored.duration() == 1)
        let tasks = try store.taskRuns(flowRunID: run.id)
        #expect(tasks.map(\.attempts) == [2])
        #expect(tasks.first?.result == .int(3))
        #expect(tasks.first?.input == .array([.int(1)]))
        let history = try store.states(flowRunID: run.id)
        #expect(history.filter { $0.taskRunID == nil }.map(\.state.name) == ["Pending", "Running", "Completed"])
        #expect(history.filter { $0.taskRunID == "t1" }.map(\.state.name) == ["Pending", "Running", "AwaitingRetry", "Retrying", "Completed"])
        #expect(try store.logs(flowRunID: run.id, afterID: 0, limit: 10).map(\.message) == ["careful"])
        #expect(try store.countTaskRuns(flowRunID: nil) == 1)
    }

    @Test func theWALIsCopiedIntoTheDatabaseByTheCheckpointThread() throws {
        let (file, store) = try storeWithVersion()
        let run = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:]))
        let attributes = { try FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int ?? 0 }
        let before = try attributes(file.path)
        // About 6 MB of task runs in commits of 500: well past the 1,000-page threshold several times.
        let now = Date()
        for batch in 0..<20 {
            var events: [RunEvent] = []
            for i in 0..<500 {
                let id = "t-\(batch)-\(i)"
                events.append(.taskRunCreated(TaskRunStart(
                    id: id, flowRunID: run.id, flowRunAttempt: 1, position: batch * 500 + i + 1, name: "work-\(i)",
                    taskName: "work", input: String(repeating: "x", count: 400), createdAt: now)))
                events.append(.taskRunState(TaskRunStateChange(taskRunID: id, flowRunID: run.id, state: RunState(.completed, at: now), attempt: 1, result: "1")))
            }
            try store.apply(events)
        }
        #expect(store.waitForCheckpoints() > 0)
        // The task runs reached the database file itself, not only the WAL.
        #expect(try attributes(file.path) > before + 2_000_000)
        #expect(try store.countTaskRuns(flowRunID: run.id) == 10_000)
    }

    @Test func aCrashedRunEndsItsUnfinishedTaskRunsAndAFinalRunStaysFinal() throws {
        let (_, store) = try storeWithVersion()
        let run = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:]))
        try store.apply([
            .flowRunState(FlowRunStateChange(flowRunID: run.id, state: RunState(.running))),
            .taskRunCreated(TaskRunStart(
                id: "t1", flowRunID: run.id, flowRunAttempt: 1, position: 1, name: "load-0", taskName: "load", createdAt: Date())),
        ])
        try store.apply([
            .taskRunState(TaskRunStateChange(taskRunID: "t1", flowRunID: run.id, state: RunState(.running), attempt: 1)),
        ])
        try store.markCrashed(flowRunID: run.id, message: "the runner was killed by signal 9")
        #expect(try store.flowRun(run.id).state.type == .crashed)
        #expect(try store.taskRuns(flowRunID: run.id).map(\.state.type) == [.crashed])
        try store.markCrashed(flowRunID: run.id, message: "again")
        #expect(try store.flowRun(run.id).state.message == "the runner was killed by signal 9")
    }

    @Test func runsAreFoundByIdPrefixOrNameAndFiltered() throws {
        let (_, store) = try storeWithVersion()
        let a = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:], id: "abcd1111-0000", name: "brave-otter"))
        _ = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:], id: "abcd2222-0000", name: "calm-fox"))
        #expect(try store.flowRun("abcd1111").id == a.id)
        #expect(try store.flowRun("brave-otter").id == a.id)
        let ambiguous = #expect(throws: BatonError.self) { try store.flowRun("abcd") }
        #expect(ambiguous?.message.contains("is ambiguous") == true)
        #expect(throws: BatonError.self) { try store.flowRun("ffff") }
        #expect(try store.flowRuns(FlowRunQuery(flow: "etl")).count == 2)
        #expect(try store.flowRuns(FlowRunQuery(state: .completed)).isEmpty)
        #expect(try store.flowRuns(FlowRunQuery(limit: 1)).count == 1)
    }
}
