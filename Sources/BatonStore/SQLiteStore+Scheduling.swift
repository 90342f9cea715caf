import BatonCore
import Foundation

/// How far ahead the scheduler creates runs: every fire time within `lookahead`, and at least
/// `minimumAhead` future runs (so a daily schedule shows its next days), at most `maximumAhead`.
public struct SchedulingPolicy: Sendable, Hashable {
    /// A run not started this long after its time is `Late`; a slot further in the past than this
    /// when first seen was missed.
    public var grace: TimeInterval
    public var lookahead: TimeInterval
    public var minimumAhead: Int
    public var maximumAhead: Int
    /// Missed slots handled in one pass at most (the next pass goes on).
    public var maximumMissed: Int

    public init(grace: TimeInterval = RunTiming.lateGrace, lookahead: TimeInterval = 3600, minimumAhead: Int = 3, maximumAhead: Int = 100, maximumMissed: Int = 10_000) {
        self.grace = grace
        self.lookahead = lookahead
        self.minimumAhead = minimumAhead
        self.maximumAhead = maximumAhead
        self.maximumMissed = maximumMissed
    }
}

extension SQLiteStore {
    /// One pass of the scheduler at `now`. For each deployment that is not paused, every fire time
    /// after its cursor gets a slot, exactly once: the slot's key (deployment, time) is the table's
    /// primary key, so a second scheduler, or this one after a restart, finds it taken and creates
    /// nothing. Slots missed while nothing scheduled (older than the grace period) get a run when the
    /// deployment catches up, else are recorded as skipped. Runs not started within the grace period
    /// become `Late`.
    public func schedule(now: Date = Date(), policy: SchedulingPolicy = SchedulingPolicy()) throws -> SchedulingReport {
        var report = SchedulingReport()
        let deployments = try self.deployments().filter { !$0.paused && $0.schedule != nil }
        for deployment in deployments {
            guard let schedule = deployment.schedule, let compiled = try? CompiledSchedule(schedule, defaultStart: deployment.createdAt) else { continue }
            let (created, skipped, wake) = try write { db in
                try self.schedule(deploymentID: deployment.id, compiled, now: now, policy: policy, db)
            }
            report.created += created
            report.skipped += skipped
            report.nextWake = [report.nextWake, wake].compactMap { $0 }.min()
        }
        let (late, lateWake) = try write { db in try markLate(now: now, grace: policy.grace, db) }
        report.late = late
        report.nextWake = [report.nextWake, lateWake].compactMap { $0 }.min()
        if !report.created.isEmpty { ring("runs") }
        return report
    }

    /// Schedules one deployment, re-read inside the write transaction so that two schedulers never
    /// work from the same cursor.
    func schedule(
        deploymentID: Int64, _ compiled: CompiledSchedule, now: Date, policy: SchedulingPolicy, _ db: SQLiteConnection
    ) throws -> (created: [String], skipped: Int, wake: Date?) {
        guard let deployment = try db.query("SELECT \(Self.deploymentColumns) WHERE d.id = ?", [.int(deploymentID)], row: Self.deployment).first,
            !deployment.paused
        else { return ([], 0, nil) }
        let nowSeconds = Int64(floor(now.timeIntervalSince1970))
        let missedUpTo = nowSeconds - Int64(policy.grace)
        let horizon = nowSeconds + Int64(policy.lookahead)
        var cursor = Int64(floor((deployment.scheduledThrough ?? deployment.createdAt).timeIntervalSince1970))
        var ahead = Int(try db.scalar(
            "SELECT count(*) FROM schedule_slots WHERE deployment_id = ? AND scheduled_time > ?", [.int(deploymentID), .int(nowSeconds)]) ?? 0)
        var maker = RunMaker(store: self, deployment: deployment)
        var created: [String] = []
        var skipped = 0
        var missed = 0
        var next: Int64?
        scanning: while true {
            let batch = compiled.fireTimes(after: cursor, count: 200)
            if batch.isEmpty {
                // The rule has ended.
                cursor = max(cursor, horizon)
                break
            }
            for time in batch {
                if time <= missedUpTo {
                    guard missed < policy.maximumMissed else {
                        next = nowSeconds
                        break scanning
                    }
                    missed += 1
                    if deployment.catchup {
                        if let id = try maker.claimSlot(time, late: true, now: now, db) { created.append(id) }
                    } else if try Self.insertSlot(deploymentID, time, skipped: true, now: now, db) {
                        skipped += 1
                    }
                } else {
                    if ahead >= policy.maximumAhead || (time > horizon && ahead >= policy.minimumAhead) {
                        next = time
                        break scanning
                    }
                    if let id = try maker.claimSlot(time, late: false, now: now, db) { created.append(id) }
                    if time > nowSeconds { ahead += 1 }
                }
                cursor = time
            }
        }
        try db.run("UPDATE deployments SET scheduled_through = ? WHERE id = ?", [.int(cursor), .int(deploymentID)])
        // Next pass: when the next fire time comes within the lookahead, or the earliest run ahead
        // starts (which makes room under the maximum).
        let earliestAhead = try db.scalar(
            "SELECT MIN(scheduled_time) FROM schedule_slots WHERE deployment_id = ? AND scheduled_time > ?",
            [.int(deploymentID), .int(nowSeconds)])
        let wake = [next.map { $0 - Int64(policy.lookahead) }, earliestAhead].compactMap { $0 }.min()
        return (created, skipped, wake.map { Date(timeIntervalSince1970: Double(max($0, nowSeconds))) })
    }

