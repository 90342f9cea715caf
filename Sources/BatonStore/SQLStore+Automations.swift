import BatonCore
import Foundation

extension SQLStore {
    static func encoded<T: Encodable>(_ value: T) throws -> String { String(decoding: try BatonCoding.encoder().encode(value), as: UTF8.self) }
    static func decoded<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try BatonCoding.decoder().decode(type, from: Data(text.utf8)) }

    // MARK: Channels

    static let channelColumns = "c.id, p.name, c.name, c.config, c.created_by, c.created_at FROM channels c JOIN projects p ON p.id = c.project_id"

    static func channel(_ row: SQLRow) throws -> ChannelRecord {
        ChannelRecord(
            id: row.int(0), project: row.text(1), name: row.text(2), config: try decoded(ChannelConfig.self, row.text(3)),
            createdBy: row.optionalText(4), createdAt: Date(sql: row.double(5)))
    }

    public func insertChannel(project: String, name: String, config: ChannelConfig, createdBy: String?, at: Date) throws -> ChannelRecord? {
        try write { db in
            let projectID = try Self.projectID(project, db)
            try db.run(
                "INSERT INTO channels (project_id, name, config, created_by, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (project_id, name) DO NOTHING",
                [.int(projectID), .text(name), .text(try Self.encoded(config)), createdBy.sqlValue, at.sqlValue])
            guard db.changes > 0 else { return nil }
            return try db.query("SELECT \(Self.channelColumns) WHERE c.project_id = ? AND c.name = ?", [.int(projectID), .text(name)], row: Self.channel).first
        }
    }

    public func channels(project: String) throws -> [ChannelRecord] {
        try withConnection { db in try db.query("SELECT \(Self.channelColumns) WHERE p.name = ? ORDER BY c.name", [.text(project)], row: Self.channel) }
    }

    public func channel(named name: String, project: String) throws -> ChannelRecord? {
        try withConnection { db in
            try db.query("SELECT \(Self.channelColumns) WHERE p.name = ? AND c.name = ?", [.text(project), .text(name)], row: Self.channel).first
        }
    }

    public func deleteChannel(named name: String, project: String) throws -> Bool {
        try write { db in
            try db.run("DELETE FROM channels WHERE project_id = ? AND name = ?", [.int(try Self.projectID(project, db)), .text(name)])
            return db.changes > 0
        }
    }

    // MARK: Automations

    static let automationColumns = """
        a.id, p.name, a.name, a.trigger_spec, a.actions, a.cooldown_seconds, a.paused, a.armed_since, a.last_fired_at, a.memory, a.created_by,
        a.created_at FROM automations a JOIN projects p ON p.id = a.project_id
        """

    static func automation(_ row: SQLRow) throws -> AutomationRecord {
        AutomationRecord(
            id: row.int(0), project: row.text(1), name: row.text(2), trigger: try decoded(AutomationTrigger.self, row.text(3)),
            actions: try decoded([AutomationAction].self, row.text(4)), cooldown: row.double(5), paused: row.int(6) != 0,
            armedSince: Date(sql: row.double(7)), lastFiredAt: row.optionalDouble(8).map(Date.init(sql:)), memory: row.optionalText(9),
            createdBy: row.optionalText(10), createdAt: Date(sql: row.double(11)))
    }

    public func insertAutomation(_ automation: AutomationRecord) throws -> AutomationRecord? {
        try write { db in
            let projectID = try Self.projectID(automation.project, db)
            try db.run(
                """
                INSERT INTO automations (project_id, name, trigger_spec, actions, cooldown_seconds, paused, armed_since, created_by, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, name) DO NOTHING
                """,
                [
                    .int(projectID), .text(automation.name), .text(try Self.encoded(automation.trigger)), .text(try Self.encoded(automation.actions)),
                    .double(automation.cooldown), .int(automation.paused ? 1 : 0), automation.armedSince.sqlValue, automation.createdBy.sqlValue,
                    automation.createdAt.sqlValue,
                ])
            guard db.changes > 0 else { return nil }
            return try db.query(
                "SELECT \(Self.automationColumns) WHERE a.project_id = ? AND a.name = ?", [.int(projectID), .text(automation.name)], row: Self.automation
            ).first
        }
    }

    public func automations(project: String?) throws -> [AutomationRecord] {
        try withConnection { db in
            if let project {
                return try db.query("SELECT \(Self.automationColumns) WHERE p.name = ? ORDER BY a.name", [.text(project)], row: Self.automation)
            }
            return try db.query("SELECT \(Self.automationColumns) ORDER BY a.id", row: Self.automation)
        }
    }

    public func automation(named name: String, project: String) throws -> AutomationRecord? {
        try withConnection { db in
            try db.query("SELECT \(Self.automationColumns) WHERE p.name = ? AND a.name = ?", [.text(project), .text(name)], row: Self.automation).first
        }
    }

    public func setAutomationPaused(id: Int64, paused: Bool, at: Date) throws -> AutomationRecord? {
        try write { db in
            if paused {
                try db.run("UPDATE automations SET paused = 1 WHERE id = ?", [.int(id)])
            } else {
                try db.run("UPDATE automations SET paused = 0, armed_since = ? WHERE id = ? AND paused = 1", [at.sqlValue, .int(id)])
            }
            return try db.query("SELECT \(Self.automationColumns) WHERE a.id = ?", [.int(id)], row: Self.automation).first
        }
    }

    public func deleteAutomation(id: Int64) throws -> Bool {
        try write { db in
            // Deliveries and firings go with it (named here, so that no backend depends on cascades).
            try db.run("DELETE FROM deliveries WHERE firing_id IN (SELECT id FROM automation_firings WHERE automation_id = ?)", [.int(id)])
            try db.run("DELETE FROM automation_firings WHERE automation_id = ?", [.int(id)])
            try db.run("DELETE FROM automations WHERE id = ?", [.int(id)])
            return db.changes > 0
        }
    }

    // MARK: Evaluation

    public func automationCursor() throws -> Int64? {
        try withConnection { db in try db.scalar("SELECT position FROM automation_cursor WHERE name = 'states'") }
    }

    public func latestStateID(before: Date?) throws -> Int64 {
        try withConnection { db in
            guard let before else { return try db.scalar("SELECT COALESCE(max(id), 0) FROM states") ?? 0 }
            return try db.scalar("SELECT COALESCE(max(id), 0) FROM states WHERE timestamp < ?", [before.sqlValue]) ?? 0
        }
    }

    public func stateEvents(after cursor: Int64, limit: Int) throws -> [RunStateEvent] {
        try withConnection { db in
            try db.query(
                """
                SELECT s.id, s.flow_run_id, s.type, s.name, s.message, s.timestamp, r.name, f.name, v.number, d.name, p.name, r.parent_flow_run_id
                FROM states s JOIN flow_runs r ON r.id = s.flow_run_id JOIN flows f ON f.id = r.flow_id JOIN versions v ON v.id = r.version_id
                JOIN projects p ON p.id = r.project_id LEFT JOIN deployments d ON d.id = r.deployment_id
                WHERE s.id > ? AND s.task_run_id IS NULL ORDER BY s.id LIMIT ?
                """,
                [.int(cursor), .int(Int64(limit))]
            ) { row in
                RunStateEvent(
                    id: row.int(0), flowRunID: row.text(1),
                    state: RunState(StateType(rawValue: row.text(2)) ?? .crashed, name: row.text(3), message: row.optionalText(4), at: Date(sql: row.double(5))),
                    runName: row.text(6), flow: row.text(7), version: Int(row.int(8)), deployment: row.optionalText(9), project: row.text(10),
                    parentFlowRunID: row.optionalText(11))
            }
        }
    }

    public func recordFirings(_ firings: [NewFiring], memories: [Int64: String?], cursor: Int64?) throws -> [Int64] {
        try write { db in
            var recorded: [Int64] = []
            for firing in firings {
                guard
                    let id = try db.scalar(
                        """
                        INSERT INTO automation_firings (automation_id, event_key, event, fired_at, suppressed) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (automation_id, event_key) DO NOTHING RETURNING id
                        """,
                        [
                            .int(firing.automationID), .text(firing.event.key), .text(try Self.encoded(firing.event)), firing.firedAt.sqlValue,
                            firing.suppressed.sqlValue,
                        ])
                else { continue }
                recorded.append(id)
                for (position, action) in firing.actions.enumerated() {
                    try db.run(
                        "INSERT INTO deliveries (firing_id, position, action, status, attempts, next_attempt_at) VALUES (?, ?, ?, 'pending', 0, ?)",
                        [.int(id), .int(Int64(position)), .text(try Self.encoded(action)), firing.firedAt.sqlValue])
                }
                if firing.suppressed == nil {
                    try db.run("UPDATE automations SET last_fired_at = ? WHERE id = ?", [firing.firedAt.sqlValue, .int(firing.automationID)])
                }
            }
            for (id, memory) in memories {
                try db.run("UPDATE automations SET memory = ? WHERE id = ?", [memory.sqlValue, .int(id)])
            }
            if let cursor {
                try db.run(
                    """
                    INSERT INTO automation_cursor (name, position) VALUES ('states', ?) ON CONFLICT (name) DO UPDATE
                    SET position = CASE WHEN excluded.position > automation_cursor.position THEN excluded.position ELSE automation_cursor.position END
                    """,
                    [.int(cursor)])
            }
            return recorded
        }
    }

    public func recordedKeys(automationID: Int64, among keys: [String]) throws -> Set<String> {
        guard !keys.isEmpty else { return [] }
        return try withConnection { db in
            var found: Set<String> = []
            for start in stride(from: 0, to: keys.count, by: 500) {
                let chunk = Array(keys[start..<min(start + 500, keys.count)])
                let marks = chunk.map { _ in "?" }.joined(separator: ", ")
                for key in try db.query(
                    "SELECT event_key FROM automation_firings WHERE automation_id = ? AND event_key IN (\(marks))",
                    [.int(automationID)] + chunk.map(SQLValue.text), row: { $0.text(0) })
                {
                    found.insert(key)
                }
            }
            return found
        }
    }

    public func lastStateTime(words: [String], flow: String?, deployment: String?, project: String) throws -> Date? {
        guard !words.isEmpty else { return nil }
        let marks = words.map { _ in "?" }.joined(separator: ", ")
        var sql = """
            SELECT max(s.timestamp) FROM states s JOIN flow_runs r ON r.id = s.flow_run_id JOIN flows f ON f.id = r.flow_id
            JOIN projects p ON p.id = r.project_id LEFT JOIN deployments d ON d.id = r.deployment_id
            WHERE s.task_run_id IS NULL AND p.name = ? AND (s.type IN (\(marks)) OR lower(s.name) IN (\(marks)))
            """
        var parameters: [SQLValue] = [.text(project)] + words.map(SQLValue.text) + words.map(SQLValue.text)
        if let flow {
            sql += " AND f.name = ?"
            parameters.append(.text(flow))
        }
        if let deployment {
            sql += " AND d.name = ?"
            parameters.append(.text(deployment))
        }
        return try withConnection { db in (try db.query(sql, parameters) { $0.optionalDouble(0) }.first ?? nil).map(Date.init(sql:)) }
    }

    public func recentOutcomes(deployment: String, project: String, limit: Int) throws -> [StateType] {
        try withConnection { db in
            try db.query(
                """
                SELECT r.state_type FROM flow_runs r JOIN deployments d ON d.id = r.deployment_id JOIN projects p ON p.id = r.project_id
                WHERE d.name = ? AND p.name = ? AND r.parent_flow_run_id IS NULL
                  AND r.state_type IN ('completed', 'failed', 'crashed', 'cancelled')
                ORDER BY r.end_time DESC, r.id DESC LIMIT ?
                """,
                [.text(deployment), .text(project), .int(Int64(limit))]
            ) { StateType(rawValue: $0.text(0)) ?? .crashed }
        }
    }

    public func goneWorkers(since: Date) throws -> [WorkerRecord] {
        try withConnection { db in
            try db.query("SELECT \(Self.workerColumns) WHERE w.gone_at >= ? ORDER BY w.gone_at", [since.sqlValue], row: Self.worker)
        }
    }

    public func markWorkerGone(workerID: String, at: Date) throws {
        try write { db in try db.run("UPDATE workers SET gone_at = ? WHERE id = ? AND gone_at IS NULL", [at.sqlValue, .text(workerID)]) }
    }

    // MARK: Deliveries

    static let deliveryColumns = "d.id, d.firing_id, d.position, d.action, d.status, d.attempts, d.next_attempt_at, d.last_error, d.finished_at, d.outcome"

    static func delivery(_ row: SQLRow) throws -> DeliveryRecord {
        DeliveryRecord(
            id: row.int(0), firingID: row.int(1), position: Int(row.int(2)), action: try decoded(AutomationAction.self, row.text(3)),
            status: DeliveryRecord.Status(rawValue: row.text(4)) ?? .failed, attempts: Int(row.int(5)),
            nextAttemptAt: row.optionalDouble(6).map(Date.init(sql:)), lastError: row.optionalText(7),
            finishedAt: row.optionalDouble(8).map(Date.init(sql:)), outcome: row.optionalText(9))
    }

    public func claimDeliveries(now: Date, until: Date, claimer: ProcessIdentity, limit: Int) throws -> [DueDelivery] {
        try write { db in
            let due = try db.query(
                """
                SELECT \(Self.deliveryColumns), a.name, p.name, f.event FROM deliveries d JOIN automation_firings f ON f.id = d.firing_id
                JOIN automations a ON a.id = f.automation_id JOIN projects p ON p.id = a.project_id
                WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?
                """,
                [now.sqlValue, .int(Int64(limit))]
            ) { row in
                DueDelivery(
                    delivery: try Self.delivery(row), automation: row.text(10), project: row.text(11), event: try Self.decoded(AutomationEvent.self, row.text(12)))
            }
            var claimed: [DueDelivery] = []
            for var item in due {
                try db.run(
                    "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, claimed_by = ? WHERE id = ? AND status = 'pending'",
                    [until.sqlValue, .text(Self.claimText(claimer)), .int(item.delivery.id)])
                guard db.changes > 0 else { continue }
                item.delivery.attempts += 1
                claimed.append(item)
            }
            return claimed
        }
    }

    public func finishDelivery(id: Int64, _ outcome: DeliveryOutcome, at: Date) throws {
        try write { db in
            switch outcome {
            case .delivered(let text):
                try db.run(
                    "UPDATE deliveries SET status = 'delivered', finished_at = ?, outcome = ?, claimed_by = NULL, next_attempt_at = NULL WHERE id = ?",
                    [at.sqlValue, .text(text), .int(id)])
            case .retry(let next, let error):
                try db.run(
                    "UPDATE deliveries SET next_attempt_at = ?, last_error = ?, claimed_by = NULL WHERE id = ? AND status = 'pending'",
                    [next.sqlValue, .text(error), .int(id)])
            case .failed(let error):
                try db.run(
                    "UPDATE deliveries SET status = 'failed', finished_at = ?, last_error = ?, claimed_by = NULL, next_attempt_at = NULL WHERE id = ?",
                    [at.sqlValue, .text(error), .int(id)])
            }
        }
    }

    /// A claimer as `claimed_by` keeps it: its pid, and its start and host.
    static func claimText(_ process: ProcessIdentity) -> String { "\(process.pid) \(process.stored)" }

    static func claimer(_ text: String) -> ProcessIdentity? {
        let parts = text.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let pid = Int32(parts[0]) else { return nil }
        return ProcessIdentity(pid: pid, stored: String(parts[1]))
    }

    public func nextDeliveryDue() throws -> Date? {
        try withConnection { db in
            (try db.query("SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending'") { $0.optionalDouble(0) }.first ?? nil).map(Date.init(sql:))
        }
    }

    public func releaseDeliveryClaims(now: Date, alive: (ProcessIdentity) -> Bool) throws -> Int {
        try write { db in
            let claimed = try db.query("SELECT id, claimed_by FROM deliveries WHERE status = 'pending' AND claimed_by IS NOT NULL") {
                ($0.int(0), $0.text(1))
            }
            var released = 0
            for (id, stored) in claimed {
                guard let process = Self.claimer(stored), !alive(process) else { continue }
                try db.run("UPDATE deliveries SET next_attempt_at = ?, claimed_by = NULL WHERE id = ? AND claimed_by = ?", [now.sqlValue, .int(id), .text(stored)])
                released += db.changes
            }
            return released
        }
    }

    public func firings(automationID: Int64, limit: Int) throws -> [FiringRecord] {
        try withConnection { db in
            var firings = try db.query(
                """
                SELECT f.id, a.name, f.event, f.fired_at, f.suppressed FROM automation_firings f JOIN automations a ON a.id = f.automation_id
                WHERE f.automation_id = ? ORDER BY f.id DESC LIMIT ?
                """,
                [.int(automationID), .int(Int64(limit))]
            ) { row in
                FiringRecord(
                    id: row.int(0), automation: row.text(1), event: try Self.decoded(AutomationEvent.self, row.text(2)), firedAt: Date(sql: row.double(3)),
                    suppressed: row.optionalText(4), deliveries: [])
            }
            guard let oldest = firings.last?.id else { return firings }
            let deliveries = try db.query(
                """
                SELECT \(Self.deliveryColumns) FROM deliveries d JOIN automation_firings f ON f.id = d.firing_id
                WHERE f.automation_id = ? AND d.firing_id >= ? ORDER BY d.firing_id, d.position
                """,
                [.int(automationID), .int(oldest)], row: Self.delivery)
            let byFiring = Dictionary(grouping: deliveries, by: \.firingID)
            for index in firings.indices { firings[index].deliveries = byFiring[firings[index].id] ?? [] }
            return firings
        }
    }

    // MARK: Inbound webhooks

    static let webhookColumns = "w.id, p.name, w.name, w.deployment, w.token, w.mapping, w.created_by, w.created_at FROM webhooks w JOIN projects p ON p.id = w.project_id"

    static func webhook(_ row: SQLRow) throws -> WebhookRecord {
        WebhookRecord(
            id: row.int(0), project: row.text(1), name: row.text(2), deployment: row.text(3), sealedToken: row.text(4),
            mapping: try decoded([String: String].self, row.text(5)), createdBy: row.optionalText(6), createdAt: Date(sql: row.double(7)))
    }

    public func insertWebhook(_ webhook: WebhookRecord) throws -> WebhookRecord? {
        try write { db in
            let projectID = try Self.projectID(webhook.project, db)
            try db.run(
                """
                INSERT INTO webhooks (project_id, name, deployment, token, mapping, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO NOTHING
                """,
                [
                    .int(projectID), .text(webhook.name), .text(webhook.deployment), .text(webhook.sealedToken), .text(try Self.encoded(webhook.mapping)),
                    webhook.createdBy.sqlValue, webhook.createdAt.sqlValue,
                ])
            guard db.changes > 0 else { return nil }
            return try db.query("SELECT \(Self.webhookColumns) WHERE w.name = ?", [.text(webhook.name)], row: Self.webhook).first
        }
    }

    public func webhook(named name: String) throws -> WebhookRecord? {
        try withConnection { db in try db.query("SELECT \(Self.webhookColumns) WHERE w.name = ?", [.text(name)], row: Self.webhook).first }
    }

    public func webhooks(project: String) throws -> [WebhookRecord] {
        try withConnection { db in try db.query("SELECT \(Self.webhookColumns) WHERE p.name = ? ORDER BY w.name", [.text(project)], row: Self.webhook) }
    }

    public func deleteWebhook(named name: String, project: String) throws -> Bool {
        try write { db in
            try db.run("DELETE FROM webhooks WHERE project_id = ? AND name = ?", [.int(try Self.projectID(project, db)), .text(name)])
            return db.changes > 0
        }
    }
}
