import BatonCore
import BatonProcess
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension SQLiteStore {
    // MARK: Workers

    /// Records a worker process of `pool`. A worker on this machine takes the lock named after `id`
    /// first, so that nobody watching finds it announced but unlocked (and so taken for dead).
    public func registerWorker(
        id: String = RunID.random(), name: String, pool: String, limit: Int, process: ProcessIdentity = .current, now: Date = Date()
    ) throws -> WorkerRecord {
        try DeploymentNames.validate(pool, what: "pool name")
        try write { db in
            try db.run(
                """
                INSERT INTO workers (id, name, pool, host, pid, process_start, run_limit, started_at, heartbeat_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(id), .text(name), .text(pool), .text(Self.hostName), .int(Int64(process.pid)), .text(process.start),
                 .int(Int64(limit)), now.sqlValue, now.sqlValue])
        }
        ring("workers")
        return try worker(id)
    }

    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Records that a worker lives. A worker that was recorded as stopped while it lived (taken for
    /// gone: paused past its heartbeats, or seen by another host as silent) is announced again, so
    /// that it is watched again and its runs are still crashed when it really dies; returns whether
    /// that happened.
    @discardableResult
    public func heartbeat(workerID: String, now: Date = Date()) throws -> Bool {
        let revived = try write { db -> Bool in
            try db.run("UPDATE workers SET heartbeat_at = ? WHERE id = ?", [now.sqlValue, .text(workerID)])
            let stopped = try db.query("SELECT stopped_at IS NOT NULL FROM workers WHERE id = ?", [.text(workerID)]) { $0.int(0) != 0 }.first ?? false
            if stopped { try db.run("UPDATE workers SET stopped_at = NULL WHERE id = ?", [.text(workerID)]) }
            return stopped
        }
        if revived { ring("workers") }
        return revived
    }

    public func stopWorker(workerID: String, now: Date = Date()) throws {
        try write { db in
            try db.run("UPDATE workers SET stopped_at = ? WHERE id = ? AND stopped_at IS NULL", [now.sqlValue, .text(workerID)])
        }
        ring("workers")
    }

    static let workerColumns = """
        w.id, w.name, w.pool, w.host, w.pid, w.process_start, w.run_limit, w.started_at, w.heartbeat_at, w.stopped_at,
        (SELECT count(*) FROM flow_runs r WHERE r.worker_id = w.id AND r.state_type IN ('scheduled', 'pending', 'running', 'cancelling'))
        FROM workers w
        """

    static func worker(_ row: SQLiteConnection.Row) throws -> WorkerRecord {
        WorkerRecord(
            id: row.text(0), name: row.text(1), pool: row.text(2), host: row.text(3), pid: Int32(row.int(4)), processStart: row.text(5),
            limit: Int(row.int(6)), startedAt: Date(sql: row.double(7)), heartbeatAt: Date(sql: row.double(8)),
            stoppedAt: row.optionalDouble(9).map(Date.init(sql:)), activeRuns: Int(row.int(10)))
    }

    public func worker(_ id: String) throws -> WorkerRecord {
        guard let found = try withConnection({ db in try db.query("SELECT \(Self.workerColumns) WHERE w.id = ?", [.text(id)], row: Self.worker).first }) else {
            throw BatonError(.notFound, "no worker '\(id)'")
        }
        return found
    }

    /// Workers, running ones first, then the most recently stopped.
    public func workers(includeStopped: Bool = true, limit: Int = 50) throws -> [WorkerRecord] {
        try withConnection { db in
            try db.query(
                "SELECT \(Self.workerColumns) \(includeStopped ? "" : "WHERE w.stopped_at IS NULL") ORDER BY w.stopped_at IS NOT NULL, w.started_at DESC LIMIT ?",
                [.int(Int64(limit))], row: Self.worker)
        }
    }

    // MARK: Claiming

    /// Claims the earliest run of `pool` due by `now + lead` for a worker, atomically: the run moves
    /// from `scheduled` to `pending` with the worker's id in one transaction, so two workers never
    /// claim the same run. Runs of a deployment at its `maxActive` wait.
    public func claimRun(pool: String, workerID: String, now: Date = Date(), lead: TimeInterval = 0) throws -> FlowRunRecord? {
        let id = try write { db -> String? in
            let candidates = try db.query(
                """
                SELECT r.id FROM flow_runs r LEFT JOIN deployments d ON d.id = r.deployment_id
                WHERE r.pool = ? AND r.state_type = 'scheduled' AND r.worker_id IS NULL AND r.scheduled_time <= ?
                  AND (d.max_active IS NULL OR (SELECT count(*) FROM flow_runs a WHERE a.deployment_id = r.deployment_id
                                                 AND a.state_type IN ('pending', 'running', 'cancelling')) < d.max_active)
                ORDER BY r.scheduled_time, r.created_at LIMIT 1
                """, [.text(pool), .double(now.timeIntervalSince1970 + lead)]
            ) { $0.text(0) }
            guard let id = candidates.first else { return nil }
            try db.run(
                "UPDATE flow_runs SET worker_id = ?, supervisor_pid = NULL, supervisor_start = NULL WHERE id = ?", [.text(workerID), .text(id)])
            let resuming = try db.query("SELECT state_name FROM flow_runs WHERE id = ?", [.text(id)]) { $0.text(0) }.first == StateName.resuming
            try apply(
                .flowRunState(
                    FlowRunStateChange(
                        flowRunID: id, state: RunState(.pending, name: resuming ? StateName.resuming : StateName.pending, message: "claimed by a worker", at: now))),
                db)
            return id
        }
        return try id.map { try flowRun($0) }
    }

    /// Hands a flow run to the workers of `pool` now: a new run (`scheduled`, due at once), or a
    /// failed, crashed or cancelled run resumed as its next attempt (named Resuming, so the worker
    /// that claims it reuses the earlier attempts' completed task results).
    public func enqueue(_ run: NewFlowRun, pool: String, now: Date = Date()) throws -> FlowRunRecord {
        var run = run
        run.state = RunState(.scheduled, at: now)
        run.scheduledTime = now
        run.pool = pool
        let record = try createFlowRun(run)
        ring("runs")
        return record
    }

    /// See `enqueue(_:pool:now:)`.
    public func enqueueResume(flowRunID: String, pool: String, now: Date = Date()) throws -> FlowRunRecord {
        let run = try resumableRun(flowRunID)
        try write { db in
            try db.run(
                "UPDATE flow_runs SET worker_id = NULL, pool = ?, scheduled_time = ?, supervisor_pid = NULL, supervisor_start = NULL WHERE id = ?",
                [.text(run.pool ?? pool), now.sqlValue, .text(run.id)])
            try apply(
                .flowRunState(
                    FlowRunStateChange(
                        flowRunID: run.id, state: RunState(.scheduled, name: StateName.resuming, message: "attempt \(run.attempt + 1)", at: now),
                        attempt: run.attempt + 1)), db)
        }
        ring("runs")
        return try flowRun(run.id)
    }

    /// When the next run of `pool` that a worker could claim is due, if any: runs waiting for their
    /// deployment's `maxActive` are not counted (a run finishing rings `finished`).
    public func nextDueTime(pool: String) throws -> Date? {
        try withConnection { db in
            try db.query(
                """
                SELECT MIN(r.scheduled_time) FROM flow_runs r LEFT JOIN deployments d ON d.id = r.deployment_id
                WHERE r.pool = ? AND r.state_type = 'scheduled' AND r.worker_id IS NULL
                  AND (d.max_active IS NULL OR (SELECT count(*) FROM flow_runs a WHERE a.deployment_id = r.deployment_id
                                                 AND a.state_type IN ('pending', 'running', 'cancelling')) < d.max_active)
                """, [.text(pool)]
            ) { $0.optionalDouble(0) }.first?.map { Date(timeIntervalSince1970: $0) }
        }
    }

    // MARK: Failure and retries

    /// A worker that stopped without saying so (its process is gone, or it stopped heartbeating): its
    /// runs that are not over become `crashed` with `reason` as their message, with their slots given back, and each is scheduled
    /// again when its flow has retries left. Returns the runs it crashed.
    @discardableResult
    public func reapWorker(_ workerID: String, reason: String, now: Date = Date()) throws -> [String] {
        let runs = try write { db -> [String] in
            try db.run("UPDATE workers SET stopped_at = COALESCE(stopped_at, ?) WHERE id = ?", [now.sqlValue, .text(workerID)])
            return try db.query(
                "SELECT id FROM flow_runs WHERE worker_id = ? AND state_type IN ('pending', 'running', 'cancelling')", [.text(workerID)]
            ) { $0.text(0) }
        }
        for id in runs {
            try markCrashed(flowRunID: id, message: reason)
            _ = try retryIfAllowed(flowRunID: id, now: now)
        }
        ring("workers")
        if !runs.isEmpty { ring("finished") }
        return runs
    }

    /// Schedules a crashed run again, as its next attempt, when its flow's retries allow: `scheduled`,
    /// named AwaitingRetry, due after the flow's retry delay, for the workers of its pool (or of
    /// `pool` when it had none: a `baton run` that died). Returns whether it did; of two callers for
    /// one crash, only one does.
    public func retryIfAllowed(flowRunID: String, pool: String? = nil, now: Date = Date()) throws -> Bool {
        let run = try flowRun(flowRunID)
        guard run.state.type == .crashed, let target = run.pool ?? pool else { return false }
        let options = try version(of: run.flow, number: run.version).manifest.options ?? FlowOptionsSpec()
        guard run.attempt <= options.retries else { return false }
        let delay = options.retryPolicy.delay(beforeRetry: run.attempt, random: Double.random(in: 0..<1))
        let message = "attempt \(run.attempt) of \(options.retries + 1) crashed (\(run.state.message ?? "no message")); retrying"
        let retried = try write { db -> Bool in
            let still = try db.query("SELECT state_type, attempt FROM flow_runs WHERE id = ?", [.text(flowRunID)]) {
                $0.text(0) == StateType.crashed.rawValue && Int($0.int(1)) == run.attempt
            }.first ?? false
            guard still else { return false }
            try db.run(
                """
                UPDATE flow_runs SET worker_id = NULL, pool = ?, scheduled_time = ?, end_time = NULL, supervisor_pid = NULL,
                  supervisor_start = NULL WHERE id = ?
                """,
                [.text(target), .double(now.timeIntervalSince1970 + delay), .text(flowRunID)])
            try apply(
                .flowRunState(FlowRunStateChange(
                    flowRunID: flowRunID, state: RunState(.scheduled, name: StateName.awaitingRetry, message: message, at: now),
                    attempt: run.attempt + 1)), db)
            return true
        }
        if retried { ring("runs") }
        return retried
    }

    // MARK: Supervisors

    /// Records a new flow run and the process that will supervise it (one that already holds the
    /// run's lock) in one transaction: a run is never seen without a supervisor to watch, so one whose
    /// `baton run` dies right after creating it is crashed by the next sweep.
    public func createFlowRun(_ run: NewFlowRun, supervisedBy supervisor: ProcessIdentity) throws -> FlowRunRecord {
        try write { db in
            try insertFlowRun(run, db)
            try db.run(
                "UPDATE flow_runs SET supervisor_pid = ?, supervisor_start = ? WHERE id = ?",
                [.int(Int64(supervisor.pid)), .text(supervisor.start), .text(run.id)])
        }
        return try flowRun(run.id)
    }

    /// The runs that are not over and name the process supervising them, with the attempt it
    /// supervises (its lock file is named after both).
    public func supervisedRuns() throws -> [SupervisedRun] {
        try withConnection { db in
            try db.query(
                """
                SELECT id, attempt, supervisor_pid, supervisor_start FROM flow_runs
                WHERE state_type IN ('pending', 'running', 'cancelling') AND supervisor_pid IS NOT NULL AND supervisor_start IS NOT NULL
                """, []
            ) { SupervisedRun(flowRunID: $0.text(0), attempt: Int($0.int(1)), supervisor: ProcessIdentity(pid: Int32($0.int(2)), start: $0.text(3))) }
        }
    }

    /// Crashes a run whose supervisor was found gone, if that process still supervises it and it is
    /// not over; returns whether this caller did (of several finding the same death, one does).
    public func crashOrphan(_ run: SupervisedRun, message: String) throws -> Bool {
        let mine = try write { db -> Bool in
            let still = try db.query(
                "SELECT state_type, supervisor_pid, supervisor_start, attempt FROM flow_runs WHERE id = ?", [.text(run.flowRunID)]
            ) { row in
                !(StateType(rawValue: row.text(0))?.isFinal ?? true) && !row.isNull(1) && Int32(row.int(1)) == run.supervisor.pid
                    && row.text(2) == run.supervisor.start && Int(row.int(3)) == run.attempt
            }.first ?? false
            if still { try db.run("UPDATE flow_runs SET supervisor_pid = NULL, supervisor_start = NULL WHERE id = ?", [.text(run.flowRunID)]) }
            return still
        }
        guard mine else { return false }
        try markCrashed(flowRunID: run.flowRunID, message: message)
        ring("finished")
        return true
    }
}

/// A run that is not over and the process that supervises it (see `SQLiteStore.supervisedRuns()`).
public struct SupervisedRun: Sendable, Hashable {
    public var flowRunID: String
    public var attempt: Int
    public var supervisor: ProcessIdentity
}

extension WorkerRecord {
    /// Why the runs of this worker are crashed when it dies, whoever notices first.
    public var goneReason: String { "its worker stopped: worker '\(name)' (pid \(pid)) is gone" }
}

extension ProcessIdentity {
    /// The process a worker's record names.
    public init(of worker: WorkerRecord) {
        self.init(pid: worker.pid, start: worker.processStart)
    }
}
