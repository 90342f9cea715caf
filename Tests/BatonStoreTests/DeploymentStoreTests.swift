import BatonCore
import BatonTestSupport
import Foundation
import Testing

@testable import BatonStore

/// Scheduling, claiming and retrying in the store, with time given by the tests (no test waits for
/// the clock): `t0` is a fixed instant and every pass says what time it is.
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

    func every(_ seconds: Double, anchor: Date) -> ScheduleSpec {
        ScheduleSpec(kind: "interval", intervalSeconds: seconds, anchor: anchor)
    }

    /// Every run of a deployment, by scheduled time, with the states the scheduler stored (read
    /// at `t0`, so that none reads as Late only because the wall clock passed its time).
    func runs(_ store: SQLiteStore, _ deployment: String) throws -> [FlowRunRecord] {
        try store.flowRuns(FlowRunQuery(deployment: deployment, limit: 100_000), now: t0).sorted { ($0.scheduledTime ?? .distantPast) < ($1.scheduledTime ?? .distantPast) }
    }

    func offsets(_ runs: [FlowRunRecord]) -> [Int] {
        runs.compactMap { $0.scheduledTime.map { Int($0.timeIntervalSince(t0)) } }
    }

    @Test func runsAreCreatedAheadOncePerFireTimeEvenWithTwoSchedulersAndARestart() async throws {
        let (file, first) = try store()
        _ = try first.createDeployment(
            NewDeployment(name: "tick", flow: "etl", schedule: every(60, anchor: t0)), now: t0)
        let path = file.path
        let t0 = self.t0
        // Two schedulers (separate connections, as two processes) run passes at once, at the same
        // and at later times.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for scheduler in 0..<2 {
                group.addTask {
                    let store = try SQLiteStore(path: path)
                    for pass in 0..<20 {
                        _ = try store.schedule(now: t0.addingTimeInterval(Double(pass * 30 + scheduler)))
                    }
                }
            }
            try await group.waitForAll()
        }
        // A restart: a new connection schedules again from the stored cursor.
        let restarted = try file.open()
        _ = try restarted.schedule(now: t0.addingTimeInterval(600))
        let times = offsets(try runs(restarted, "tick"))
        #expect(times.count == Set(times).count, "no fire time has two runs")
        #expect(times == times.sorted())
        // Every minute from the anchor on, with nothing missing up to the lookahead.
        #expect(Array(times.prefix(70)) == (0..<70).map { 60 + $0 * 60 })
        let slots = try restarted.withConnection { db in try db.scalar("SELECT count(*) FROM schedule_slots WHERE flow_run_id IS NOT NULL") }
        #expect(slots == Int64(times.count))
    }

    @Test func missedSlotsGetRunsWithCatchupAndAreSkippedWithout() throws {
        let (_, store) = try store()
        _ = try store.createDeployment(NewDeployment(name: "catching", flow: "etl", schedule: every(600, anchor: t0), catchup: true), now: t0)
        _ = try store.createDeployment(NewDeployment(name: "skipping", flow: "etl", schedule: every(600, anchor: t0)), now: t0)
        // No scheduler ran for an hour.
        let later = t0.addingTimeInterval(3600 + 30)
        let report = try store.schedule(now: later, policy: SchedulingPolicy(grace: 60, lookahead: 1200, minimumAhead: 2))
        #expect(report.skipped == 5)

        let caught = try runs(store, "catching")
        // 10, 20, … 50 minutes were missed and run late, oldest first; 60 min is within the grace
        // period, 70 and 80 are ahead.
        #expect(offsets(caught) == [600, 1200, 1800, 2400, 3000, 3600, 4200, 4800])
        #expect(caught.prefix(5).allSatisfy { $0.state.name == "Late" })
        #expect(caught.suffix(3).allSatisfy { $0.state.name == "Scheduled" })

        let skipped = try runs(store, "skipping")
        #expect(offsets(skipped) == [3600, 4200, 4800])
        #expect(try store.skippedSlots(deployment: "skipping") == 5)
        #expect(try store.skippedSlots(deployment: "catching") == 0)

        // A later pass neither replays nor repeats anything.
        _ = try store.schedule(now: later.addingTimeInterval(10), policy: SchedulingPolicy(grace: 60, lookahead: 1200, minimumAhead: 2))
        #expect(offsets(try runs(store, "skipping")) == [3600, 4200, 4800])
    }

    @Test func aBackfillMakesEachMissingRunOnceAndFillsSkippedSlots() throws {
        let (_, store) = try store()
        _ = try store.createDeployment(NewDeployment(name: "daily", flow: "etl", schedule: every(86_400, anchor: t0)), now: t0)
        // Ten days pass without a scheduler: the missed days are recorded as skipped.
        _ = try store.schedule(now: t0.addingTimeInterval(10 * 86_400 + 1), policy: SchedulingPolicy(lookahead: 0, minimumAhead: 0))
        #expect(try store.skippedSlots(deployment: "daily") == 9)

        let from = t0.addingTimeInterval(-2 * 86_400), to = t0.addingTimeInterval(4 * 86_400)
        let first = try store.backfill("daily", from: from, through: to, now: t0.addingTimeInterval(11 * 86_400))
        // The anchor is the first fire time: days 0 to 4, of which 1–4 were skipped.
        #expect(first.created.count == 5)
        #expect(first.existing == 0)
        let second = try store.backfill("daily", from: from, through: to, now: t0.addingTimeInterval(11 * 86_400))
        #expect(second.created.isEmpty)
        #expect(second.existing == 5)
        #expect(try store.skippedSlots(deployment: "daily") == 5)
        let times = offsets(try runs(store, "daily"))
        #expect(times.count == Set(times).count)
        // Backfilled runs were asked for late: they are not marked Late (the day-10 run, made on time
        // and never started, is).
        _ = try store.schedule(now: t0.addingTimeInterval(11 * 86_400 + 3600))
        let late = try runs(store, "daily").filter { $0.state.name == "Late" }
        #expect(offsets(late) == [10 * 86_400])
        #expect(Set(late.map(\.id)).isDisjoint(with: first.created))
    }

    @Test func pausingRemovesWaitingRunsAndResumingReplaysOnlyWithCatchup() throws {
        let (_, store) = try store()
        for (name, catchup) in [("plain", false), ("replaying", true)] {
            _ = try store.createDeployment(NewDeployment(name: name, flow: "etl", schedule: every(600, anchor: t0), catchup: catchup), now: t0)
        }
        let policy = SchedulingPolicy(grace: 60, lookahead: 1200, minimumAhead: 1)
        _ = try store.schedule(now: t0.addingTimeInterval(1), policy: policy)
        #expect(offsets(try runs(store, "plain")) == [600, 1200])

        for name in ["plain", "replaying"] { _ = try store.setPaused(name, true, now: t0.addingTimeInterval(2)) }
        #expect(try runs(store, "plain").isEmpty, "waiting runs of a paused deployment are removed")
        _ = try store.schedule(now: t0.addingTimeInterval(3000), policy: policy)
        #expect(try runs(store, "plain").isEmpty, "a paused deployment makes nothing")

        for name in ["plain", "replaying"] { _ = try store.setPaused(name, false, now: t0.addingTimeInterval(3600)) }
        _ = try store.schedule(now: t0.addingTimeInterval(3600), policy: policy)
        #expect(offsets(try runs(store, "plain")) == [3600, 4200, 4800])
        #expect(offsets(try runs(store, "replaying")) == [600, 1200, 1800, 2400, 3000, 3600, 4200, 4800])
    }

    @Test func maxActiveHoldsBackRunsUntilOneFinishes() throws {
        let (_, store) = try store()
        _ = try store.createDeployment(NewDeployment(name: "one-at-a-time", flow: "etl", maxActive: 1), now: t0)
        let a = try store.createDeploymentRun("one-at-a-time", now: t0)
        let b = try store.createDeploymentRun("one-at-a-time", now: t0.addingTimeInterval(1))
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
        _ = try store.createDeployment(NewDeployment(name: "many", flow: "etl"), now: t0)
        for _ in 0..<40 { _ = try store.createDeploymentRun("many", now: t0) }
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
        _ = try store.createDeployment(NewDeployment(name: "retrying", flow: "etl"), now: t0)
        let run = try store.createDeploymentRun("retrying", now: t0)
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

    @Test func runsNotStartedWithinTheGracePeriodAreLate() throws {
        let (_, store) = try store()
        _ = try store.createDeployment(NewDeployment(name: "late", flow: "etl", schedule: every(600, anchor: t0)), now: t0)
        let policy = SchedulingPolicy(grace: 60, lookahead: 600, minimumAhead: 1)
        _ = try store.schedule(now: t0.addingTimeInterval(1), policy: policy)
        let report = try store.schedule(now: t0.addingTimeInterval(600 + 61), policy: policy)
        #expect(report.late == 1)
        let late = try runs(store, "late").first { $0.state.name == "Late" }
        #expect(late.flatMap { $0.scheduledTime.map { Int($0.timeIntervalSince(t0)) } } == 600)
    }

    @Test func aNewVersionMovesLatestDeploymentsButNotPinnedOnes() throws {
        let (_, store) = try store()
        _ = try store.createDeployment(NewDeployment(name: "follows", flow: "etl", parameters: ["n": .int(7)]), now: t0)
        _ = try store.createDeployment(NewDeployment(name: "pinned", flow: "etl", version: 1), now: t0)
        let follows = try store.createDeploymentRun("follows", now: t0)
        let pinned = try store.createDeploymentRun("pinned", now: t0)
        _ = try store.register(sampleRegistration("bbb"))
        #expect(try store.flowRun(follows.id).version == 2)
        #expect(try store.flowRun(follows.id).parameters["n"] == .int(7))
        #expect(try store.flowRun(pinned.id).version == 1)
    }

    @Test func aDeclaredScheduleMakesAndUpdatesTheDefaultDeployment() throws {
        let file = try StoreFile()
        let store = try file.open()
        var registration = sampleRegistration("aaa")
        registration.manifest.flows[0].schedule = every(60, anchor: t0)
        let note = try store.register(registration)[0].deploymentNote
        #expect(note == "default deployment 'etl' created: every 1 minute, pool default")
        #expect(try store.deployment(named: "etl").isDefault)

        var changed = sampleRegistration("bbb")
        changed.manifest.flows[0].schedule = every(300, anchor: t0)
        #expect(try store.register(changed)[0].deploymentNote == "default deployment 'etl' now runs every 5 minutes")
        #expect(try store.deployment(named: "etl").schedule?.intervalSeconds == 300)
        #expect(try store.deployments().count == 1)
    }

    @Test func badDeploymentsAreRefusedWithOneLine() throws {
        let (_, store) = try store()
        let unknownParameter = #expect(throws: BatonError.self) {
            try store.createDeployment(NewDeployment(name: "bad", flow: "etl", parameters: ["m": .int(1)]))
        }
        #expect(unknownParameter?.message == "unknown parameter 'm' for flow 'etl'; its parameters are: n")
        _ = try store.createDeployment(NewDeployment(name: "taken", flow: "etl"))
        let duplicate = #expect(throws: BatonError.self) { try store.createDeployment(NewDeployment(name: "taken", flow: "etl")) }
        #expect(duplicate?.message == "a deployment named 'taken' exists already (of flow 'etl'); choose another name")
        let badName = #expect(throws: BatonError.self) { try store.createDeployment(NewDeployment(name: "no spaces", flow: "etl")) }
        #expect(badName?.message.hasPrefix("deployment name 'no spaces' is not valid") == true)
        let missing = #expect(throws: BatonError.self) { try store.deployment(named: "nope") }
        #expect(missing?.message == "no deployment 'nope'; deployments: taken")
        #expect(try store.deployments().map(\.name) == ["taken"], "nothing half-made was stored")
    }
}
