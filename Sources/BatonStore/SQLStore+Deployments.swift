import BatonCore
import Foundation

/// Deployments as rows: reading, recording, changing and deleting them, and their runs that have not
/// started. What a deployment may be, and what pausing or following a version means, is the
/// application layer's (BatonServices); the slots are in `SQLStore+Slots.swift`.
extension SQLStore {
    // MARK: Reading

    static let deploymentColumns = """
        d.id, d.name, f.name, d.version, d.parameters, d.schedule, d.pool, d.catchup, d.max_active, d.paused,
        d.is_default, d.created_at, d.updated_at, d.scheduled_through, d.working_directory, p.name
        FROM deployments d JOIN flows f ON f.id = d.flow_id JOIN projects p ON p.id = d.project_id
        """

    static func deployment(_ row: SQLRow) throws -> DeploymentRecord {
        DeploymentRecord(
            id: row.int(0), name: row.text(1), flow: row.text(2), version: row.optionalInt(3).map(Int.init),
            parameters: (try? JSONValue(json: row.text(4)))?.objectValue ?? [:],
            schedule: try row.optionalText(5).map { try BatonCoding.decoder().decode(ScheduleSpec.self, from: Data($0.utf8)) },
            pool: row.text(6), catchup: row.int(7) != 0, maxActive: row.optionalInt(8).map(Int.init), paused: row.int(9) != 0,
            isDefault: row.int(10) != 0, createdAt: Date(sql: row.double(11)), updatedAt: Date(sql: row.double(12)),
            scheduledThrough: row.optionalInt(13).map { Date(timeIntervalSince1970: Double($0)) },
            workingDirectory: row.optionalText(14), project: row.text(15))
    }

    static func deployment(id: Int64, _ db: any SQLConnection) throws -> DeploymentRecord? {
        try db.query("SELECT \(deploymentColumns) WHERE d.id = ?", [.int(id)], row: deployment).first
    }

