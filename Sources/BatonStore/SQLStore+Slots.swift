import BatonCore
import Foundation

/// Scheduling slots: one row per (deployment, fire time), the table's primary key, so that a fire
/// time gets its run once whichever scheduler writes it. The scheduler (BatonSchedule) decides
/// which slots to write; this only writes them, in one transaction per batch.
extension SQLStore {
    public func slotSummary(deploymentID: Int64, after: Int64) throws -> SlotSummary {
        try withConnection { db in
            let row = try db.query(
                "SELECT count(*), MIN(scheduled_time) FROM schedule_slots WHERE deployment_id = ? AND scheduled_time > ?",
                [.int(deploymentID), .int(after)]
            ) { (Int($0.int(0)), $0.optionalInt(1)) }.first
            return SlotSummary(ahead: row?.0 ?? 0, earliest: row?.1 ?? nil)
        }
    }

    public func claimSlots(_ batch: SlotBatch) throws -> SlotBatchResult {
        let result = try write { db -> SlotBatchResult in
            guard let deployment = try Self.deployment(id: batch.deploymentID, db) else { return SlotBatchResult(stale: true) }
            if let expected = batch.expectedCursor, deployment.paused || deployment.cursor != expected {
                return SlotBatchResult(stale: true)
            }
            var result = SlotBatchResult()
            for claim in batch.claims {
                let id = batch.deploymentID
                if let run = claim.run {
                    if try !Self.insertSlot(id, claim.time, skipped: false, now: batch.now, db) {
                        let skipped = try db.scalar(
                            "SELECT skipped FROM schedule_slots WHERE deployment_id = ? AND scheduled_time = ?", [.int(id), .int(claim.time)])
                        guard skipped == 1 else {
                            result.existing += 1
                            continue
                        }
                    }
                    try insertRun(run, given: claim.given, db)
                    try db.run(
                        "UPDATE schedule_slots SET flow_run_id = ?, skipped = 0 WHERE deployment_id = ? AND scheduled_time = ?",
                        [.text(run.id), .int(id), .int(claim.time)])
                    result.created.append(run.id)
                } else if try Self.insertSlot(id, claim.time, skipped: true, now: batch.now, db) {
                    result.skipped += 1
                }
            }
            if let cursor = batch.newCursor {
                try db.run("UPDATE deployments SET scheduled_through = ? WHERE id = ?", [.int(cursor), .int(batch.deploymentID)])
            }
            return result
        }
        if !result.created.isEmpty { ring("runs") }
        return result
    }

    /// Records the slot (deployment, time); false when it was recorded before.
    static func insertSlot(_ deploymentID: Int64, _ time: Int64, skipped: Bool, now: Date, _ db: any SQLConnection) throws -> Bool {
        try db.run(
            """
            INSERT INTO schedule_slots (deployment_id, scheduled_time, flow_run_id, skipped, created_at) VALUES (?, ?, NULL, ?, ?)
            ON CONFLICT (deployment_id, scheduled_time) DO NOTHING
            """,
            [.int(deploymentID), .int(time), .int(skipped ? 1 : 0), now.sqlValue])
        return db.changes == 1
    }

    // MARK: Late candidates

    public func scheduledRuns(named name: String, scheduledBefore before: Date) throws -> [FlowRunRecord] {
        try withConnection { db in
            try db.query(
                """
                SELECT \(Self.runColumns) WHERE r.state_type = 'scheduled' AND r.state_name = ? AND r.start_time IS NULL
                  AND r.deployment_id IS NOT NULL AND r.scheduled_time IS NOT NULL AND r.scheduled_time < ?
                ORDER BY r.scheduled_time DESC, r.id DESC
                """, [.text(name), before.sqlValue], row: Self.storedRun)
        }
    }

    public func earliestScheduled(named name: String, from: Date) throws -> Date? {
        try withConnection { db in
            try db.query(
                """
                SELECT MIN(scheduled_time) FROM flow_runs
                WHERE state_type = 'scheduled' AND state_name = ? AND deployment_id IS NOT NULL AND scheduled_time >= ?
                """, [.text(name), from.sqlValue]
            ) { $0.optionalDouble(0) }.first?.map(Date.init(sql:))
        }
    }

    public func recordScheduledState(_ id: String, ifNamed name: String, _ state: RunState) throws -> Bool {
        try write { db in
            let current = try db.scalar(
                "SELECT count(*) FROM flow_runs WHERE id = ? AND state_type = 'scheduled' AND state_name = ? AND start_time IS NULL",
                [.text(id), .text(name)])
            guard current == 1 else { return false }
            try apply(.flowRunState(FlowRunStateChange(flowRunID: id, state: state)), db)
            return true
        }
    }
}
