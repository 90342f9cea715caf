import BatonCore
import Foundation

extension SQLiteStore {
    // MARK: Reading

    static let deploymentColumns = """
        d.id, d.name, f.name, d.version, d.parameters, d.schedule, d.pool, d.catchup, d.max_active, d.paused,
        d.is_default, d.created_at, d.updated_at, d.scheduled_through, d.working_directory
        FROM deployments d JOIN flows f ON f.id = d.flow_id
        """

    static func deployment(_ row: SQLiteConnection.Row) throws -> DeploymentRecord {
        DeploymentRecord(
            id: row.int(0), name: row.text(1), flow: row.text(2), version: row.optionalInt(3).map(Int.init),
            parameters: (try? JSONValue(json: row.text(4)))?.objectValue ?? [:],
            schedule: try row.optionalText(5).map { try BatonCoding.decoder().decode(ScheduleSpec.self, from: Data($0.utf8)) },
            pool: row.text(6), catchup: row.int(7) != 0, maxActive: row.optionalInt(8).map(Int.init), paused: row.int(9) != 0,
            isDefault: row.int(10) != 0, createdAt: Date(sql: row.double(11)), updatedAt: Date(sql: row.double(12)),
            scheduledThrough: row.optionalInt(13).map { Date(timeIntervalSince1970: Double($0)) },
            workingDirectory: row.optionalText(14))
    }

    /// Every deployment, of one flow or all, by name.
    public func deployments(flow: String? = nil) throws -> [DeploymentRecord] {
        try withConnection { db in
            if let flow {
                return try db.query("SELECT \(Self.deploymentColumns) WHERE f.name = ? ORDER BY d.name", [.text(flow)], row: Self.deployment)
            }
            return try db.query("SELECT \(Self.deploymentColumns) ORDER BY d.name", row: Self.deployment)
        }
    }

    /// A deployment by name; throws `notFound` naming the ones that exist.
    public func deployment(named name: String) throws -> DeploymentRecord {
        try withConnection { db in try Self.deployment(named: name, db) }
    }

    static func deployment(named name: String, _ db: SQLiteConnection) throws -> DeploymentRecord {
        if let found = try db.query("SELECT \(deploymentColumns) WHERE d.name = ?", [.text(name)], row: deployment).first {
            return found
        }
        let names = try db.query("SELECT name FROM deployments ORDER BY name") { $0.text(0) }
        throw BatonError(
            .notFound,
            "no deployment '\(name)'; "
                + (names.isEmpty ? "none exist yet (create one with `baton deployment create <flow> --name NAME`)" : "deployments: \(names.joined(separator: ", "))"))
    }

    /// How many runs of a deployment are pending, running or cancelling.
    public func activeRuns(deployment name: String) throws -> Int {
        try withConnection { db in
            Int(try db.scalar(
                """
                SELECT count(*) FROM flow_runs r JOIN deployments d ON d.id = r.deployment_id
                WHERE d.name = ? AND r.state_type IN ('pending', 'running', 'cancelling')
                """, [.text(name)]) ?? 0)
        }
    }

    /// A deployment's view for `--json` and the API: its next fire times and its runs counted.
    public func deploymentView(_ d: DeploymentRecord, nextCount: Int = 5, now: Date = Date()) throws -> DeploymentView {
        let scheduled = try withConnection { db in
            Int(try db.scalar(
                "SELECT count(*) FROM flow_runs WHERE deployment_id = ? AND state_type = 'scheduled'", [.int(d.id)]) ?? 0)
        }
        return DeploymentView(
            d, activeRuns: try activeRuns(deployment: d.name), scheduledRuns: scheduled,
            skippedSlots: try skippedSlots(deployment: d.name), nextCount: nextCount, now: now)
    }

    /// Slots recorded as skipped for a deployment.
    public func skippedSlots(deployment name: String) throws -> Int {
        try withConnection { db in
            Int(try db.scalar(
                "SELECT count(*) FROM schedule_slots s JOIN deployments d ON d.id = s.deployment_id WHERE d.name = ? AND s.skipped = 1",
                [.text(name)]) ?? 0)
        }
    }

