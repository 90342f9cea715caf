import BatonCore
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// What every backend does with flow runs: look-ups, guarded updates, finishing, results to reuse.
@Suite struct RunStoreConformance {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func subject(_ backend: StoreBackend) throws -> StoreUnderTest {
        let subject = try backend.make()
        _ = try subject.store.register(sampleRegistration("aaaa"))
        return subject
    }

    func newRun(_ store: any Store, name: String = RunNames.make(), id: String = RunID.random(), state: RunState? = nil) throws -> FlowRunRecord {
        try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:], state: state ?? RunState(.pending, at: t0), id: id, name: name))
    }

    @Test(arguments: StoreBackend.all)
    func aGuardedUpdateAppliesOnlyWhenEveryConditionHolds(_ backend: StoreBackend) throws {
        let store = try subject(backend).store
        let run = try newRun(store, state: RunState(.running, at: t0))
        let me = ProcessIdentity(pid: 7, start: "1")
        try store.setSupervisor(flowRunID: run.id, process: me)
        try store.finish(flowRunID: run.id, state: RunState(.failed, at: t0))
        let change = RunChange(
            state: RunState(.scheduled, name: StateName.resuming, message: "attempt 2", at: t0), attempt: 2, workerID: .clear, pool: "gpu",
            scheduledTime: t0, supervisor: .clear)

        let refused: [RunGuard] = [
            RunGuard(states: [.crashed]),
            RunGuard(states: [.failed], stateName: "Other"),
            RunGuard(states: [.failed], attempt: 2),
            RunGuard(states: [.failed], supervisor: .none),
            RunGuard(states: [.failed], supervisor: .exactly(ProcessIdentity(pid: 7, start: "2"))),
        ]
        for guardedBy in refused {
            #expect(try store.updateFlowRun(run.id, if: guardedBy, change) == nil, "\(guardedBy)")
        }
        #expect(try store.flowRun(run.id).state.type == .failed, "a failed guard writes nothing")
        #expect(try store.supervisor(of: run.id) == me)
        #expect(try store.updateFlowRun("no-such-run", if: RunGuard(), change) == nil)

        let updated = try #require(try store.updateFlowRun(
            run.id, if: RunGuard(states: [.failed], stateName: StateName.failed, attempt: 1, unclaimed: true, supervisor: .exactly(me)), change))
        #expect(updated.state.type == .scheduled && updated.state.name == StateName.resuming)
        #expect(updated.attempt == 2 && updated.pool == "gpu" && updated.scheduledTime == t0 && updated.endTime == nil)
        #expect(try store.supervisor(of: run.id) == nil)
        let history = try store.states(flowRunID: run.id).filter { $0.taskRunID == nil }.map(\.state.name)
        #expect(history.suffix(2) == [StateName.failed, StateName.resuming], "the new state is appended to the history")

        // A claimed run fails an `unclaimed` guard.
        let claimed = try newRun(store, state: RunState(.scheduled, at: t0))
        _ = try store.updateFlowRun(claimed.id, if: RunGuard(), RunChange(workerID: .set("w1")))
        #expect(try store.updateFlowRun(claimed.id, if: RunGuard(unclaimed: true), RunChange(pool: "x")) == nil)
        #expect(try store.flowRun(claimed.id).workerID == "w1")
    }

    @Test(arguments: StoreBackend.all)
    func ofTwoConcurrentGuardedUpdatesExactlyOneWins(_ backend: StoreBackend) throws {
        let subject = try subject(backend)
        let runs = try (0..<50).map { _ in try newRun(subject.store, state: RunState(.crashed, at: t0)) }
        let stores = [subject.store, try subject.connect(), try subject.connect(), try subject.connect()]
        let wins = Locked<[String: Int]>([:])
        let failures = Locked<[String]>([])
        let start = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for store in stores {
            DispatchQueue.global().async(group: group) {
                start.wait()
                for run in runs {
                    do {
                        let change = RunChange(state: RunState(.scheduled, name: StateName.awaitingRetry, at: self.t0), attempt: 2)
                        if try store.updateFlowRun(run.id, if: RunGuard(states: [.crashed], attempt: 1), change) != nil {
                            wins.withLock { $0[run.id, default: 0] += 1 }
                        }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }
        }
        for _ in stores { start.signal() }
        group.wait()
        #expect(failures.withLock { $0 } == [])
        #expect(wins.withLock { $0 } == Dictionary(uniqueKeysWithValues: runs.map { ($0.id, 1) }))
        for run in runs { #expect(try subject.store.flowRun(run.id).attempt == 2) }
    }

    @Test(arguments: StoreBackend.all)
    func runsAreFoundByIdPrefixOrNameAndAmbiguityIsRefused(_ backend: StoreBackend) throws {
        let store = try subject(backend).store
        let one = try newRun(store, name: "brave-otter", id: "abcd1234-0000-4000-8000-000000000001")
        _ = try newRun(store, name: "calm-heron", id: "abcd5678-0000-4000-8000-000000000002")
        #expect(try store.flowRun(one.id).id == one.id)
        #expect(try store.flowRun("abcd1234").id == one.id)
        #expect(try store.flowRun("brave-otter").id == one.id)
        #expect(try store.flowRun(" brave-otter ").id == one.id)
        #expect(throws: BatonError.self) { try store.flowRun("abcd") }
        do {
            _ = try store.flowRun("abcd")
        } catch let error as BatonError {
            #expect(error.code == .invalidInput)
            #expect(error.message.contains("is ambiguous"))
        }
        do {
            _ = try store.flowRun("feedbeef")
            Issue.record("an unknown run was found")
        } catch let error as BatonError {
            #expect(error.code == .notFound)
            #expect(error.message.hasPrefix("no flow run 'feedbeef'"))
        }
    }

    @Test(arguments: StoreBackend.all)
    func finishEndsOpenTaskRunsReleasesSlotsAndAFinalRunStaysFinal(_ backend: StoreBackend) throws {
        let store = try subject(backend).store
        let run = try newRun(store)
        try store.apply([
            .flowRunState(FlowRunStateChange(flowRunID: run.id, state: RunState(.running, at: t0))),
            .taskRunCreated(TaskRunStart(id: "t1", flowRunID: run.id, flowRunAttempt: 1, position: 1, name: "a-1", taskName: "a", createdAt: t0)),
            .taskRunCreated(TaskRunStart(id: "t2", flowRunID: run.id, flowRunAttempt: 1, position: 2, name: "b-1", taskName: "b", createdAt: t0)),
            .taskRunState(TaskRunStateChange(taskRunID: "t1", flowRunID: run.id, state: RunState(.completed, at: t0), attempt: 1, result: "1")),
            .taskRunState(TaskRunStateChange(taskRunID: "t2", flowRunID: run.id, state: RunState(.running, at: t0), attempt: 1)),
        ])
        try store.setLimit(tag: "db", slots: 1)
        #expect(try store.acquireSlots(tags: ["db"], taskRunID: "t2", flowRunID: run.id, holder: ProcessIdentity(pid: 1, start: "1")))

        try store.finish(flowRunID: run.id, state: RunState(.cancelled, message: "stopped", at: t0))
        let taskRuns = try store.taskRuns(flowRunID: run.id)
        #expect(taskRuns.map(\.state.type) == [.completed, .cancelled])
        #expect(try store.limits().first { $0.tag == "db" }?.active == 0)
        #expect(try store.flowRun(run.id).state.type == .cancelled)

        try store.markCrashed(flowRunID: run.id, message: "too late")
        #expect(try store.flowRun(run.id).state == RunState(.cancelled, message: "stopped", at: t0), "a final run stays final")
    }

    @Test(arguments: StoreBackend.all)
    func completedResultsAreKeyedByInputAndTheLatestAttemptWins(_ backend: StoreBackend) throws {
        let store = try subject(backend).store
        let run = try newRun(store)
        func task(_ id: String, attempt: Int, key: String, result: String?, state: StateType = .completed) -> [RunEvent] {
            [
                .taskRunCreated(TaskRunStart(
                    id: id, flowRunID: run.id, flowRunAttempt: attempt, position: Int(id.dropFirst()) ?? 1, name: id, taskName: "a",
                    inputKey: key, createdAt: t0)),
                .taskRunState(TaskRunStateChange(taskRunID: id, flowRunID: run.id, state: RunState(state, at: t0), attempt: 1, result: result)),
            ]
        }
        try store.apply(task("t1", attempt: 1, key: "k1", result: "1") + task("t2", attempt: 1, key: "k2", result: nil, state: .failed))
        try store.apply(task("t3", attempt: 2, key: "k1", result: "2") + task("t4", attempt: 2, key: "k2", result: "4"))
        let results = try store.completedResults(flowRunID: run.id)
        #expect(Set(results.keys) == ["k1", "k2"])
        #expect(results["k1"]?.result == "2" && results["k1"]?.taskRunID == "t3" && results["k1"]?.attempt == 2)
        #expect(results["k2"]?.taskRunID == "t4")
    }
}
