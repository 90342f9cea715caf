import BatonCore
import Foundation

/// Where the live-events feed has read up to: the last state, log line and version it has seen.
public struct FeedPosition: Sendable, Hashable {
    public var stateID: Int64
    public var logID: Int64
    public var versionID: Int64

    public init(stateID: Int64, logID: Int64, versionID: Int64) {
        self.stateID = stateID
        self.logID = logID
        self.versionID = versionID
    }
}

/// What changed in the store since a feed position.
public struct FeedChanges: Sendable {
    /// Flow runs whose state changed, once each, in the order of their latest change.
    public var flowRunIDs: [String] = []
    public var logs: [LogRecord] = []
    public var versions: [VersionRecord] = []
    public var position: FeedPosition
    /// Whether a table was read up to the limit, so that more may follow past `position`. (Not
    /// `flowRunIDs.count`: a page of states names each run once, and may name far fewer runs.)
    public var more = false
}

/// The live-events feed reads the store's append-only tables (flow-run states, logs, versions) past a
/// position, so the server learns of changes made by any process on the store.
extension SQLStore {
    /// The end of each feed table now: a server starts streaming from here.
    public func feedPosition() throws -> FeedPosition {
        try withConnection { db in
            FeedPosition(
                stateID: try db.scalar("SELECT COALESCE(MAX(id), 0) FROM states") ?? 0,
                logID: try db.scalar("SELECT COALESCE(MAX(id), 0) FROM logs") ?? 0,
                versionID: try db.scalar("SELECT COALESCE(MAX(id), 0) FROM versions") ?? 0)
        }
    }

    /// Changes past `position`, at most `limit` states and `limit` log lines at a time.
    public func changes(after position: FeedPosition, limit: Int = 2000) throws -> FeedChanges {
        var changes = FeedChanges(position: position)
        let states = try withConnection { db in
            try db.query(
                "SELECT id, flow_run_id FROM states WHERE id > ? AND task_run_id IS NULL ORDER BY id LIMIT ?",
                [.int(position.stateID), .int(Int64(limit))]
            ) { ($0.int(0), $0.text(1)) }
        }
        if let last = states.last { changes.position.stateID = last.0 }
        var seen: Set<String> = []
        for (_, id) in states.reversed() where seen.insert(id).inserted { changes.flowRunIDs.append(id) }
        changes.flowRunIDs.reverse()

        changes.logs = try withConnection { db in
            try db.query(
                """
                SELECT id, flow_run_id, task_run_id, task_run_name, timestamp, level, message FROM logs
                WHERE id > ? ORDER BY id LIMIT ?
                """, [.int(position.logID), .int(Int64(limit))]
            ) { row in
                LogRecord(
                    id: row.int(0), flowRunID: row.text(1), taskRunID: row.optionalText(2), taskRunName: row.optionalText(3),
                    timestamp: Date(sql: row.double(4)), level: LogLevel(clamping: Int(row.int(5))), message: row.text(6))
            }
        }
        if let last = changes.logs.last { changes.position.logID = last.id }
        changes.more = states.count == limit || changes.logs.count == limit

        let versions = try withConnection { db in
            try db.query(
                """
                SELECT v.id, f.name, v.number, p.name FROM versions v JOIN flows f ON f.id = v.flow_id JOIN projects p ON p.id = f.project_id
                WHERE v.id > ? ORDER BY v.id
                """,
                [.int(position.versionID)]
            ) { ($0.int(0), $0.text(1), Int($0.int(2)), $0.text(3)) }
        }
        for (id, flow, number, project) in versions {
            changes.versions.append(try version(of: flow, number: number, project: project))
            changes.position.versionID = id
        }
        return changes
    }

    /// Flow runs that are under way: the feed watches their task runs.
    public func activeFlowRunIDs() throws -> [String] {
        try withConnection { db in
            try db.query(
                "SELECT id FROM flow_runs WHERE state_type IN ('pending', 'running', 'cancelling')", []
            ) { $0.text(0) }
        }
    }
}

extension SQLStore {
    /// The next scheduled run of each flow that has one.
    public func nextScheduledRuns(project: String) throws -> [String: Date] {
        try withConnection { db in
            let rows = try db.query(
                """
                SELECT f.name, MIN(r.scheduled_time) FROM flow_runs r JOIN flows f ON f.id = r.flow_id
                WHERE r.state_type = 'scheduled' AND r.scheduled_time IS NOT NULL AND f.project_id = \(Self.projectIDSQL) GROUP BY f.name
                """, [.text(project)]
            ) { ($0.text(0), Date(sql: $0.double(1))) }
            return Dictionary(rows, uniquingKeysWith: { a, _ in a })
        }
    }
}
