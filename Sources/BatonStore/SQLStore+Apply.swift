import BatonCore
import Foundation

extension SQLStore {
    /// Applies events in order, in one transaction. Task runs are written in bulk at its end: one
    /// created within the batch (the common case when runs are fast) is inserted once, with its final
    /// state, and the changes of one created before are folded into one update; multi-row statements
    /// write them, a round trip per chunk rather than per row. Every state still gets its history line.
    public func apply(_ events: [RunEvent]) throws {
        guard !events.isEmpty else { return }
        try write { db in try apply(events, db) }
    }

    /// See ``RunStore/apply(_:batch:)``: the attempt's last batch number is read and moved on in the
    /// transaction that writes the events.
    public func apply(_ events: [RunEvent], batch: EventBatch) throws -> EventBatch.Outcome {
        try write { db in
            guard
                let (state, attempt, worker) = try db.query(
                    "SELECT state_type, attempt, worker_id FROM flow_runs WHERE id = ?", [.text(batch.flowRunID)]
                ) { (StateType(rawValue: $0.text(0)) ?? .crashed, Int($0.int(1)), $0.optionalText(2)) }.first
            else { return .refused("flow run '\(batch.flowRunID)' does not exist") }
            if attempt != batch.attempt || worker != batch.workerID {
                return .refused("attempt \(batch.attempt) of flow run '\(batch.flowRunID)' is no longer this worker's (it was taken for gone, or the run was retried)")
            }
            let key: [SQLValue] = [.text(batch.flowRunID), .int(Int64(batch.attempt))]
            let last = Int(try db.scalar("SELECT last_batch FROM event_batches WHERE flow_run_id = ? AND attempt = ?", key) ?? 0)
            if batch.number <= last { return .duplicate }
            if batch.number != last + 1 { return .gap(expected: last + 1) }
            if state.isFinal, events.contains(where: { if case .log = $0 { false } else { true } }) {
                return .refused("flow run '\(batch.flowRunID)' is over (\(state.rawValue)): only its log lines are still taken")
            }
            try apply(events, db)
            try db.run(
                """
                INSERT INTO event_batches (flow_run_id, attempt, last_batch) VALUES (?, ?, ?)
                ON CONFLICT (flow_run_id, attempt) DO UPDATE SET last_batch = excluded.last_batch
                """, key + [.int(Int64(batch.number))])
            return .applied
        }
    }

    private func apply(_ events: [RunEvent], _ db: any SQLConnection) throws {
        var pending: [String: TaskRunRow] = [:]
        var order: [String] = []
        var updates: [String: TaskRunChanges] = [:]
        var updated: [String] = []
        for event in events {
            switch event {
            case .taskRunCreated(let start):
                pending[start.id] = TaskRunRow(start)
                order.append(start.id)
            case .taskRunState(let change) where pending[change.taskRunID] != nil:
                pending[change.taskRunID]!.changes.apply(change)
            case .taskRunState(let change):
                if updates[change.taskRunID] == nil {
                    updates[change.taskRunID] = TaskRunChanges(change.state)
                    updated.append(change.taskRunID)
                }
                updates[change.taskRunID]!.apply(change)
            default:
                try apply(event, db)
            }
        }
        try insert(order.compactMap { pending[$0] }, db)
        try update(updated.map { ($0, updates[$0]!) }, db)
    }

