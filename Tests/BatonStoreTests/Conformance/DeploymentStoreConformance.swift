import BatonCore
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// What every backend does with deployments and their slots: the persistence the scheduler and the
/// deployment service build on. The exactly-once guarantee of scheduling is the store's
/// `claimSlots`, tested here with racing connections.
@Suite struct DeploymentStoreConformance {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    var t0: Date { Self.t0 }

    func registered(_ backend: StoreBackend) throws -> StoreUnderTest {
        let subject = try backend.make()
        _ = try subject.store.register(sampleRegistration("aaaa"))
        return subject
    }

    func deploy(_ store: any Store, _ name: String, paused: Bool = false) throws -> DeploymentRecord {
        let schedule = ScheduleSpec(kind: "interval", intervalSeconds: 60, anchor: t0)
        let made = try #require(try store.insertDeployment(NewDeployment(name: name, flow: "etl"), schedule: schedule, isDefault: false, now: t0))
        guard paused else { return made }
        return try #require(try store.updateDeployment(id: made.id, DeploymentChange(paused: true, updatedAt: t0)))
    }

    static func claim(_ d: DeploymentRecord, at time: Int64) -> SlotClaim {
        let run = NewFlowRun(
            flow: d.flow, version: 1, parameters: ["n": .int(1)], state: RunState(.scheduled, at: t0), deploymentID: d.id,
            scheduledTime: Date(timeIntervalSince1970: Double(time)), pool: d.pool)
        return SlotClaim(time: time, run: run)
    }

    func runs(_ store: any Store, _ name: String) throws -> [FlowRunRecord] {
        try store.flowRuns(FlowRunQuery(deployment: name, limit: 10_000))
    }

    @Test(arguments: StoreBackend.all)
    func aSlotGetsExactlyOneRunAcrossTwoConnectionsAndAReopen(_ backend: StoreBackend) throws {
        let subject = try registered(backend)
        let deployment = try deploy(subject.store, "tick")
        let times = (1...200).map { Self.t0.timeIntervalSince1970 + Double($0 * 60) }.map { Int64($0) }
        let stores = [subject.store, try subject.connect()]
        let start = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        let results = Locked<[SlotBatchResult]>([])
        let failures = Locked<[String]>([])
        for store in stores {
            DispatchQueue.global().async(group: group) {
                start.wait()
                // Each connection claims every slot, one batch per slot, in its own order.
                for time in store === stores[0] ? times : times.reversed() {
                    let batch = SlotBatch(deploymentID: deployment.id, expectedCursor: nil, newCursor: nil, claims: [Self.claim(deployment, at: time)], now: Self.t0)
                    do { let result = try store.claimSlots(batch); results.withLock { $0.append(result) } } catch { failures.withLock { $0.append("\(error)") } }
                }
            }
        }
        start.signal()
        start.signal()
        group.wait()
        #expect(failures.withLock { $0 } == [])
        let all = results.withLock { $0 }
        #expect(all.flatMap(\.created).count == 200)
        #expect(all.map(\.existing).reduce(0, +) == 200)
        // A reopened connection finds every slot taken.
        let reopened = try subject.connect()
        let again = try reopened.claimSlots(SlotBatch(
            deploymentID: deployment.id, expectedCursor: nil, newCursor: nil, claims: times.map { Self.claim(deployment, at: $0) }, now: t0))
        #expect(again.created.isEmpty)
        #expect(again.existing == 200)
        let scheduled = try runs(reopened, "tick").compactMap(\.scheduledTime)
        #expect(scheduled.count == 200)
        #expect(Set(scheduled).count == 200)
    }

    @Test(arguments: StoreBackend.all)
    func aStaleOrPausedBatchWritesNothing(_ backend: StoreBackend) throws {
        let store = try registered(backend).store
        let deployment = try deploy(store, "tick")
        let time = deployment.cursor + 60
        let moved = SlotBatch(deploymentID: deployment.id, expectedCursor: deployment.cursor - 1, newCursor: time, claims: [Self.claim(deployment, at: time)], now: t0)
        #expect(try store.claimSlots(moved).stale)
        let paused = try deploy(store, "paused", paused: true)
        let onPaused = SlotBatch(deploymentID: paused.id, expectedCursor: paused.cursor, newCursor: time, claims: [Self.claim(paused, at: time)], now: t0)
        #expect(try store.claimSlots(onPaused).stale)
        let gone = SlotBatch(deploymentID: 9_999, expectedCursor: nil, newCursor: nil, claims: [Self.claim(deployment, at: time)], now: t0)
        #expect(try store.claimSlots(gone).stale)
        #expect(try runs(store, "tick").isEmpty)
        #expect(try runs(store, "paused").isEmpty)
        #expect(try store.deployment(named: "tick").cursor == deployment.cursor, "the cursor stayed")

        // The batch planned from the stored cursor goes through and moves it.
        let current = SlotBatch(deploymentID: deployment.id, expectedCursor: deployment.cursor, newCursor: time, claims: [Self.claim(deployment, at: time)], now: t0)
        #expect(try store.claimSlots(current).created.count == 1)
        #expect(try store.deployment(named: "tick").cursor == time)
        #expect(try store.claimSlots(current).stale, "the same plan a second time is stale")
    }

