import BatonCore
import BatonTestSupport
import Foundation
import Testing

@testable import BatonStore

/// Claiming and retrying runs of deployments in the store, with time given by the tests. The
/// scheduling cases moved to BatonScheduleTests/SchedulerTests and the deployment rules to
/// BatonServicesTests/DeploymentServiceTests; these three go to the worker store's conformance
/// suite and RunRecoveryTests with the workers' part of issue 11, and this file with them.
@Suite struct DeploymentStoreTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z

    func store(retries: Int = 0) throws -> (StoreFile, SQLiteStore) {
        let file = try StoreFile()
        let store = try file.open()
        var registration = sampleRegistration("aaa")
        registration.manifest.flows[0].options = FlowOptionsSpec(retries: retries)
        _ = try store.register(registration)
        return (file, store)
    }

    /// A deployment without a schedule, as recorded.
    func deploy(_ store: SQLiteStore, _ new: NewDeployment) throws {
        _ = try #require(try store.insertDeployment(new, schedule: nil, isDefault: false, now: t0))
    }

    /// A run of a deployment now (what `baton deployment run` records).
    func runNow(_ store: SQLiteStore, _ name: String, at time: Date) throws -> FlowRunRecord {
        let deployment = try store.deployment(named: name)
        let run = NewFlowRun(
            flow: deployment.flow, version: 1, parameters: ["n": .int(1)], state: RunState(.scheduled, at: time),
            deploymentID: deployment.id, scheduledTime: time, pool: deployment.pool)
        return try store.insertDeploymentRun(run, given: [:])
    }

    @Test func maxActiveHoldsBackRunsUntilOneFinishes() throws {
        let (_, store) = try store()
        try deploy(store, NewDeployment(name: "one-at-a-time", flow: "etl", maxActive: 1))
        let a = try runNow(store, "one-at-a-time", at: t0)
        let b = try runNow(store, "one-at-a-time", at: t0.addingTimeInterval(1))
        let worker = try store.registerWorker(name: "w", pool: "default", limit: 4)
        #expect(try store.claimRun(pool: "default", workerID: worker.id, now: t0.addingTimeInterval(2))?.id == a.id)
        #expect(try store.claimRun(pool: "default", workerID: worker.id, now: t0.addingTimeInterval(2)) == nil)
        #expect(try store.nextDueTime(pool: "default") == nil, "a held-back run is not due")
        try store.finish(flowRunID: a.id, state: RunState(.completed))
        #expect(try store.claimRun(pool: "default", workerID: worker.id, now: t0.addingTimeInterval(3))?.id == b.id)
        let states = try store.states(flowRunID: b.id).filter { $0.taskRunID == nil }.map(\.state.name)
        #expect(states == ["Scheduled", "Pending"])
    }

    @Test func twoWorkersClaimingAtOnceNeverGetTheSameRun() async throws {
        let (file, store) = try store()
        try deploy(store, NewDeployment(name: "many", flow: "etl"))
        for _ in 0..<40 { _ = try runNow(store, "many", at: t0) }
        let path = file.path
        let t0 = self.t0
        let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
            for index in 0..<2 {
                group.addTask {
                    let store = try SQLiteStore(path: path)
                    let worker = try store.registerWorker(name: "w\(index)", pool: "default", limit: 100)
                    var mine: [String] = []
                    while let run = try store.claimRun(pool: "default", workerID: worker.id, now: t0) { mine.append(run.id) }
                    return mine
                }
            }
            return try await group.reduce(into: [[String]]()) { $0.append($1) }
        }
        let all = claimed.flatMap { $0 }
        #expect(all.count == 40)
        #expect(Set(all).count == 40)
    }

    @Test func aDeadWorkersRunsCrashAndAreRetriedWhenTheFlowAllows() throws {
        let (_, store) = try store(retries: 1)
        try deploy(store, NewDeployment(name: "retrying", flow: "etl"))
        let run = try runNow(store, "retrying", at: t0)
        let worker = try store.registerWorker(name: "doomed", pool: "default", limit: 1)
        _ = try store.claimRun(pool: "default", workerID: worker.id, now: t0)
        try store.apply([.flowRunState(FlowRunStateChange(flowRunID: run.id, state: RunState(.running, at: t0)))])

        #expect(try store.reapWorker(worker.id, reason: "its process is gone", now: t0.addingTimeInterval(5)) == [run.id])
        var retried = try store.flowRun(run.id)
        #expect(retried.state.type == .scheduled)
        #expect(retried.state.name == "AwaitingRetry")
        #expect(retried.attempt == 2)
        #expect(retried.workerID == nil)
        #expect(try store.worker(worker.id).stoppedAt != nil)

        // The second attempt crashes too: no retries are left.
        let other = try store.registerWorker(name: "next", pool: "default", limit: 1)
        _ = try store.claimRun(pool: "default", workerID: other.id, now: t0.addingTimeInterval(10))
        _ = try store.reapWorker(other.id, reason: "its process is gone", now: t0.addingTimeInterval(20))
        retried = try store.flowRun(run.id)
        #expect(retried.state.type == .crashed)
        let history = try store.states(flowRunID: run.id).filter { $0.taskRunID == nil }.map(\.state.name)
        #expect(history == ["Scheduled", "Pending", "Running", "Crashed", "AwaitingRetry", "Pending", "Crashed"])
    }

}