    // MARK: Changing

    /// Records a deployment. Its parameters are checked against the version it runs (the latest when
    /// not pinned), and its schedule is compiled and must fire within a few years of `now`
    /// (`CompiledSchedule.requireFireTime`), so that nothing invalid is stored. Slots before `now` are
    /// never scheduled.
    public func createDeployment(_ new: NewDeployment, isDefault: Bool = false, now: Date = Date()) throws -> DeploymentRecord {
        try DeploymentNames.validate(new.name, what: "deployment name")
        try DeploymentNames.validate(new.pool, what: "pool name")
        if let directory = new.workingDirectory, !directory.hasPrefix("/") {
            throw BatonError(.invalidInput, "working directory '\(directory)' is not valid: expected an absolute path")
        }
        if let maxActive = new.maxActive, maxActive < 1 {
            throw BatonError(.invalidInput, "--max-active \(maxActive) is not valid: expected a whole number of at least 1")
        }
        let version = try version(of: new.flow, number: new.version)
        _ = try version.resolveRunParameters(new.parameters)
        let schedule = try new.schedule.map { try Self.settled($0, now: now) }
        if let schedule { try CompiledSchedule(schedule, defaultStart: now).requireFireTime(after: Int64(floor(now.timeIntervalSince1970))) }
        let scheduleText = try schedule.map { String(decoding: try BatonCoding.encoder().encode($0), as: UTF8.self) }
        try write { db in
            let existing = try db.query(
                "SELECT f.name FROM deployments d JOIN flows f ON f.id = d.flow_id WHERE d.name = ?", [.text(new.name)]
            ) { $0.text(0) }.first
            if let existing {
                throw BatonError(.conflict, "a deployment named '\(new.name)' exists already (of flow '\(existing)'); choose another name")
            }
            let flowID = try db.scalar("SELECT id FROM flows WHERE name = ?", [.text(new.flow)]) ?? 0
            try db.run(
                """
                INSERT INTO deployments (name, flow_id, version, parameters, schedule, pool, catchup, max_active, paused,
                                         is_default, created_at, updated_at, scheduled_through, working_directory)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)
                """,
                [
                    .text(new.name), .int(flowID), new.version.map { .int(Int64($0)) } ?? .null,
                    .text(JSONValue.object(new.parameters).jsonText), scheduleText.sqlValue, .text(new.pool),
                    .int(new.catchup ? 1 : 0), new.maxActive.map { .int(Int64($0)) } ?? .null, .int(isDefault ? 1 : 0),
                    now.sqlValue, now.sqlValue, .int(Int64(floor(now.timeIntervalSince1970))), new.workingDirectory.sqlValue,
                ])
        }
        ring("deployments")
        return try deployment(named: new.name)
    }

    /// A schedule made stable for storing: an RRULE without DTSTART starts now (whole seconds), so
    /// that its fire times do not move each time they are computed. Throws when it does not compile.
    static func settled(_ schedule: ScheduleSpec, now: Date) throws -> ScheduleSpec {
        var schedule = schedule
        if schedule.kind == "rrule", schedule.anchor == nil {
            schedule.anchor = Date(timeIntervalSince1970: floor(now.timeIntervalSince1970))
        }
        _ = try CompiledSchedule(schedule, defaultStart: now)
        return schedule
    }

    /// Pauses or resumes a deployment. Pausing removes its runs that are scheduled and not claimed
    /// (and their slots), so that nothing of it starts; resuming schedules from where it stopped,
    /// replaying the slots missed meanwhile only when catchup is on.
    public func setPaused(_ name: String, _ paused: Bool, now: Date = Date()) throws -> DeploymentRecord {
        try write { db in
            let deployment = try Self.deployment(named: name, db)
            guard deployment.paused != paused else { return }
            if paused {
                try Self.removeScheduledRuns(of: deployment.id, db)
                try db.run(
                    "UPDATE deployments SET paused = 1, updated_at = ?, scheduled_through = ? WHERE id = ?",
                    [now.sqlValue, .int(Int64(floor(now.timeIntervalSince1970))), .int(deployment.id)])
            } else {
                try db.run("UPDATE deployments SET paused = 0, updated_at = ? WHERE id = ?", [now.sqlValue, .int(deployment.id)])
            }
        }
        ring("deployments")
        return try deployment(named: name)
    }

