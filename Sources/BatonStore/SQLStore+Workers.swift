import BatonCore
import BatonProcess
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension SQLStore {
    // MARK: Workers

    public func insertWorker(_ new: NewWorker) throws -> WorkerRecord {
        try write { db in
            try db.run(
                """
                INSERT INTO workers (id, name, pool, host, pid, process_start, run_limit, started_at, heartbeat_at, heartbeat_seconds)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(new.id), .text(new.name), .text(new.pool), .text(new.process.host ?? ProcessIdentity.localHost), .int(Int64(new.process.pid)),
                 .text(new.process.start), .int(Int64(new.limit)), new.now.sqlValue, new.now.sqlValue, .double(new.heartbeat)])
        }
        ring("workers")
        guard let recorded = try workerRecord(new.id) else { throw BatonError(.notFound, "no worker '\(new.id)'") }
        return recorded
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
        w.heartbeat_seconds, (SELECT count(*) FROM flow_runs r WHERE r.worker_id = w.id AND r.state_type IN ('scheduled', 'pending', 'running', 'cancelling'))
        FROM workers w
        """

    static func worker(_ row: SQLRow) throws -> WorkerRecord {
        WorkerRecord(
            id: row.text(0), name: row.text(1), pool: row.text(2), host: row.text(3), pid: Int32(row.int(4)), processStart: row.text(5),
            limit: Int(row.int(6)), startedAt: Date(sql: row.double(7)), heartbeatAt: Date(sql: row.double(8)),
            stoppedAt: row.optionalDouble(9).map(Date.init(sql:)), heartbeatSeconds: row.optionalDouble(10), activeRuns: Int(row.int(11)))
    }

    public func workerRecord(_ id: String) throws -> WorkerRecord? {
        try withConnection { db in try db.query("SELECT \(Self.workerColumns) WHERE w.id = ?", [.text(id)], row: Self.worker).first }
    }

    public func openRuns(workerID: String) throws -> [String] {
        try withConnection { db in
            try db.query(
                "SELECT id FROM flow_runs WHERE worker_id = ? AND state_type IN ('pending', 'running', 'cancelling')", [.text(workerID)]
            ) { $0.text(0) }
        }
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

    /// See ``WorkerStore/claimRun(_:)``: the run moves from `scheduled` to the state the claim gives
    /// with the worker's id in one transaction, so two workers never claim the same run.
    public func claimRun(_ claim: RunClaim) throws -> FlowRunRecord? {
        let id = try write { db -> String? in
            let candidates = try db.query(
                """
                SELECT r.id, r.state_type, r.state_name, r.state_message, r.state_time
                FROM flow_runs r LEFT JOIN deployments d ON d.id = r.deployment_id
                WHERE r.pool = ? AND r.state_type = 'scheduled' AND r.worker_id IS NULL AND r.scheduled_time <= ?
                  AND (CAST(? AS TEXT) IS NULL OR r.project_id = \(Self.projectIDSQL))
                  AND (d.max_active IS NULL OR (SELECT count(*) FROM flow_runs a WHERE a.deployment_id = r.deployment_id
                                                 AND a.state_type IN ('pending', 'running', 'cancelling')) < d.max_active)
                ORDER BY r.scheduled_time, r.created_at LIMIT 1
                """, [.text(claim.pool), claim.dueBy.sqlValue, claim.project.sqlValue, claim.project.sqlValue]
            ) { row in
                (row.text(0), RunState(
                    StateType(rawValue: row.text(1)) ?? .scheduled, name: row.text(2), message: row.optionalText(3),
                    at: Date(sql: row.double(4))))
            }
            guard let (id, stored) = candidates.first else { return nil }
            try db.run(
                "UPDATE flow_runs SET worker_id = ?, supervisor_pid = NULL, supervisor_start = NULL WHERE id = ?",
                [.text(claim.workerID), .text(id)])
            try apply(.flowRunState(FlowRunStateChange(flowRunID: id, state: claim.pending(stored))), db)
            return id
        }
        return try id.map { try flowRun($0, project: nil) }
    }

    /// When the next run of `pool` that a worker could claim is due, if any: runs waiting for their
    /// deployment's `maxActive` are not counted (a run finishing rings `finished`).
    public func nextDueTime(pool: String, project: String? = nil) throws -> Date? {
        try withConnection { db in
            try db.query(
                """
                SELECT MIN(r.scheduled_time) FROM flow_runs r LEFT JOIN deployments d ON d.id = r.deployment_id
                WHERE r.pool = ? AND r.state_type = 'scheduled' AND r.worker_id IS NULL
                  AND (CAST(? AS TEXT) IS NULL OR r.project_id = \(Self.projectIDSQL))
                  AND (d.max_active IS NULL OR (SELECT count(*) FROM flow_runs a WHERE a.deployment_id = r.deployment_id
                                                 AND a.state_type IN ('pending', 'running', 'cancelling')) < d.max_active)
                """, [.text(pool), project.sqlValue, project.sqlValue]
            ) { $0.optionalDouble(0) }.first?.map { Date(timeIntervalSince1970: $0) }
        }
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
                [.int(Int64(supervisor.pid)), .text(supervisor.stored), .text(run.id)])
        }
        return try flowRun(run.id, project: nil)
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
            ) { SupervisedRun(flowRunID: $0.text(0), attempt: Int($0.int(1)), supervisor: ProcessIdentity(pid: Int32($0.int(2)), stored: $0.text(3))) }
        }
    }
}

extension WorkerRecord {
    /// Why the runs of this worker are crashed when it dies, whoever notices first.
    public var goneReason: String { "its worker stopped: worker '\(name)' (pid \(pid)) is gone" }
}

extension ProcessIdentity {
    /// The process a worker's record names.
    public init(of worker: WorkerRecord) {
        self.init(pid: worker.pid, start: worker.processStart, host: worker.host)
    }
}