    func apply(_ event: RunEvent, _ db: any SQLConnection) throws {
        switch event {
        case .flowRunState(let change):
            let state = change.state
            try db.run(
                """
                UPDATE flow_runs SET state_type = ?, state_name = ?, state_message = ?, state_time = ?,
                    start_time = CASE WHEN start_time IS NULL AND ? = 'running' THEN ? ELSE start_time END,
                    end_time = CASE WHEN ? = 1 THEN ? ELSE NULL END,
                    result = COALESCE(?, CASE WHEN ? = 1 THEN NULL ELSE result END),
                    attempt = COALESCE(?, attempt)
                WHERE id = ?
                """,
                [
                    .text(state.type.rawValue), .text(state.name), state.message.sqlValue, state.timestamp.sqlValue,
                    .text(state.type.rawValue), state.timestamp.sqlValue, .int(state.type.isFinal ? 1 : 0),
                    state.timestamp.sqlValue, change.result.sqlValue, .int(state.type == .running ? 1 : 0),
                    change.attempt.map { .int(Int64($0)) } ?? .null, .text(change.flowRunID),
                ])
            try insertState(db, flowRunID: change.flowRunID, taskRunID: nil, state)
        case .flowRunCreated(let run):
            try insertFlowRun(run, db)
        case .taskRunCreated(let start):
            try insert([TaskRunRow(start)], db)
        case .taskRunState(let change):
            var changes = TaskRunChanges(change.state)
            changes.apply(change)
            try update([(change.taskRunID, changes)], db)
        case .edges(let flowRunID, let edges):
            for edge in edges {
                try db.run(
                    "INSERT INTO task_run_edges (flow_run_id, upstream, downstream, kind) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [.text(flowRunID), .text(edge.upstream), .text(edge.downstream), .text(edge.kind)])
            }
        case .log(let record):
            try db.run(
                "INSERT INTO logs (flow_run_id, task_run_id, task_run_name, timestamp, level, message) VALUES (?, ?, ?, ?, ?, ?)" as StaticString,
                [
                    .text(record.flowRunID), record.taskRunID.sqlValue, record.taskRunName.sqlValue,
                    record.timestamp.sqlValue, .int(Int64(record.level.rawValue)), .text(record.message),
                ])
        case .artifact(let artifact):
            try db.run(
                """
                INSERT INTO artifacts (key, kind, data, description, flow_run_id, task_run_id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(artifact.key), .text(artifact.kind), .text(artifact.data), artifact.description.sqlValue,
                    .text(artifact.flowRunID), artifact.taskRunID.sqlValue, artifact.createdAt.sqlValue,
                ])
        case .cacheStore(let entry):
            let (inline, path) = try keep(entry.result, name: "cache-" + entry.taskRunID)
            try db.run(
                """
                INSERT INTO cache (project_id, key, task_name, result, result_path, flow_run_id, task_run_id, task_run_name,
                                   created_at, expires_at)
                VALUES ((SELECT project_id FROM flow_runs WHERE id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (project_id, key) DO UPDATE SET
                    task_name = excluded.task_name, result = excluded.result, result_path = excluded.result_path,
                    flow_run_id = excluded.flow_run_id, task_run_id = excluded.task_run_id, task_run_name = excluded.task_run_name,
                    created_at = excluded.created_at, expires_at = excluded.expires_at
                """,
                [
                    .text(entry.flowRunID), .text(entry.key), .text(entry.taskName), inline.sqlValue, path.sqlValue, .text(entry.flowRunID),
                    .text(entry.taskRunID), entry.taskRunName.sqlValue, entry.createdAt.sqlValue,
                    entry.expiresAt.map(\.sqlValue) ?? .null,
                ])
        }
    }

    func insertState(_ db: any SQLConnection, flowRunID: String, taskRunID: String?, _ state: RunState) throws {
        try db.run(
            "INSERT INTO states (flow_run_id, task_run_id, type, name, message, timestamp) VALUES (?, ?, ?, ?, ?, ?)" as StaticString,
            [
                .text(flowRunID), taskRunID.sqlValue, .text(state.type.rawValue), .text(state.name),
                state.message.sqlValue, state.timestamp.sqlValue,
            ])
    }

    /// Inserts task runs with multi-row statements (see ``chunks(_:)``).
    private func insert(_ rows: [TaskRunRow], _ db: any SQLConnection) throws {
        for chunk in Self.chunks(rows) {
            var parameters: [SQLValue] = []
            parameters.reserveCapacity(chunk.count * 25)
            for row in chunk { parameters += try values(row) }
            try db.run(Self.taskRunInsert(rows: chunk.count), parameters)
        }
    }

    /// Writes the folded changes of stored task runs with multi-row updates (see ``chunks(_:)``).
    private func update(_ rows: [(id: String, changes: TaskRunChanges)], _ db: any SQLConnection) throws {
        for chunk in Self.chunks(rows) {
            var parameters: [SQLValue] = []
            parameters.reserveCapacity(chunk.count * 12)
            for (id, changes) in chunk {
                let (inline, path) = try keep(changes.result, name: id)
                let state = changes.state
                parameters += [
                    .text(id), .text(state.type.rawValue), .text(state.name), state.message.sqlValue, state.timestamp.sqlValue,
                    .int(Int64(changes.attempts)), changes.startTime.map(\.sqlValue) ?? .null, changes.endTime.map(\.sqlValue) ?? .null,
                    inline.sqlValue, path.sqlValue, changes.cachedFrom.sqlValue, .text(changes.history),
                ]
            }
            try db.run(Self.taskRunUpdate(rows: chunk.count), parameters)
        }
    }

    /// `rows` in chunks of 128, then of powers of two for the rest: a statement per chunk, and at
    /// most eight statements (of each kind) for a connection to prepare.
    static func chunks<T>(_ rows: [T]) -> [ArraySlice<T>] {
        var chunks: [ArraySlice<T>] = []
        var next = rows[...]
        while !next.isEmpty {
            let size = next.count >= 128 ? 128 : 1 << (Int.bitWidth - 1 - next.count.leadingZeroBitCount)
            chunks.append(next.prefix(size))
            next = next.dropFirst(size)
        }
        return chunks
    }

    /// `INSERT INTO task_runs … VALUES (…), (…)` for `rows` rows of ``values(_:)``.
    static func taskRunInsert(rows: Int) -> String {
        """
            INSERT INTO task_runs (id, flow_run_id, seq, name, task_name, parent_task_run_id, state_type, state_name,
                state_message, state_time, attempts, input, result, result_path, created_at, start_time, end_time,
                flow_run_attempt, kind, child_flow_run_id, tags, input_key, cache_key, cached_from, history)
            VALUES
            """ + placeholderRows(columns: 25, rows: rows)
    }

    /// `UPDATE task_runs … FROM (VALUES …)` for `rows` task runs' folded changes: id, state (type,
    /// name, message, time), attempts, the first running time, the end time, result (inline, file),
    /// cached-from and the history lines to append. The first row's casts type the columns for
    /// PostgreSQL, which would otherwise take a column of NULLs for text.
    static func taskRunUpdate(rows: Int) -> String {
        let typed =
            "(CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS DOUBLE PRECISION), CAST(? AS BIGINT), "
            + "CAST(? AS DOUBLE PRECISION), CAST(? AS DOUBLE PRECISION), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT))"
        return """
            UPDATE task_runs SET state_type = v.column2, state_name = v.column3, state_message = v.column4, state_time = v.column5,
                attempts = CASE WHEN task_runs.attempts > v.column6 THEN task_runs.attempts ELSE v.column6 END,
                start_time = COALESCE(task_runs.start_time, v.column7), end_time = COALESCE(v.column8, task_runs.end_time),
                result = COALESCE(v.column9, task_runs.result), result_path = COALESCE(v.column10, task_runs.result_path),
                cached_from = COALESCE(v.column11, task_runs.cached_from), history = COALESCE(task_runs.history, '') || v.column12
            FROM (VALUES
            """ + typed + (rows > 1 ? ", " + placeholderRows(columns: 12, rows: rows - 1) : "") + ") AS v WHERE task_runs.id = v.column1"
    }

    /// One task run's 25 values, in the columns' order of ``taskRunInsert(rows:)``.
    private func values(_ row: TaskRunRow) throws -> [SQLValue] {
        let (inline, path) = try keep(row.changes.result, name: row.start.id)
        let s = row.start
        return [
            .text(s.id), .text(s.flowRunID), .int(Int64(s.position)), .text(s.name), .text(s.taskName),
            s.parentTaskRunID.sqlValue, .text(row.changes.state.type.rawValue), .text(row.changes.state.name), row.changes.state.message.sqlValue,
            row.changes.state.timestamp.sqlValue, .int(Int64(row.changes.attempts)), s.input.sqlValue, inline.sqlValue, path.sqlValue,
            s.createdAt.sqlValue, row.changes.startTime.map(\.sqlValue) ?? .null, row.changes.endTime.map(\.sqlValue) ?? .null,
            .int(Int64(s.flowRunAttempt)), .text(s.kind), s.childFlowRunID.sqlValue,
            s.tags.isEmpty ? .null : .text(s.tags.joined(separator: ",")), s.inputKey.sqlValue, s.cacheKey.sqlValue,
            row.changes.cachedFrom.sqlValue, .text(row.changes.history),
        ]
    }

    /// Records a run in its project: a subflow run in its parent's, a deployment's run in the
    /// deployment's, any other in the project it names.
    func insertFlowRun(_ run: NewFlowRun, _ db: any SQLConnection) throws {
        let projectID: Int64?
        if let parent = run.parentFlowRunID {
            projectID = try db.scalar("SELECT project_id FROM flow_runs WHERE id = ?", [.text(parent)])
        } else if let deployment = run.deploymentID {
            projectID = try db.scalar("SELECT project_id FROM deployments WHERE id = ?", [.int(deployment)])
        } else {
            projectID = try db.scalar("SELECT id FROM projects WHERE name = ?", [.text(run.project)])
        }
        let ids = try db.query(
            "SELECT f.id, v.id FROM versions v JOIN flows f ON f.id = v.flow_id WHERE f.project_id = ? AND f.name = ? AND v.number = ?",
            [projectID.map { .int($0) } ?? .null, .text(run.flow), .int(Int64(run.version))]
        ) { ($0.int(0), $0.int(1)) }
        guard let projectID, let (flowID, versionID) = ids.first else {
            throw BatonError(.notFound, "flow '\(run.flow)' has no version \(run.version)")
        }
        try db.run(
            """
            INSERT INTO flow_runs (id, name, flow_id, version_id, state_type, state_name, state_message, state_time,
                                   parameters, created_at, rerun_of, parent_flow_run_id, parent_task_run_id,
                                   deployment_id, scheduled_time, pool, project_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(run.id), .text(run.name), .int(flowID), .int(versionID), .text(run.state.type.rawValue),
                .text(run.state.name), run.state.message.sqlValue, run.state.timestamp.sqlValue,
                .text(JSONValue.object(run.parameters).jsonText), run.state.timestamp.sqlValue, run.rerunOf.sqlValue,
                run.parentFlowRunID.sqlValue, run.parentTaskRunID.sqlValue, run.deploymentID.map { .int($0) } ?? .null,
                run.scheduledTime?.sqlValue ?? .null, run.pool.sqlValue, .int(projectID),
            ])
        try insertState(db, flowRunID: run.id, taskRunID: nil, run.state)
    }

    /// A result small enough stays in its row; a larger one goes to a file under `results/`, and the
    /// row keeps the file's path.
    func keep(_ result: String?, name: String) throws -> (inline: String?, path: String?) {
        guard let result, result.utf8.count > resultFileThreshold else { return (result, nil) }
        let folder = resultsPath
        let path = folder + "/" + name + ".json"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(result.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            _ = chmod(path, BatonHome.fileMode)
        } catch {
            throw BatonError(.io, "a result of \(result.utf8.count) bytes cannot be written to \(path): \(error.localizedDescription)")
        }
        return (nil, path)
    }

    /// Reads a result kept in a row or in a file.
    func result(inline: String?, path: String?) -> String? {
        if let inline { return inline }
        guard let path, let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A task run created in the current batch, collecting its states until the batch is written.
/// A task run created within a batch: inserted at its end, with what its changes came to.
private struct TaskRunRow {
    let start: TaskRunStart
    var changes: TaskRunChanges

    init(_ start: TaskRunStart) {
        self.start = start
        changes = TaskRunChanges(RunState(.pending, at: start.createdAt))
        changes.history = StateHistory.line(changes.state)
    }
}

/// The state changes of one task run within a batch, folded into what its row becomes: the last
/// state, the most attempts, the first running time, the last end time and result, and every
/// state's history line.
private struct TaskRunChanges {
    var state: RunState
    var attempts = 0
    var startTime: Date?
    var endTime: Date?
    var result: String?
    var cachedFrom: String?
    /// The history lines the batch adds.
    var history = ""

    init(_ state: RunState) { self.state = state }

    mutating func apply(_ change: TaskRunStateChange) {
        state = change.state
        history += StateHistory.line(change.state)
        attempts = max(attempts, change.attempt)
        if startTime == nil, change.state.type == .running { startTime = change.state.timestamp }
        if change.state.type.isFinal { endTime = change.state.timestamp }
        if let value = change.result { result = value }
        if let source = change.cachedFrom { cachedFrom = source }
    }
}

/// A task run's states, kept in its row: one JSON array per line, `[type, name, seconds, message]`.
enum StateHistory {
    static func line(_ state: RunState) -> String {
        "[\"\(state.type.rawValue)\",\(JSONValue.quote(state.name)),\(state.timestamp.timeIntervalSince1970),\(state.message.map(JSONValue.quote) ?? "null")]\n"
    }

    static func states(_ history: String?) -> [RunState] {
        guard let history else { return [] }
        return history.split(separator: "\n").compactMap { line in
            // Read by hand: a JSONDecoder per line was most of the cost of listing a run's task runs.
            if let state = HistoryLine.parse(line.utf8) { return state }
            guard let fields = (try? JSONValue(json: String(line)))?.arrayValue, fields.count == 4,
                let type = fields[0].stringValue.flatMap(StateType.init(rawValue:)), let name = fields[1].stringValue
            else { return nil }
            let seconds: Double
            switch fields[2] {
            case .double(let value): seconds = value
            case .int(let value): seconds = Double(value)
            default: return nil
            }
            return RunState(type, name: name, message: fields[3].stringValue, at: Date(timeIntervalSince1970: seconds))
        }
    }
}

/// One line of a task run's history, `["type","name",seconds,"message"|null]`, read without a JSON
/// decoder. Anything unexpected returns nil and the caller falls back to the decoder.
enum HistoryLine {
    static func parse(_ bytes: Substring.UTF8View) -> RunState? {
        var reader = Reader(bytes: Array(bytes))
        guard reader.take(UInt8(ascii: "[")), let typeText = reader.string(), reader.take(UInt8(ascii: ",")),
            let name = reader.string(), reader.take(UInt8(ascii: ",")), let seconds = reader.number(), reader.take(UInt8(ascii: ","))
        else { return nil }
        let message: String?
        if reader.takeNull() {
            message = nil
        } else {
            guard let text = reader.string() else { return nil }
            message = text
        }
        guard reader.take(UInt8(ascii: "]")), reader.atEnd, let type = StateType(rawValue: typeText) else { return nil }
        return RunState(type, name: name, message: message, at: Date(timeIntervalSince1970: seconds))
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func takeNull() -> Bool {
            guard bytes.count - index >= 4, bytes[index..<index + 4].elementsEqual("null".utf8) else { return false }
            index += 4
            return true
        }

        mutating func number() -> Double? {
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: ","), bytes[index] != UInt8(ascii: "]") { index += 1 }
            return Double(String(decoding: bytes[start..<index], as: UTF8.self))
        }

        /// A JSON string with its escapes, \u and surrogate pairs included.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            var out: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { return nil }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "n"): out.append(10)
                    case UInt8(ascii: "r"): out.append(13)
                    case UInt8(ascii: "t"): out.append(9)
                    case UInt8(ascii: "b"): out.append(8)
                    case UInt8(ascii: "f"): out.append(12)
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "u"):
                        guard var scalar = hex4() else { return nil }
                        if (0xD800..<0xDC00).contains(scalar) {
                            guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { return nil }
                        out += Array(String(Character(unicode)).utf8)
                    default: return nil
                    }
                default: out.append(byte)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard bytes.count - index >= 4, let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else { return nil }
            index += 4
            return value
        }
    }
}