    /// Deletes a deployment and its runs that have not started; finished runs stay, without it.
    public func deleteDeployment(_ name: String) throws {
        try write { db in
            let deployment = try Self.deployment(named: name, db)
            try Self.removeScheduledRuns(of: deployment.id, db)
            try db.run("DELETE FROM schedule_slots WHERE deployment_id = ?", [.int(deployment.id)])
            try db.run("UPDATE flow_runs SET deployment_id = NULL WHERE deployment_id = ?", [.int(deployment.id)])
            try db.run("DELETE FROM deployments WHERE id = ?", [.int(deployment.id)])
        }
        ring("deployments")
    }

    /// Removes the runs of a deployment that are scheduled and not claimed, with their slots.
    static func removeScheduledRuns(of deploymentID: Int64, _ db: SQLiteConnection) throws {
        let ids = try db.query(
            "SELECT id FROM flow_runs WHERE deployment_id = ? AND state_type = 'scheduled' AND worker_id IS NULL",
            [.int(deploymentID)]
        ) { $0.text(0) }
        for id in ids {
            try db.run("DELETE FROM states WHERE flow_run_id = ?", [.text(id)])
            try db.run("DELETE FROM flow_runs WHERE id = ?", [.text(id)])
            try db.run("DELETE FROM schedule_slots WHERE deployment_id = ? AND flow_run_id = ?", [.int(deploymentID), .text(id)])
        }
    }

    /// A run of a deployment now, outside its schedule, with `overrides` on top of its parameters.
    public func createDeploymentRun(_ name: String, overrides: [String: JSONValue] = [:], now: Date = Date()) throws -> FlowRunRecord {
        let id = try write { db -> String in
            let deployment = try Self.deployment(named: name, db)
            var parameters = deployment.parameters
            for (key, value) in overrides { parameters[key] = value }
            let version = try Self.versionNumber(of: deployment, db)
            let resolved = try Self.versionRecord(of: deployment.flow, number: version, db).resolveRunParameters(parameters)
            let run = NewFlowRun(
                flow: deployment.flow, version: version, parameters: resolved, state: RunState(.scheduled, at: now),
                deploymentID: deployment.id, scheduledTime: now, pool: deployment.pool)
            try insertFlowRun(run, db)
            try db.run("UPDATE flow_runs SET given_parameters = ? WHERE id = ?", [.text(JSONValue.object(parameters).jsonText), .text(run.id)])
            return run.id
        }
        ring("runs")
        return try flowRun(id)
    }

    // MARK: Registration

