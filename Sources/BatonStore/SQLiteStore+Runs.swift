import BatonCore
import Foundation

extension SQLiteStore {
    public func createFlowRun(_ run: NewFlowRun) throws -> FlowRunRecord {
        let parameters = JSONValue.object(run.parameters).jsonText
        let now = run.state.timestamp
        try write { db in
            let ids = try db.query(
                "SELECT f.id, v.id FROM versions v JOIN flows f ON f.id = v.flow_id WHERE f.name = ? AND v.number = ?",
                [.text(run.flow), .int(Int64(run.version))]
            ) { ($0.int(0), $0.int(1)) }
            guard let (flowID, versionID) = ids.first else {
                throw BatonError(.notFound, "flow '\(run.flow)' has no version \(run.version)")
            }
            try db.run(
                """
                INSERT INTO flow_runs (id, name, flow_id, version_id, state_type, state_name, state_message, state_time,
                                       parameters, created_at, rerun_of)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(run.id), .text(run.name), .int(flowID), .int(versionID), .text(run.state.type.rawValue),
                    .text(run.state.name), run.state.message.sqlValue, now.sqlValue, .text(parameters), now.sqlValue,
                    run.rerunOf.sqlValue,
                ])
            try insertState(db, flowRunID: run.id, taskRunID: nil, run.state)
        }
        return try flowRun(run.id)
    }

    public func apply(_ events: [RunEvent]) throws {
        guard !events.isEmpty else { return }
        try write { db in
            for event in events { try apply(event, db) }
        }
    }

    private func apply(_ event: RunEvent, _ db: SQLiteConnection) throws {
        switch event {
        case .flowRunState(let id, let state, let result):
            try db.run(
                """
                UPDATE flow_runs SET state_type = ?, state_name = ?, state_message = ?, state_time = ?,
                    start_time = CASE WHEN start_time IS NULL AND ? = 'running' THEN ? ELSE start_time END,
                    end_time = CASE WHEN ? THEN ? ELSE end_time END,
                    result = COALESCE(?, result)
                WHERE id = ?
                """,
                [
                    .text(state.type.rawValue), .text(state.name), state.message.sqlValue, state.timestamp.sqlValue,
                    .text(state.type.rawValue), state.timestamp.sqlValue, .int(state.type.isFinal ? 1 : 0),
                    state.timestamp.sqlValue, result.sqlValue, .text(id),
                ])
            try insertState(db, flowRunID: id, taskRunID: nil, state)
        case .taskRunCreated(let id, let flowRunID, let name, let taskName, let parent, let input, let createdAt):
            try db.run(
                """
                INSERT INTO task_runs (id, flow_run_id, seq, name, task_name, parent_task_run_id, state_type, state_name,
                                       state_time, input, created_at)
                VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM task_runs WHERE flow_run_id = ?), ?, ?, ?,
                        'pending', 'Pending', ?, ?, ?)
                """,
                [
                    .text(id), .text(flowRunID), .text(flowRunID), .text(name), .text(taskName), parent.sqlValue,
                    createdAt.sqlValue, input.sqlValue, createdAt.sqlValue,
                ])
        case .taskRunState(let id, let flowRunID, let state, let attempt, let result):
            try db.run(
                """
                UPDATE task_runs SET state_type = ?, state_name = ?, state_message = ?, state_time = ?,
                    attempts = MAX(attempts, ?),
                    start_time = CASE WHEN start_time IS NULL AND ? = 'running' THEN ? ELSE start_time END,
                    end_time = CASE WHEN ? THEN ? ELSE end_time END,
                    result = COALESCE(?, result)
                WHERE id = ?
                """,
                [
                    .text(state.type.rawValue), .text(state.name), state.message.sqlValue, state.timestamp.sqlValue,
                    .int(Int64(attempt)), .text(state.type.rawValue), state.timestamp.sqlValue,
                    .int(state.type.isFinal ? 1 : 0), state.timestamp.sqlValue, result.sqlValue, .text(id),
                ])
            try insertState(db, flowRunID: flowRunID, taskRunID: id, state)
        case .log(let record):
            try db.run(
                "INSERT INTO logs (flow_run_id, task_run_id, task_run_name, timestamp, level, message) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    .text(record.flowRunID), record.taskRunID.sqlValue, record.taskRunName.sqlValue,
                    record.timestamp.sqlValue, .int(Int64(record.level.rawValue)), .text(record.message),
                ])
        }
    }

    private func insertState(_ db: SQLiteConnection, flowRunID: String, taskRunID: String?, _ state: RunState) throws {
        try db.run(
            "INSERT INTO states (flow_run_id, task_run_id, type, name, message, timestamp) VALUES (?, ?, ?, ?, ?, ?)",
            [
                .text(flowRunID), taskRunID.sqlValue, .text(state.type.rawValue), .text(state.name),
                state.message.sqlValue, state.timestamp.sqlValue,
            ])
    }

    public func markCrashed(flowRunID: String, message: String) throws {
        try finish(flowRunID: flowRunID, state: RunState(.crashed, message: message))
    }

    public func finish(flowRunID: String, state: RunState) throws {
        try write { db in
            let current = try db.query("SELECT state_type FROM flow_runs WHERE id = ?", [.text(flowRunID)]) { $0.text(0) }.first
            guard let current, !(StateType(rawValue: current)?.isFinal ?? true) else { return }
            let open = try db.query(
                "SELECT id FROM task_runs WHERE flow_run_id = ? AND state_type NOT IN ('completed', 'failed', 'crashed', 'cancelled')",
                [.text(flowRunID)]
            ) { $0.text(0) }
            let taskState = RunState(
                state.type, message: "the flow run ended (\(state.name)) before this task run finished", at: state.timestamp)
            for id in open {
                try apply(.taskRunState(taskRunID: id, flowRunID: flowRunID, state: taskState, attempt: 0, result: nil), db)
            }
            try apply(.flowRunState(flowRunID: flowRunID, state: state, result: nil), db)
        }
    }

    private static let runColumns = """
        r.id, r.name, f.name, v.number, r.state_type, r.state_name, r.state_message, r.state_time, r.parameters,
        r.result, r.created_at, r.start_time, r.end_time, r.attempt, r.rerun_of
        FROM flow_runs r JOIN flows f ON f.id = r.flow_id JOIN versions v ON v.id = r.version_id
        """

    private static func run(_ row: SQLiteConnection.Row) throws -> FlowRunRecord {
        FlowRunRecord(
            id: row.text(0), name: row.text(1), flow: row.text(2), version: Int(row.int(3)),
            state: RunState(
                StateType(rawValue: row.text(4)) ?? .crashed, name: row.text(5), message: row.optionalText(6),
                at: Date(sql: row.double(7))),
            parameters: (try? JSONValue(json: row.text(8)))?.objectValue ?? [:],
            result: row.optionalText(9).flatMap { try? JSONValue(json: $0) }, createdAt: Date(sql: row.double(10)),
            startTime: row.optionalDouble(11).map(Date.init(sql:)), endTime: row.optionalDouble(12).map(Date.init(sql:)),
            attempt: Int(row.int(13)), rerunOf: row.optionalText(14))
    }

    public func flowRun(_ reference: String) throws -> FlowRunRecord {
        let reference = reference.trimmingCharacters(in: .whitespaces)
        let candidates = try withConnection { db -> [FlowRunRecord] in
            let exact = try db.query("SELECT \(Self.runColumns) WHERE r.id = ?", [.text(reference)], row: Self.run)
            if !exact.isEmpty { return exact }
            if reference.count >= 4, reference.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
                let byPrefix = try db.query(
                    "SELECT \(Self.runColumns) WHERE r.id >= ? AND r.id < ? LIMIT 5",
                    [.text(reference.lowercased()), .text(reference.lowercased() + "~")], row: Self.run)
                if !byPrefix.isEmpty { return byPrefix }
            }
            return try db.query(
                "SELECT \(Self.runColumns) WHERE r.name = ? ORDER BY r.created_at DESC LIMIT 5", [.text(reference)],
                row: Self.run)
        }
        switch candidates.count {
        case 1: return candidates[0]
        case 0:
            throw BatonError(.notFound, "no flow run '\(reference)'; give a run id (or its first characters) or name, as `baton run ls` shows")
        default:
            let list = candidates.map { "\($0.id.prefix(8)) (\($0.name), \($0.flow))" }.joined(separator: ", ")
            throw BatonError(.invalidInput, "flow run '\(reference)' is ambiguous: it matches \(list); give more of the id")
        }
    }

    public func flowRuns(_ query: FlowRunQuery) throws -> [FlowRunRecord] {
        var conditions: [String] = []
        var parameters: [SQLValue] = []
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
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        parameters.append(.int(Int64(max(1, query.limit))))
        return try withConnection { db in
            try db.query("SELECT \(Self.runColumns) \(filter) ORDER BY r.created_at DESC, r.id LIMIT ?", parameters, row: Self.run)
        }
    }

    public func taskRuns(flowRunID: String) throws -> [TaskRunRecord] {
        try withConnection { db in
            try db.query(
                """
                SELECT id, flow_run_id, name, task_name, parent_task_run_id, state_type, state_name, state_message,
                       state_time, attempts, input, result, created_at, start_time, end_time
                FROM task_runs WHERE flow_run_id = ? ORDER BY seq
                """, [.text(flowRunID)]
            ) { row in
                TaskRunRecord(
                    id: row.text(0), flowRunID: row.text(1), name: row.text(2), taskName: row.text(3),
                    parentTaskRunID: row.optionalText(4),
                    state: RunState(
                        StateType(rawValue: row.text(5)) ?? .crashed, name: row.text(6), message: row.optionalText(7),
                        at: Date(sql: row.double(8))),
                    attempts: Int(row.int(9)), input: row.optionalText(10).flatMap { try? JSONValue(json: $0) },
                    result: row.optionalText(11).flatMap { try? JSONValue(json: $0) }, createdAt: Date(sql: row.double(12)),
                    startTime: row.optionalDouble(13).map(Date.init(sql:)), endTime: row.optionalDouble(14).map(Date.init(sql:)))
            }
        }
    }

    public func states(flowRunID: String) throws -> [StateRecord] {
        try withConnection { db in
            try db.query(
                "SELECT flow_run_id, task_run_id, type, name, message, timestamp FROM states WHERE flow_run_id = ? ORDER BY id",
                [.text(flowRunID)]
            ) { row in
                StateRecord(
                    flowRunID: row.text(0), taskRunID: row.optionalText(1),
                    state: RunState(
                        StateType(rawValue: row.text(2)) ?? .crashed, name: row.text(3), message: row.optionalText(4),
                        at: Date(sql: row.double(5))))
            }
        }
    }

    public func logs(flowRunID: String, afterID: Int64, limit: Int) throws -> [LogRecord] {
        try withConnection { db in
            try db.query(
                """
                SELECT id, flow_run_id, task_run_id, task_run_name, timestamp, level, message FROM logs
                WHERE flow_run_id = ? AND id > ? ORDER BY id LIMIT ?
                """, [.text(flowRunID), .int(afterID), .int(Int64(limit))]
            ) { row in
                LogRecord(
                    id: row.int(0), flowRunID: row.text(1), taskRunID: row.optionalText(2), taskRunName: row.optionalText(3),
                    timestamp: Date(sql: row.double(4)), level: LogLevel(clamping: Int(row.int(5))), message: row.text(6))
            }
        }
    }

    public func countTaskRuns(flowRunID: String?) throws -> Int {
        try withConnection { db in
            if let flowRunID {
                return Int(try db.scalar("SELECT count(*) FROM task_runs WHERE flow_run_id = ?", [.text(flowRunID)]) ?? 0)
            }
            return Int(try db.scalar("SELECT count(*) FROM task_runs") ?? 0)
        }
    }
}
