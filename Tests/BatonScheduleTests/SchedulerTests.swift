import BatonCore
import BatonSchedule
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// The scheduling pass over a real SQLite store, with time given by the tests (no test waits for
/// the clock): `t0` is a fixed instant and every pass says what time it is.
@Suite struct SchedulerTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z

    func store() throws -> (StoreFile, SQLiteStore) {
        let file = try StoreFile()
        let store = try file.open()
        _ = try store.register(sampleRegistration("aaa"))
        return (file, store)
    }

    func every(_ seconds: Double, anchor: Date) -> ScheduleSpec {
        ScheduleSpec(kind: "interval", intervalSeconds: seconds, anchor: anchor)
    }

    @discardableResult
    func deploy(_ store: any Store, _ new: NewDeployment, now: Date) throws -> DeploymentRecord {
        try #require(try store.insertDeployment(new, schedule: new.schedule, isDefault: false, now: now))
    }

    func pass(_ store: any Store, _ now: Date, _ policy: SchedulingPolicy = SchedulingPolicy()) throws -> SchedulingReport {
        try Scheduler(store: store, policy: policy).pass(now: now)
    }

    /// Every run of a deployment, by scheduled time, with the states the scheduler stored (read
    /// at `t0`, so that none reads as Late only because the wall clock passed its time).
    func runs(_ store: SQLiteStore, _ deployment: String) throws -> [FlowRunRecord] {
        try store.flowRuns(FlowRunQuery(deployment: deployment, limit: 100_000), now: t0).sorted { ($0.scheduledTime ?? .distantPast) < ($1.scheduledTime ?? .distantPast) }
    }

    func offsets(_ runs: [FlowRunRecord]) -> [Int] {
        runs.compactMap { $0.scheduledTime.map { Int($0.timeIntervalSince(t0)) } }
    }

    func skipped(_ store: any Store, _ name: String) throws -> Int {
        try store.deploymentCounts(id: store.deployment(named: name).id).skipped
    }

    @Test func runsAreCreatedAheadOncePerFireTimeEvenWithTwoSchedulersAndARestart() async throws {
        let (file, first) = try store()
        try deploy(first, NewDeployment(name: "tick", flow: "etl", schedule: every(60, anchor: t0)), now: t0)
        let path = file.path
        let t0 = self.t0
        // Two schedulers (separate connections, as two processes) run passes at once, at the same
        // and at later times.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for scheduler in 0..<2 {
                group.addTask {
                    let store = try SQLiteStore(path: path)
                    for pass in 0..<20 {
                        _ = try Scheduler(store: store).pass(now: t0.addingTimeInterval(Double(pass * 30 + scheduler)))
                    }
                }
            }
            try await group.waitForAll()
        }
        // A restart: a new connection schedules again from the stored cursor.
        let restarted = try file.open()
        _ = try pass(restarted, t0.addingTimeInterval(600))
        let times = offsets(try runs(restarted, "tick"))
        #expect(times.count == Set(times).count, "no fire time has two runs")
        #expect(times == times.sorted())
        // Every minute from the anchor on, with nothing missing up to the lookahead.
        #expect(Array(times.prefix(70)) == (0..<70).map { 60 + $0 * 60 })
        let slots = try restarted.slotSummary(deploymentID: restarted.deployment(named: "tick").id, after: 0).ahead
        #expect(slots == times.count)
    }

    @Test func twoSchedulersOnTwoConnectionsAndARestartNeverScheduleASlotTwice() async throws {
        let (file, first) = try store()
        // Catchup on: a long gap makes many missed slots, each of which gets exactly one run.
        try deploy(first, NewDeployment(name: "busy", flow: "etl", schedule: every(10, anchor: t0), catchup: true), now: t0)
        let path = file.path
        let t0 = self.t0
        let created = try await withThrowingTaskGroup(of: [String].self) { group in
            for scheduler in 0..<2 {
                group.addTask {
                    let store = try SQLiteStore(path: path)
                    var made: [String] = []
                    for pass in 0..<10 {
                        made += try Scheduler(store: store).pass(now: t0.addingTimeInterval(Double(pass * 400 + scheduler * 7))).created
                    }
                    return made
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        let restarted = try file.open()
        let more = try pass(restarted, t0.addingTimeInterval(4000)).created
        let times = offsets(try runs(restarted, "busy"))
        #expect(times.count == Set(times).count, "no fire time has two runs")
        #expect(Set(created + more).count == times.count, "every run made is reported once")
        #expect(Array(times.prefix(390)) == (1...390).map { $0 * 10 })
    }

    @Test func missedSlotsGetRunsWithCatchupAndAreSkippedWithout() throws {
        let (_, store) = try store()
        try deploy(store, NewDeployment(name: "catching", flow: "etl", schedule: every(600, anchor: t0), catchup: true), now: t0)
        try deploy(store, NewDeployment(name: "skipping", flow: "etl", schedule: every(600, anchor: t0)), now: t0)
        // No scheduler ran for an hour.
        let later = t0.addingTimeInterval(3600 + 30)
        let report = try pass(store, later, SchedulingPolicy(grace: 60, lookahead: 1200, minimumAhead: 2))
        #expect(report.skipped == 5)

        let caught = try runs(store, "catching")
        // 10, 20, … 50 minutes were missed and run late, oldest first; 60 min is within the grace
        // period, 70 and 80 are ahead.
        #expect(offsets(caught) == [600, 1200, 1800, 2400, 3000, 3600, 4200, 4800])
        #expect(caught.prefix(5).allSatisfy { $0.state.name == "Late" })
        #expect(caught.suffix(3).allSatisfy { $0.state.name == "Scheduled" })

        let skippedRuns = try runs(store, "skipping")
        #expect(offsets(skippedRuns) == [3600, 4200, 4800])
        #expect(try skipped(store, "skipping") == 5)
        #expect(try skipped(store, "catching") == 0)

        // A later pass neither replays nor repeats anything.
        _ = try pass(store, later.addingTimeInterval(10), SchedulingPolicy(grace: 60, lookahead: 1200, minimumAhead: 2))
        #expect(offsets(try runs(store, "skipping")) == [3600, 4200, 4800])
    }

    @Test func aBackfillMakesEachMissingRunOnceAndFillsSkippedSlots() throws {
        let (_, store) = try store()
        try deploy(store, NewDeployment(name: "daily", flow: "etl", schedule: every(86_400, anchor: t0)), now: t0)
        // Ten days pass without a scheduler: the missed days are recorded as skipped.
        _ = try pass(store, t0.addingTimeInterval(10 * 86_400 + 1), SchedulingPolicy(lookahead: 0, minimumAhead: 0))
        #expect(try skipped(store, "daily") == 9)

        let range = try BackfillRange(from: t0.addingTimeInterval(-2 * 86_400), through: t0.addingTimeInterval(4 * 86_400))
        let scheduler = Scheduler(store: store)
        let first = try scheduler.backfill(store.deployment(named: "daily"), range, now: t0.addingTimeInterval(11 * 86_400))
        // The anchor is the first fire time: days 0 to 4, of which 1–4 were skipped.
        #expect(first.created.count == 5)
        #expect(first.existing == 0)
        let second = try scheduler.backfill(store.deployment(named: "daily"), range, now: t0.addingTimeInterval(11 * 86_400))
        #expect(second.created.isEmpty)
        #expect(second.existing == 5)
        #expect(try skipped(store, "daily") == 5)
        let times = offsets(try runs(store, "daily"))
        #expect(times.count == Set(times).count)
        // Backfilled runs were asked for late: they are not marked Late (the day-10 run, made on time
        // and never started, is).
        _ = try pass(store, t0.addingTimeInterval(11 * 86_400 + 3600))
        let late = try runs(store, "daily").filter { $0.state.name == "Late" }
        #expect(offsets(late) == [10 * 86_400])
        #expect(Set(late.map(\.id)).isDisjoint(with: first.created))
    }

    @Test func runsNotStartedWithinTheGracePeriodAreLate() throws {
        let (_, store) = try store()
        try deploy(store, NewDeployment(name: "late", flow: "etl", schedule: every(600, anchor: t0)), now: t0)
        let policy = SchedulingPolicy(grace: 60, lookahead: 600, minimumAhead: 1)
        _ = try pass(store, t0.addingTimeInterval(1), policy)
        let report = try pass(store, t0.addingTimeInterval(600 + 61), policy)
        #expect(report.late == 1)
        let late = try runs(store, "late").first { $0.state.name == "Late" }
        #expect(late.flatMap { $0.scheduledTime.map { Int($0.timeIntervalSince(t0)) } } == 600)
    }

    @Test func aDeploymentWhoseParametersNoLongerFitGetsFailedRunsSayingWhy() throws {
        let (_, store) = try store()
        // Recorded without the service's check, as a deployment made before its flow changed.
        try deploy(store, NewDeployment(name: "stale", flow: "etl", parameters: ["m": .int(1)], schedule: every(600, anchor: t0)), now: t0)
        let report = try pass(store, t0.addingTimeInterval(1), SchedulingPolicy(grace: 60, lookahead: 600, minimumAhead: 1))
        #expect(report.created.count == 1)
        let run = try #require(try runs(store, "stale").first)
        #expect(run.state.type == .failed)
        #expect(run.state.message == "deployment 'stale': unknown parameter 'm' for flow 'etl'; its parameters are: n")
    }
}
