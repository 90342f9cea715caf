import BatonCore
import Foundation

/// What `/metrics` reports of the store, read in one pass of small indexed queries.
public struct StoreMetrics: Sendable {
    /// Flow runs by state type, every state present (0 when none).
    public var runsByState: [String: Int] = [:]
    /// Task runs that completed (cached ones included), over the store's life.
    public var taskRunsCompleted = 0
    /// Scheduled runs that read as Late: not started within the grace period of their time.
    public var lateRuns = 0
    /// Runs due now and not yet claimed, by work pool.
    public var queueDepth: [String: Int] = [:]
    /// Workers that have not stopped, by work pool.
    public var liveWorkers: [String: Int] = [:]
    /// The database file and its write-ahead log, in bytes.
    public var sizeBytes = 0
}

extension SQLStore {
    /// The store's figures for `/metrics`, as of `now`.
    public func metrics(now: Date = Date()) throws -> StoreMetrics {
        var metrics = StoreMetrics()
        for state in StateType.allCases { metrics.runsByState[state.rawValue] = 0 }
        try withConnection { db in
            for (state, count) in try db.query("SELECT state_type, count(*) FROM flow_runs GROUP BY state_type", row: { ($0.text(0), Int($0.int(1))) }) {
                metrics.runsByState[state] = count
            }
            metrics.taskRunsCompleted = try db.query("SELECT count(*) FROM task_runs WHERE state_type = 'completed'") { Int($0.int(0)) }.first ?? 0
            metrics.lateRuns = try lateRunRows(now: now, db).count
            for (pool, count) in try db.query(
                """
                SELECT pool, count(*) FROM flow_runs
                WHERE pool IS NOT NULL AND state_type = 'scheduled' AND worker_id IS NULL AND scheduled_time <= ? GROUP BY pool
                """, [now.sqlValue], row: { ($0.text(0), Int($0.int(1))) })
            {
                metrics.queueDepth[pool] = count
            }
            for (pool, count) in try db.query("SELECT pool, count(*) FROM workers WHERE stopped_at IS NULL GROUP BY pool", row: { ($0.text(0), Int($0.int(1))) }) {
                metrics.liveWorkers[pool] = count
            }
        }
        metrics.sizeBytes = Int(try sizeInBytes())
        return metrics
    }
}
