import BatonCore
import Foundation

/// Runs listed past or upcoming, and the runs that read as Late: the queries narrow, the rules of
/// `RunTiming` decide.
extension SQLStore {
    /// ``RunTiming/listTime(startTime:scheduledTime:createdAt:)`` in SQL, for a run aliased `r`; the
    /// indexes of migration 6 are on this expression.
    static let listTimeSQL = "COALESCE(r.start_time, r.scheduled_time, r.created_at)"
    /// ``RunTiming/isUpcoming(_:startTime:scheduledTime:now:)`` in SQL, with `now` bound to its `?`;
    /// never NULL, so that `NOT` of it holds for every other run.
    static let upcomingSQL = "(r.state_type = 'scheduled' AND r.start_time IS NULL AND r.scheduled_time IS NOT NULL AND r.scheduled_time > ?)"

    /// Flow runs matching `query`: past and all ones newest first by list time, upcoming ones soonest
    /// first by scheduled time; ties by id.
    public func flowRuns(_ query: FlowRunQuery) throws -> [FlowRunRecord] {
        try flowRuns(query, now: Date())
    }

    /// Flow runs matching `query` as they read at `now` (which runs are upcoming, which are late).
    public func flowRuns(_ query: FlowRunQuery, now: Date) throws -> [FlowRunRecord] {
        var conditions: [String] = []
        var parameters: [SQLValue] = []
        var source = ""
        if let project = query.project {
            conditions.append("r.project_id = \(Self.projectIDSQL)")
            parameters.append(.text(project))
        }
        if let flow = query.flow {
            conditions.append("f.name = ?")
            parameters.append(.text(flow))
        }
        if let version = query.version {
            conditions.append("v.number = ?")
            parameters.append(.int(Int64(version)))
        }
        if let state = query.state {
            conditions.append("r.state_type = ?")
            parameters.append(.text(state.rawValue))
        }
        if let deployment = query.deployment {
            conditions.append("d.name = ?")
            parameters.append(.text(deployment))
        }
        if let since = query.since {
            conditions.append("\(Self.listTimeSQL) >= ?")
            parameters.append(since.sqlValue)
        }
        if let until = query.until {
            conditions.append("\(Self.listTimeSQL) < ?")
            parameters.append(until.sqlValue)
        }
        switch query.when {
        case .past:
            conditions.append("NOT \(Self.upcomingSQL)")
            parameters.append(now.sqlValue)
        case .upcoming:
            // The runs ahead are few (at most a deployment's maximum each): they are gathered first,
            // so that a filter on a flow with many past runs does not walk them all.
            source = "WITH upcoming AS MATERIALIZED (SELECT * FROM flow_runs r WHERE \(Self.upcomingSQL)) "
            parameters.insert(now.sqlValue, at: 0)
        case .all:
            break
        }
        let order: String
        if query.when == .upcoming {
            if let cursor = query.after {
                conditions.append("r.scheduled_time >= ? AND (r.scheduled_time > ? OR r.id > ?)")
                parameters += [.double(cursor.time), .double(cursor.time), .text(cursor.id)]
            }
            order = "r.scheduled_time, r.id"
        } else {
            if let cursor = query.after {
                // A range on the list time the indexes can walk, then the tie-break on id.
                conditions.append("\(Self.listTimeSQL) <= ? AND (\(Self.listTimeSQL) < ? OR r.id < ?)")
                parameters += [.double(cursor.time), .double(cursor.time), .text(cursor.id)]
            }
            order = "\(Self.listTimeSQL) DESC, r.id DESC"
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        parameters.append(.int(Int64(max(1, query.limit))))
        return try withConnection { db in
            let columns = source.isEmpty ? Self.runColumns : Self.runColumns(from: "upcoming")
            return try db.query("\(source)SELECT \(columns) \(filter) ORDER BY \(order) LIMIT ?", parameters) { try Self.storedRun($0).shown(now: now) }
        }
    }

    /// Runs that read as `Late` at `now` (marked so, or past their time by more than `grace`), the
    /// latest scheduled first, with the name of their stored state and their scheduled time.
    func lateRunRows(now: Date, grace: TimeInterval = RunTiming.lateGrace, _ db: any SQLConnection) throws
        -> [(id: String, storedName: String, scheduledTime: Date)]
    {
        try db.query(
            """
            SELECT id, state_name, scheduled_time, created_at FROM flow_runs
            WHERE state_type = 'scheduled' AND start_time IS NULL AND deployment_id IS NOT NULL AND scheduled_time IS NOT NULL
              AND (state_name = '\(StateName.late)' OR scheduled_time < ?)
            ORDER BY scheduled_time DESC, id DESC
            """, [.double(now.timeIntervalSince1970 - grace)]
        ) { row in
            (id: row.text(0), storedName: row.text(1), scheduledTime: Date(sql: row.double(2)), createdAt: Date(sql: row.double(3)))
        }.filter { run in
            let stored = RunState(.scheduled, name: run.storedName)
            let shown = RunTiming.shownState(stored, scheduledTime: run.scheduledTime, createdAt: run.createdAt, ofDeployment: true, now: now, grace: grace)
            return shown.name == StateName.late
        }.map { (id: $0.id, storedName: $0.storedName, scheduledTime: $0.scheduledTime) }
    }

    /// A project's runs that read as `Late` now, the latest scheduled first.
    public func lateRuns(project: String, limit: Int, now: Date = Date()) throws -> [FlowRunRecord] {
        try withConnection { db in
            var runs: [FlowRunRecord] = []
            for late in try lateRunRows(now: now, db) where runs.count < limit {
                runs += try db.query("SELECT \(Self.runColumns) WHERE r.id = ? AND p.name = ?", [.text(late.id), .text(project)]) {
                    try Self.storedRun($0).shown(now: now)
                }
            }
            return runs
        }
    }

    /// A project's next upcoming runs (soonest first) and how many there are in all.
    public func upcomingRuns(project: String, limit: Int, now: Date = Date()) throws -> (runs: [FlowRunRecord], count: Int) {
        let runs = try flowRuns(FlowRunQuery(when: .upcoming, limit: limit, project: project), now: now)
        let count = try withConnection { db in
            try db.scalar(
                "SELECT count(*) FROM flow_runs r WHERE \(Self.upcomingSQL) AND r.project_id = \(Self.projectIDSQL)", [now.sqlValue, .text(project)]
            ) ?? 0
        }
        return (runs, Int(count))
    }
}