    @Test(arguments: StoreBackend.all)
    func aSkippedSlotIsFilledOnceByALaterRunClaim(_ backend: StoreBackend) throws {
        let store = try registered(backend).store
        let deployment = try deploy(store, "tick")
        let time = deployment.cursor + 60
        func batch(_ claim: SlotClaim) -> SlotBatch { SlotBatch(deploymentID: deployment.id, expectedCursor: nil, newCursor: nil, claims: [claim], now: t0) }
        #expect(try store.claimSlots(batch(SlotClaim(time: time, run: nil))).skipped == 1)
        #expect(try store.claimSlots(batch(SlotClaim(time: time, run: nil))).skipped == 0, "recorded once")
        #expect(try store.deploymentCounts(id: deployment.id).skipped == 1)
        #expect(try store.claimSlots(batch(Self.claim(deployment, at: time))).created.count == 1)
        #expect(try store.claimSlots(batch(Self.claim(deployment, at: time))).existing == 1)
        #expect(try store.deploymentCounts(id: deployment.id) == DeploymentCounts(active: 0, scheduled: 1, skipped: 0))
        let summary = try store.slotSummary(deploymentID: deployment.id, after: time - 1)
        #expect(summary == SlotSummary(ahead: 1, earliest: time))
        #expect(try store.slotSummary(deploymentID: deployment.id, after: time).ahead == 0)
    }

    @Test(arguments: StoreBackend.all)
    func deploymentNamesAreUnique(_ backend: StoreBackend) throws {
        let store = try registered(backend).store
        _ = try deploy(store, "taken")
        #expect(try store.insertDeployment(NewDeployment(name: "taken", flow: "etl"), schedule: nil, isDefault: false, now: t0) == nil)
        #expect(try store.deployments(flow: nil).map(\.name) == ["taken"])
        #expect(try store.deploymentRecord(named: "nope") == nil)
        let missing = #expect(throws: BatonError.self) { try store.deployment(named: "nope") }
        #expect(missing?.message == "no deployment 'nope'; deployments: taken")
    }

    /// A deployment with a run waiting, one running and one finished.
    func threeRuns(_ store: any Store) throws -> (DeploymentRecord, waiting: String, running: String, finished: String) {
        let deployment = try deploy(store, "tick")
        var ids: [String] = []
        for _ in 0..<3 {
            let run = NewFlowRun(flow: "etl", version: 1, parameters: [:], state: RunState(.scheduled, at: t0), deploymentID: deployment.id, scheduledTime: t0, pool: "default")
            ids.append(try store.insertDeploymentRun(run, given: [:]).id)
        }
        try store.apply([.flowRunState(FlowRunStateChange(flowRunID: ids[1], state: RunState(.running, at: t0)))])
        try store.apply([.flowRunState(FlowRunStateChange(flowRunID: ids[2], state: RunState(.running, at: t0)))])
        try store.apply([.flowRunState(FlowRunStateChange(flowRunID: ids[2], state: RunState(.completed, at: t0)))])
        return (deployment, ids[0], ids[1], ids[2])
    }

    @Test(arguments: StoreBackend.all)
    func removingUnstartedRunsLeavesStartedAndFinishedOnes(_ backend: StoreBackend) throws {
        let store = try registered(backend).store
        let (deployment, waiting, running, finished) = try threeRuns(store)
        #expect(try store.unstartedRuns(deploymentID: deployment.id).map(\.id) == [waiting])
        #expect(try store.deploymentCounts(id: deployment.id) == DeploymentCounts(active: 1, scheduled: 1, skipped: 0))
        #expect(try store.removeUnstartedRuns(deploymentID: deployment.id) == [waiting])
        #expect(Set(try runs(store, "tick").map(\.id)) == [running, finished])
        #expect(try store.moveUnstartedRun(running, toVersion: 1, parameters: [:]) == false, "a started run stays")
    }

    @Test(arguments: StoreBackend.all)
    func deletingKeepsFinishedRunsDetached(_ backend: StoreBackend) throws {
        let store = try registered(backend).store
        let (deployment, waiting, running, finished) = try threeRuns(store)
        try store.deleteDeployment(id: deployment.id)
        #expect(try store.deploymentRecord(named: "tick") == nil)
        #expect(throws: BatonError.self) { try store.flowRun(waiting) }
        #expect(try store.flowRun(finished).deployment == nil)
        #expect(try store.flowRun(running).deployment == nil)
    }

    @Test(arguments: StoreBackend.all)
    func lateCandidatesAreScheduledUnstartedRunsAndTheirStateIsRecordedOnce(_ backend: StoreBackend) throws {
        let store = try registered(backend).store
        let (_, waiting, _, _) = try threeRuns(store)
        let before = t0.addingTimeInterval(1)
        #expect(try store.scheduledRuns(named: StateName.scheduled, scheduledBefore: before).map(\.id) == [waiting])
        #expect(try store.earliestScheduled(named: StateName.scheduled, from: t0) == t0)
        let late = RunState(.scheduled, name: StateName.late, at: before)
        #expect(try store.recordScheduledState(waiting, ifNamed: StateName.scheduled, late))
        #expect(try store.recordScheduledState(waiting, ifNamed: StateName.scheduled, late) == false)
        #expect(try store.scheduledRuns(named: StateName.scheduled, scheduledBefore: before).isEmpty)
        #expect(try store.earliestScheduled(named: StateName.scheduled, from: t0) == nil)
    }
}