    /// After a registration: runs of `latest` deployments of the flow that are scheduled and not
    /// claimed move to the new version, and the flow's default deployment follows the schedule it
    /// declares in code (created, changed or cleared). Returns what happened to the default one.
    func followRegistration(flow: String, version: Int, manifest: FlowManifest, now: Date, _ db: SQLiteConnection) throws -> String? {
        guard let flowID = try db.scalar("SELECT id FROM flows WHERE name = ?", [.text(flow)]) else { return nil }
        let versionID = try db.scalar("SELECT id FROM versions WHERE flow_id = ? AND number = ?", [.int(flowID), .int(Int64(version))]) ?? 0
        let latest = try db.query("SELECT \(Self.deploymentColumns) WHERE d.flow_id = ? AND d.version IS NULL", [.int(flowID)], row: Self.deployment)
        for deployment in latest {
            let runs = try db.query(
                "SELECT id FROM flow_runs WHERE deployment_id = ? AND state_type = 'scheduled' AND worker_id IS NULL",
                [.int(deployment.id)]
            ) { $0.text(0) }
            for id in runs {
                // The parameters given for the run, read against the new version with its defaults; a run
                // whose given parameters the new version does not take stays on its version.
                let given = try db.query("SELECT given_parameters FROM flow_runs WHERE id = ?", [.text(id)]) { $0.optionalText(0) }.first ?? nil
                let parameters = given.flatMap { try? JSONValue(json: $0) }?.objectValue ?? deployment.parameters
                guard let resolved = try? manifest.resolveRunParameters(parameters, version: version) else { continue }
                try db.run(
                    "UPDATE flow_runs SET version_id = ?, parameters = ? WHERE id = ?",
                    [.int(versionID), .text(JSONValue.object(resolved).jsonText), .text(id)])
            }
        }

        let existing = try db.query("SELECT \(Self.deploymentColumns) WHERE d.flow_id = ? AND d.is_default = 1", [.int(flowID)], row: Self.deployment).first
        guard let declared = manifest.schedule.flatMap({ try? Self.settled($0, now: now) }) else {
            guard let existing, existing.schedule != nil else { return nil }
            try Self.removeScheduledRuns(of: existing.id, db)
            try db.run("UPDATE deployments SET schedule = NULL, updated_at = ? WHERE id = ?", [now.sqlValue, .int(existing.id)])
            return "default deployment '\(existing.name)' has no schedule any more: version \(version) declares none"
        }
        let text = String(decoding: try BatonCoding.encoder().encode(declared), as: UTF8.self)
        if let existing {
            guard Self.sameSchedule(existing.schedule, declared) == false else { return nil }
            try Self.removeScheduledRuns(of: existing.id, db)
            try db.run(
                "UPDATE deployments SET schedule = ?, updated_at = ?, scheduled_through = ? WHERE id = ?",
                [.text(text), now.sqlValue, .int(Int64(floor(now.timeIntervalSince1970))), .int(existing.id)])
            return "default deployment '\(existing.name)' now runs \(declared.summary)"
        }
        var name = flow
        if try db.scalar("SELECT count(*) FROM deployments WHERE name = ?", [.text(name)]) ?? 0 > 0 { name = flow + "-default" }
        guard try db.scalar("SELECT count(*) FROM deployments WHERE name = ?", [.text(name)]) ?? 0 == 0 else { return nil }
        try db.run(
            """
            INSERT INTO deployments (name, flow_id, version, parameters, schedule, pool, catchup, max_active, paused,
                                     is_default, created_at, updated_at, scheduled_through)
            VALUES (?, ?, NULL, '{}', ?, ?, 0, NULL, 0, 1, ?, ?, ?)
            """,
            [.text(name), .int(flowID), .text(text), .text(DeploymentNames.defaultPool), now.sqlValue, now.sqlValue,
             .int(Int64(floor(now.timeIntervalSince1970)))])
        return "default deployment '\(name)' created: \(declared.summary), pool \(DeploymentNames.defaultPool)"
    }

    /// Whether two declared schedules fire alike (an RRULE's settled DTSTART aside).
    static func sameSchedule(_ a: ScheduleSpec?, _ b: ScheduleSpec) -> Bool {
        guard var a else { return false }
        var b = b
        if a.kind == "rrule" && b.kind == "rrule" && (a.anchor == nil || b.anchor == nil || a.rrule == b.rrule) {
            a.anchor = nil
            b.anchor = nil
        }
        return a == b
    }

    // MARK: Versions and parameters inside a transaction

    /// The version a deployment's next run uses.
    static func versionNumber(of deployment: DeploymentRecord, _ db: SQLiteConnection) throws -> Int {
        if let version = deployment.version { return version }
        let latest = try db.scalar(
            "SELECT MAX(v.number) FROM versions v JOIN flows f ON f.id = v.flow_id WHERE f.name = ?", [.text(deployment.flow)])
        guard let latest else { throw BatonError(.notFound, "flow '\(deployment.flow)' has no versions") }
        return Int(latest)
    }

    /// Version `number` of `flow`, read inside a transaction.
    static func versionRecord(of flow: String, number: Int, _ db: SQLiteConnection) throws -> VersionRecord {
        guard let record = try db.query(
            "SELECT \(versionColumns) WHERE f.name = ? AND v.number = ?", [.text(flow), .int(Int64(number))], row: Self.version
        ).first else {
            throw BatonError(.notFound, "flow '\(flow)' has no version \(number)")
        }
        return record
    }
}
