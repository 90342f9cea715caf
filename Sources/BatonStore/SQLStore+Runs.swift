import BatonCore
import Foundation

extension SQLStore {
    public func createFlowRun(_ run: NewFlowRun) throws -> FlowRunRecord {
        // Read back in the same transaction: the run as created, before a worker can claim it.
        try write { db in
            try insertFlowRun(run, db)
            return try Self.created(run.id, db)
        }
    }

    /// A run just inserted, read in the transaction that inserted it: as created, before any
    /// worker could claim it.
    static func created(_ id: String, _ db: any SQLConnection) throws -> FlowRunRecord {
        guard let created = try db.query("SELECT \(runColumns) WHERE r.id = ?", [.text(id)], row: run).first else {
            throw BatonError(.store, "flow run '\(id)' was not there after it was recorded")
        }
        return created
    }

    /// Records many flow runs in one transaction (imports, backfills of history, benchmarks).
    public func createFlowRuns(_ runs: [NewFlowRun]) throws {
        try write { db in for run in runs { try insertFlowRun(run, db) } }
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
                try apply(.taskRunState(TaskRunStateChange(taskRunID: id, flowRunID: flowRunID, state: taskState, attempt: 0)), db)
            }
            try apply(.flowRunState(FlowRunStateChange(flowRunID: flowRunID, state: state)), db)
            try db.run("DELETE FROM concurrency_slots WHERE flow_run_id = ?", [.text(flowRunID)])
        }
    }

    static let runColumns = runColumns(from: "flow_runs")

    /// The columns `run` reads, of runs taken from `source` (the table, or a set of its rows).
    static func runColumns(from source: String) -> String {
        """
        r.id, r.name, f.name, v.number, r.state_type, r.state_name, r.state_message, r.state_time, r.parameters,
        r.result, r.created_at, r.start_time, r.end_time, r.attempt, r.rerun_of, r.parent_flow_run_id, r.parent_task_run_id,
        d.name, r.scheduled_time, r.pool, r.worker_id, p.name
        FROM \(source) r JOIN flows f ON f.id = r.flow_id JOIN versions v ON v.id = r.version_id
        JOIN projects p ON p.id = r.project_id LEFT JOIN deployments d ON d.id = r.deployment_id
        """
    }

    /// A run as it reads now (``FlowRunRecord/shown(now:)``: a run past its time reads `Late`).
    static func run(_ row: SQLRow) throws -> FlowRunRecord { try storedRun(row).shown(now: Date()) }

    /// A run as its row holds it.
    static func storedRun(_ row: SQLRow) throws -> FlowRunRecord {
        FlowRunRecord(
            id: row.text(0), name: row.text(1), flow: row.text(2), version: Int(row.int(3)),
            state: RunState(
                StateType(rawValue: row.text(4)) ?? .crashed, name: row.text(5), message: row.optionalText(6),
                at: Date(sql: row.double(7))),
            parameters: (try? JSONValue(json: row.text(8)))?.objectValue ?? [:],
            result: row.optionalText(9).flatMap { try? JSONValue(json: $0) }, createdAt: Date(sql: row.double(10)),
            startTime: row.optionalDouble(11).map(Date.init(sql:)), endTime: row.optionalDouble(12).map(Date.init(sql:)),
            attempt: Int(row.int(13)), rerunOf: row.optionalText(14), parentFlowRunID: row.optionalText(15),
            parentTaskRunID: row.optionalText(16), deployment: row.optionalText(17),
            scheduledTime: row.optionalDouble(18).map(Date.init(sql:)), pool: row.optionalText(19), workerID: row.optionalText(20),
            project: row.text(21))
    }

    public func flowRun(_ reference: String, project: String?) throws -> FlowRunRecord {
        let reference = reference.trimmingCharacters(in: .whitespaces)
        // Another project's run is not there at all: the same answer as a run that never existed.
        let inProject = project == nil ? "" : " AND p.name = ?"
        let projectValue: [SQLValue] = project.map { [.text($0)] } ?? []
        let candidates = try withConnection { db -> [FlowRunRecord] in
            let exact = try db.query("SELECT \(Self.runColumns) WHERE r.id = ?\(inProject)", [.text(reference)] + projectValue, row: Self.run)
            if !exact.isEmpty { return exact }
            if reference.count >= 4, reference.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
                let byPrefix = try db.query(
                    "SELECT \(Self.runColumns) WHERE r.id >= ? AND r.id < ?\(inProject) LIMIT 5",
                    [.text(reference.lowercased()), .text(reference.lowercased() + "~")] + projectValue, row: Self.run)
                if !byPrefix.isEmpty { return byPrefix }
            }
            return try db.query(
                "SELECT \(Self.runColumns) WHERE r.name = ?\(inProject) ORDER BY r.created_at DESC LIMIT 5", [.text(reference)] + projectValue,
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

    public func taskRuns(flowRunID: String) throws -> [TaskRunRecord] {
        try taskRunRows("flow_run_id = ? ORDER BY flow_run_attempt, seq", [.text(flowRunID)], values: true).map(\.record)
    }

    /// A run's task runs with their state histories, for the API: those whose latest state is at or
    /// after `changedSince` when given.
    public func taskRunViews(flowRunID: String, changedSince: Date? = nil, limit: Int = 100_000, withValues: Bool = false) throws -> [TaskRunView] {
        let rows: [(record: TaskRunRecord, history: String?)]
        if let changedSince {
            // Among the first `limit` task runs only (an index range), so that a run of 100,000 tasks
            // costs a live view no more than the part of it a page shows.
            rows = try taskRunRows(
                "flow_run_id = ? AND seq < ? AND state_time >= ? ORDER BY flow_run_attempt, seq",
                [.text(flowRunID), .int(Int64(limit)), changedSince.sqlValue], values: withValues)
        } else {
            rows = try taskRunRows(
                "flow_run_id = ? ORDER BY flow_run_attempt, seq LIMIT ?", [.text(flowRunID), .int(Int64(limit))], values: withValues)
        }
        return rows.map { TaskRunView($0.record, history: StateHistory.states($0.history), withValues: withValues) }
    }

    /// One task run, with its input, result and history.
    public func taskRunView(_ id: String) throws -> TaskRunView {
        guard let row = try taskRunRows("id = ?", [.text(id)], values: true).first else {
            throw BatonError(.notFound, "no task run with id '\(id)'")
        }
        return TaskRunView(row.record, history: StateHistory.states(row.history), withValues: true)
    }

    /// Task runs matching `filter`; their inputs and results are decoded (and large results read from
    /// their files) only when `values` is true, because decoding is most of the cost of a long list.
    private func taskRunRows(_ filter: String, _ parameters: [SQLValue], values: Bool) throws -> [(record: TaskRunRecord, history: String?)] {
        try withConnection { db in
            try db.query(
                """
                SELECT id, flow_run_id, name, task_name, parent_task_run_id, state_type, state_name, state_message,
                       state_time, attempts, input, result, created_at, start_time, end_time, flow_run_attempt, kind,
                       child_flow_run_id, tags, cached_from, result_path, history
                FROM task_runs WHERE \(filter)
                """, parameters
            ) { row in
                (TaskRunRecord(
                    id: row.text(0), flowRunID: row.text(1), flowRunAttempt: Int(row.int(15)), name: row.text(2),
                    taskName: row.text(3), kind: row.text(16), childFlowRunID: row.optionalText(17),
                    parentTaskRunID: row.optionalText(4),
                    state: RunState(
                        StateType(rawValue: row.text(5)) ?? .crashed, name: row.text(6), message: row.optionalText(7),
                        at: Date(sql: row.double(8))),
                    attempts: Int(row.int(9)),
                    tags: row.optionalText(18).map { $0.split(separator: ",").map(String.init) } ?? [],
                    input: values ? row.optionalText(10).flatMap { try? JSONValue(json: $0) } : nil,
                    result: values ? result(inline: row.optionalText(11), path: row.optionalText(20)).flatMap { try? JSONValue(json: $0) } : nil,
                    cachedFrom: row.optionalText(19), createdAt: Date(sql: row.double(12)),
                    startTime: row.optionalDouble(13).map(Date.init(sql:)), endTime: row.optionalDouble(14).map(Date.init(sql:))), row.optionalText(21))
            }
        }
    }

    public func states(flowRunID: String) throws -> [StateRecord] {
        try withConnection { db in
            let flow = try db.query(
                "SELECT flow_run_id, task_run_id, type, name, message, timestamp FROM states WHERE flow_run_id = ? ORDER BY id",
                [.text(flowRunID)]
            ) { row in
                StateRecord(
                    flowRunID: row.text(0), taskRunID: row.optionalText(1),
                    state: RunState(
                        StateType(rawValue: row.text(2)) ?? .crashed, name: row.text(3), message: row.optionalText(4),
                        at: Date(sql: row.double(5))))
            }
            let tasks = try db.query(
                "SELECT id, history FROM task_runs WHERE flow_run_id = ? ORDER BY flow_run_attempt, seq", [.text(flowRunID)]
            ) { row in
                StateHistory.states(row.optionalText(1)).map { StateRecord(flowRunID: flowRunID, taskRunID: row.text(0), state: $0) }
            }
            return flow + tasks.flatMap { $0 }
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