    /// Records the slot (deployment, time); false when it was recorded before.
    static func insertSlot(_ deploymentID: Int64, _ time: Int64, skipped: Bool, now: Date, _ db: SQLiteConnection) throws -> Bool {
        try db.run(
            """
            INSERT INTO schedule_slots (deployment_id, scheduled_time, flow_run_id, skipped, created_at) VALUES (?, ?, NULL, ?, ?)
            ON CONFLICT (deployment_id, scheduled_time) DO NOTHING
            """,
            [.int(deploymentID), .int(time), .int(skipped ? 1 : 0), now.sqlValue])
        return db.changes == 1
    }

    /// Records the `Late` state (once) of the runs that read as Late by ``RunTiming``'s rule with
    /// `grace`, so that their history says when; and says when the next one will be.
    func markLate(now: Date, grace: TimeInterval, _ db: SQLiteConnection) throws -> (Int, Date?) {
        let late = try lateRunRows(now: now, grace: grace, db).filter { $0.storedName != StateName.late }
        for run in late {
            let state = RunTiming.lateState(scheduledTime: run.scheduledTime, grace: grace, at: now)
            try apply(.flowRunState(FlowRunStateChange(flowRunID: run.id, state: state)), db)
        }
        let limit = now.timeIntervalSince1970 - grace
        let next = try db.query(
            """
            SELECT MIN(scheduled_time) FROM flow_runs
            WHERE state_type = 'scheduled' AND state_name = '\(StateName.scheduled)' AND deployment_id IS NOT NULL AND scheduled_time >= ?
            """, [.double(limit)]
        ) { $0.optionalDouble(0) }.first ?? nil
        return (late.count, next.map { Date(timeIntervalSince1970: $0 + grace + 0.001) })
    }

    /// Creates a run for every slot of a deployment's schedule from `start` through `end` that has
    /// none, skipped slots included; slots with a run are left alone, so a second backfill of the same
    /// range creates nothing. Returns the runs created and how many slots had one already.
    public func backfill(_ name: String, from start: Date, through end: Date, now: Date = Date(), limit: Int = 100_000) throws -> (created: [String], existing: Int) {
        guard start <= end else {
            throw BatonError(.invalidInput, "--from \(Timestamps.iso(start)) is after --to \(Timestamps.iso(end)): expected a range that moves forward")
        }
        let deployment = try self.deployment(named: name)
        guard let schedule = deployment.schedule else {
            throw BatonError(.invalidInput, "deployment '\(name)' has no schedule to backfill; give it one, or use `baton deployment run`")
        }
        let compiled = try CompiledSchedule(schedule, defaultStart: deployment.createdAt)
        let times = compiled.fireTimes(
            from: Int64(ceil(start.timeIntervalSince1970)), through: Int64(floor(end.timeIntervalSince1970)), limit: limit + 1)
        guard times.count <= limit else {
            throw BatonError(.invalidInput, "the range holds more than \(limit) fire times of '\(name)'; backfill a shorter range")
        }
        let result = try write { db -> ([String], Int) in
            var maker = RunMaker(store: self, deployment: deployment)
            var created: [String] = []
            for time in times {
                if let id = try maker.claimSlot(time, late: false, now: now, db) { created.append(id) }
            }
            return (created, times.count - created.count)
        }
        if !result.0.isEmpty { ring("runs") }
        return result
    }
}

/// Makes the runs of one deployment inside a scheduling transaction, resolving its version and
/// parameters once.
struct RunMaker {
    let store: SQLiteStore
    let deployment: DeploymentRecord
    private var resolved: (version: Int, parameters: [String: JSONValue]?, problem: String?)?

    init(store: SQLiteStore, deployment: DeploymentRecord) {
        self.store = store
        self.deployment = deployment
    }

    /// Takes the slot at `time` (a new one, or one recorded as skipped) and creates its run; nil
    /// when the slot already has a run.
    mutating func claimSlot(_ time: Int64, late: Bool, now: Date, _ db: SQLiteConnection) throws -> String? {
        if try !SQLiteStore.insertSlot(deployment.id, time, skipped: false, now: now, db) {
            let skipped = try db.scalar(
                "SELECT skipped FROM schedule_slots WHERE deployment_id = ? AND scheduled_time = ?", [.int(deployment.id), .int(time)])
            guard skipped == 1 else { return nil }
        }
        let id = try makeRun(time, late: late, now: now, db)
        try db.run(
            "UPDATE schedule_slots SET flow_run_id = ?, skipped = 0 WHERE deployment_id = ? AND scheduled_time = ?",
            [.text(id), .int(deployment.id), .int(time)])
        return id
    }

    private mutating func makeRun(_ time: Int64, late: Bool, now: Date, _ db: SQLiteConnection) throws -> String {
        if resolved == nil {
            let version = try SQLiteStore.versionNumber(of: deployment, db)
            do {
                resolved = (version, try SQLiteStore.versionRecord(of: deployment.flow, number: version, db).resolveRunParameters(deployment.parameters), nil)
            } catch let error as BatonError {
                resolved = (version, nil, error.message)
            }
        }
        let (version, parameters, problem) = resolved!
        let scheduledTime = Date(timeIntervalSince1970: Double(time))
        let state: RunState
        if let problem {
            state = RunState(.failed, message: "deployment '\(deployment.name)': \(problem)", at: now)
        } else if late {
            state = RunState(.scheduled, name: StateName.late, message: "caught up: its slot was missed while no scheduler ran", at: now)
        } else {
            state = RunState(.scheduled, at: now)
        }
        let run = NewFlowRun(
            flow: deployment.flow, version: version, parameters: parameters ?? deployment.parameters, state: state,
            deploymentID: deployment.id, scheduledTime: scheduledTime, pool: deployment.pool)
        try store.insertFlowRun(run, db)
        try db.run(
            "UPDATE flow_runs SET given_parameters = ? WHERE id = ?", [.text(JSONValue.object(deployment.parameters).jsonText), .text(run.id)])
        return run.id
    }
}
