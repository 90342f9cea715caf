import BatonCore
import Foundation

/// What the dashboard shows: runs by state over a period, by hour, recent failures and late runs.
public struct DashboardCounts: Sendable {
    public var byState: [String: Int] = [:]
    /// Counts by state for each hour from `since`, oldest first.
    public var hourly: [[String: Int]] = []
}

extension SQLiteStore {
    /// Flow runs created since `since`, counted by state, in all and for each of `hours` hours.
    public func dashboardCounts(since: Date, hours: Int) throws -> DashboardCounts {
        var counts = DashboardCounts(hourly: Array(repeating: [:], count: hours))
        let rows = try withConnection { db in
            try db.query(
                """
                SELECT CAST((created_at - ?) / 3600 AS INTEGER), state_type, count(*) FROM flow_runs
                WHERE created_at >= ? GROUP BY 1, 2
                """, [since.sqlValue, since.sqlValue]
            ) { (Int($0.int(0)), $0.text(1), Int($0.int(2))) }
        }
        for (hour, state, n) in rows {
            counts.byState[state, default: 0] += n
            if hour >= 0 && hour < hours { counts.hourly[hour][state, default: 0] += n }
        }
        return counts
    }

    /// The latest failed or crashed flow runs.
    public func recentFailures(limit: Int) throws -> [FlowRunRecord] {
        let failed = try flowRuns(FlowRunQuery(state: .failed, limit: limit))
        let crashed = try flowRuns(FlowRunQuery(state: .crashed, limit: limit))
        return Array((failed + crashed).sorted { $0.createdAt > $1.createdAt }.prefix(limit))
    }

    /// Scheduled runs marked Late: not started within the grace period of their time.
    public func lateRuns(limit: Int) throws -> [FlowRunRecord] {
        try withConnection { db in
            try db.query(
                "SELECT \(Self.runColumns) WHERE r.state_type = 'scheduled' AND r.state_name = 'Late' ORDER BY r.created_at DESC LIMIT ?",
                [.int(Int64(limit))], row: Self.run)
        }
    }
}