    public func deployments(flow: String? = nil, project: String?) throws -> [DeploymentRecord] {
        var conditions: [String] = []
        var values: [SQLValue] = []
        if let project {
            conditions.append("p.name = ?")
            values.append(.text(project))
        }
        if let flow {
            conditions.append("f.name = ?")
            values.append(.text(flow))
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try withConnection { db in
            try db.query("SELECT \(Self.deploymentColumns) \(filter) ORDER BY p.name, d.name", values, row: Self.deployment)
        }
    }

    public func deploymentRecord(named name: String, project: String) throws -> DeploymentRecord? {
        try withConnection { db in
            try db.query("SELECT \(Self.deploymentColumns) WHERE p.name = ? AND d.name = ?", [.text(project), .text(name)], row: Self.deployment).first
        }
    }

    public func deploymentCounts(id: Int64) throws -> DeploymentCounts {
        try withConnection { db in
            func count(_ sql: String) throws -> Int { Int(try db.scalar(sql, [.int(id)]) ?? 0) }
            return DeploymentCounts(
                active: try count("SELECT count(*) FROM flow_runs WHERE deployment_id = ? AND state_type IN ('pending', 'running', 'cancelling')"),
                scheduled: try count("SELECT count(*) FROM flow_runs WHERE deployment_id = ? AND state_type = 'scheduled'"),
                skipped: try count("SELECT count(*) FROM schedule_slots WHERE deployment_id = ? AND skipped = 1"))
        }
    }

    public func unstartedRuns(deploymentID: Int64) throws -> [UnstartedRun] {
        try withConnection { db in
            try db.query(
                """
                SELECT r.id, v.number, r.given_parameters FROM flow_runs r JOIN versions v ON v.id = r.version_id
                WHERE r.deployment_id = ? AND r.state_type = 'scheduled' AND r.worker_id IS NULL ORDER BY r.scheduled_time, r.id
                """, [.int(deploymentID)]
            ) { row in
                UnstartedRun(
                    id: row.text(0), version: Int(row.int(1)),
                    given: row.optionalText(2).flatMap { try? JSONValue(json: $0) }?.objectValue)
            }
        }
    }

    // MARK: Changing

    public func insertDeployment(_ new: NewDeployment, schedule: ScheduleSpec?, isDefault: Bool, now: Date) throws -> DeploymentRecord? {
        let inserted = try write { db -> Int64? in
            try Self.insertDeployment(new, schedule: schedule, isDefault: isDefault, now: now, db)
        }
        guard let inserted else { return nil }
        ring("deployments")
        return try withConnection { db in try Self.deployment(id: inserted, db) }
    }

    /// Inserts a deployment row and returns its id; nil when the name is taken.
    static func insertDeployment(_ new: NewDeployment, schedule: ScheduleSpec?, isDefault: Bool, now: Date, _ db: any SQLConnection) throws -> Int64? {
        let projectID = try Self.projectID(new.project, db)
        guard try db.scalar("SELECT count(*) FROM deployments WHERE project_id = ? AND name = ?", [.int(projectID), .text(new.name)]) ?? 0 == 0 else {
            return nil
        }
        guard let flowID = try db.scalar("SELECT id FROM flows WHERE project_id = ? AND name = ?", [.int(projectID), .text(new.flow)]) else {
            throw BatonError(.notFound, "no flow '\(new.flow)'")
        }
        let scheduleText = try schedule.map { String(decoding: try BatonCoding.encoder().encode($0), as: UTF8.self) }
        return try db.scalar(
            """
            INSERT INTO deployments (project_id, name, flow_id, version, parameters, schedule, pool, catchup, max_active, paused,
                                     is_default, created_at, updated_at, scheduled_through, working_directory)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?) RETURNING id
            """,
            [
                .int(projectID), .text(new.name), .int(flowID), new.version.map { .int(Int64($0)) } ?? .null,
                .text(JSONValue.object(new.parameters).jsonText), scheduleText.sqlValue, .text(new.pool),
                .int(new.catchup ? 1 : 0), new.maxActive.map { .int(Int64($0)) } ?? .null, .int(isDefault ? 1 : 0),
                now.sqlValue, now.sqlValue, .int(Int64(floor(now.timeIntervalSince1970))), new.workingDirectory.sqlValue,
            ])
    }

    public func updateDeployment(id: Int64, _ change: DeploymentChange) throws -> DeploymentRecord? {
        let updated = try write { db -> DeploymentRecord? in
            try Self.updateDeployment(id: id, change, db)
            return try Self.deployment(id: id, db)
        }
        if updated != nil { ring("deployments") }
        return updated
    }

    static func updateDeployment(id: Int64, _ change: DeploymentChange, _ db: any SQLConnection) throws {
        var sets = ["updated_at = ?"]
        var values: [SQLValue] = [change.updatedAt.sqlValue]
        if let paused = change.paused {
            sets.append("paused = ?")
            values.append(.int(paused ? 1 : 0))
        }
        if let schedule = change.schedule {
            sets.append("schedule = ?")
            values.append(try schedule.map { .text(String(decoding: try BatonCoding.encoder().encode($0), as: UTF8.self)) } ?? .null)
        }
        if let cursor = change.scheduledThrough {
            sets.append("scheduled_through = ?")
            values.append(.int(cursor))
        }
        try db.run("UPDATE deployments SET \(sets.joined(separator: ", ")) WHERE id = ?", values + [.int(id)])
    }

    public func deleteDeployment(id: Int64) throws {
        try write { db in
            _ = try Self.removeUnstartedRuns(of: id, db)
            try db.run("DELETE FROM schedule_slots WHERE deployment_id = ?", [.int(id)])
            try db.run("UPDATE flow_runs SET deployment_id = NULL WHERE deployment_id = ?", [.int(id)])
            try db.run("DELETE FROM deployments WHERE id = ?", [.int(id)])
        }
        ring("deployments")
    }

    public func removeUnstartedRuns(deploymentID: Int64) throws -> [String] {
        try write { db in try Self.removeUnstartedRuns(of: deploymentID, db) }
    }

    /// Removes the runs of a deployment that are scheduled and not claimed, with their slots.
    static func removeUnstartedRuns(of deploymentID: Int64, _ db: any SQLConnection) throws -> [String] {
        let ids = try db.query(
            "SELECT id FROM flow_runs WHERE deployment_id = ? AND state_type = 'scheduled' AND worker_id IS NULL",
            [.int(deploymentID)]
        ) { $0.text(0) }
        for id in ids {
            try db.run("DELETE FROM states WHERE flow_run_id = ?", [.text(id)])
            try db.run("DELETE FROM flow_runs WHERE id = ?", [.text(id)])
            try db.run("DELETE FROM schedule_slots WHERE deployment_id = ? AND flow_run_id = ?", [.int(deploymentID), .text(id)])
        }
        return ids
    }

    public func moveUnstartedRun(_ id: String, toVersion version: Int, parameters: [String: JSONValue]) throws -> Bool {
        try write { db in
            try db.run(
                """
                UPDATE flow_runs SET version_id = (SELECT v.id FROM versions v WHERE v.flow_id = flow_runs.flow_id AND v.number = ?),
                                     parameters = ?
                WHERE id = ? AND state_type = 'scheduled' AND worker_id IS NULL
                  AND EXISTS (SELECT 1 FROM versions v WHERE v.flow_id = flow_runs.flow_id AND v.number = ?)
                """,
                [.int(Int64(version)), .text(JSONValue.object(parameters).jsonText), .text(id), .int(Int64(version))])
            return db.changes == 1
        }
    }

    public func insertDeploymentRun(_ run: NewFlowRun, given: [String: JSONValue]) throws -> FlowRunRecord {
        let created = try write { db in
            try insertRun(run, given: given, db)
            return try Self.created(run.id, db)
        }
        ring("runs")
        return created
    }

    /// Inserts a run with the parameters it was given (read again when its deployment follows a new version).
    func insertRun(_ run: NewFlowRun, given: [String: JSONValue], _ db: any SQLConnection) throws {
        try insertFlowRun(run, db)
        try db.run("UPDATE flow_runs SET given_parameters = ? WHERE id = ?", [.text(JSONValue.object(given).jsonText), .text(run.id)])
    }
}
