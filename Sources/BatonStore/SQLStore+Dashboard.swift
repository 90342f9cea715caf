import BatonCore
import Foundation

/// What the dashboard counts: runs by state over a period, in all and by hour.
public struct DashboardCounts: Sendable {
    public var byState: [String: Int] = [:]
    /// Counts by state for each hour from `since`, oldest first.
    public var hourly: [[String: Int]] = []
}

extension SQLStore {
    /// Flow runs that ran since `since` (by list time: started then, or due then and not started),
    /// counted by state, in all and for each of `hours` hours. Upcoming runs are not counted: they
    /// have not happened.
    public func dashboardCounts(project: String, since: Date, hours: Int, now: Date = Date()) throws -> DashboardCounts {
        var counts = DashboardCounts(hourly: Array(repeating: [:], count: hours))
        let rows = try withConnection { db in
            try db.query(
                """
                SELECT \(db.dialect.integerPart("(\(Self.listTimeSQL) - ?) / 3600")), r.state_type, count(*) FROM flow_runs r
                WHERE r.project_id = \(Self.projectIDSQL) AND \(Self.listTimeSQL) >= ? AND NOT \(Self.upcomingSQL) GROUP BY 1, 2
                """, [since.sqlValue, .text(project), since.sqlValue, now.sqlValue]
            ) { (Int($0.int(0)), $0.text(1), Int($0.int(2))) }
        }
        for (hour, state, n) in rows {
            counts.byState[state, default: 0] += n
            if hour >= 0 && hour < hours { counts.hourly[hour][state, default: 0] += n }
        }
        return counts
    }
}
