import BatonCore
import BatonProcess
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A completed task run's result, which a resumed run may reuse.
public struct CompletedResult: Sendable, Hashable {
    public var taskRunID: String
    public var taskRunName: String
    public var attempt: Int
    public var result: String
}

/// A global concurrency limit and how many of its slots are taken.
public struct ConcurrencyLimit: Codable, Sendable, Hashable {
    public var tag: String
    public var slots: Int
    public var active: Int
}

extension SQLStore {
    // MARK: Cache

    public func cachedResult(key: String, forRun flowRunID: String, now: Date = Date()) throws -> CacheHit? {
        try withConnection { db in
            try db.query(
                """
                SELECT result, result_path, task_run_id, flow_run_id, created_at, task_run_name FROM cache
                WHERE project_id = (SELECT project_id FROM flow_runs WHERE id = ?) AND key = ? AND (expires_at IS NULL OR expires_at > ?)
                """, [.text(flowRunID), .text(key), now.sqlValue]
            ) { row in
                CacheHit(
                    result: result(inline: row.optionalText(0), path: row.optionalText(1)) ?? "null", taskRunID: row.text(2),
                    taskRunName: row.optionalText(5), flowRunID: row.text(3), createdAt: Date(sql: row.double(4)))
            }.first
        }
    }

    /// Removes cached results, of one task or all; returns how many.
    @discardableResult
    public func clearCache(task: String?, project: String) throws -> Int {
        try write { db in
            if let task {
                try db.run("DELETE FROM cache WHERE project_id = \(Self.projectIDSQL) AND task_name = ?", [.text(project), .text(task)])
            } else {
                try db.run("DELETE FROM cache WHERE project_id = \(Self.projectIDSQL)", [.text(project)])
            }
            return db.changes
        }
    }

    // MARK: Concurrency limits

    public func setLimit(tag: String, slots: Int, project: String) throws {
        try write { db in
            let projectID = try Self.projectID(project, db)
            try db.run(
                """
                INSERT INTO concurrency_limits (project_id, tag, slots, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (project_id, tag) DO UPDATE SET slots = excluded.slots
                """,
                [.int(projectID), .text(tag), .int(Int64(slots)), Date().sqlValue])
        }
        // Tasks waiting for a slot of this tag may start now.
        ring("limits")
    }

    @discardableResult
    public func removeLimit(tag: String, project: String) throws -> Bool {
        let removed = try write { db in
            let key: [SQLValue] = [.text(project), .text(tag)]
            try db.run("DELETE FROM concurrency_limits WHERE project_id = \(Self.projectIDSQL) AND tag = ?", key)
            let removed = db.changes > 0
            try db.run("DELETE FROM concurrency_slots WHERE project_id = \(Self.projectIDSQL) AND tag = ?", key)
            return removed
        }
        if removed { ring("limits") }
        return removed
    }

    public func limits(project: String) throws -> [ConcurrencyLimit] {
        try withConnection { db in
            try db.query(
                """
                SELECT l.tag, l.slots, (SELECT count(*) FROM concurrency_slots s WHERE s.project_id = l.project_id AND s.tag = l.tag)
                FROM concurrency_limits l WHERE l.project_id = \(Self.projectIDSQL) ORDER BY l.tag
                """, [.text(project)]
            ) { ConcurrencyLimit(tag: $0.text(0), slots: Int($0.int(1)), active: Int($0.int(2))) }
        }
    }

    /// Takes a slot of every limited tag in `tags` for a task run, all or none. Slots held by processes
    /// that are gone are given back first. Returns false when a limit is full.
    public func acquireSlots(tags: [String], taskRunID: String, flowRunID: String, holder: ProcessIdentity = .current) throws -> Bool {
        guard !tags.isEmpty else { return true }
        return try write { db in
            // The limits of the run's project: a tag limited in one project does not hold back
            // another's. (A run not recorded, as some benchmarks ask for, counts as the default project's.)
            guard
                let projectID = try db.scalar(
                    "SELECT COALESCE((SELECT project_id FROM flow_runs WHERE id = ?), (SELECT id FROM projects WHERE name = ?))",
                    [.text(flowRunID), .text(ProjectNames.default)])
            else { return true }
            let marks = tags.map { _ in "?" }.joined(separator: ", ")
            let limited = try db.query(
                "SELECT tag, slots FROM concurrency_limits WHERE project_id = ? AND tag IN (\(marks))", [.int(projectID)] + tags.map { .text($0) }
            ) { ($0.text(0), Int($0.int(1))) }
            guard !limited.isEmpty else { return true }
            for (tag, slots) in limited {
                var taken = Int(try db.scalar("SELECT count(*) FROM concurrency_slots WHERE project_id = ? AND tag = ?", [.int(projectID), .text(tag)]) ?? 0)
                if taken >= slots {
                    taken -= try reclaimDeadHolders(projectID: projectID, tag: tag, db)
                }
                if taken >= slots { return false }
            }
            for (tag, _) in limited {
                try db.run(
                    """
                    INSERT INTO concurrency_slots (project_id, tag, task_run_id, flow_run_id, holder_pid, holder_start, acquired_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                    """,
                    [.int(projectID), .text(tag), .text(taskRunID), .text(flowRunID), .int(Int64(holder.pid)), .text(holder.stored), Date().sqlValue])
            }
            return true
        }
    }

    /// Gives back the slots of a task run; returns whether it held any.
    @discardableResult
    public func releaseSlots(taskRunID: String) throws -> Bool {
        try write { db in
            try db.run("DELETE FROM concurrency_slots WHERE task_run_id = ?", [.text(taskRunID)])
            return db.changes > 0
        }
    }

    /// Gives back every slot the task runs of a flow run hold; returns whether there were any.
    @discardableResult
    public func releaseSlots(flowRunID: String) throws -> Bool {
        try write { db in
            try db.run("DELETE FROM concurrency_slots WHERE flow_run_id = ?", [.text(flowRunID)])
            return db.changes > 0
        }
    }

    private func reclaimDeadHolders(projectID: Int64, tag: String, _ db: any SQLConnection) throws -> Int {
        let holders = try db.query(
            "SELECT DISTINCT holder_pid, holder_start FROM concurrency_slots WHERE project_id = ? AND tag = ?", [.int(projectID), .text(tag)]
        ) { ProcessIdentity(pid: Int32($0.int(0)), stored: $0.text(1)) }
        var reclaimed = 0
        for holder in holders where !holder.isAlive {
            try db.run(
                "DELETE FROM concurrency_slots WHERE holder_pid = ? AND holder_start = ?",
                [.int(Int64(holder.pid)), .text(holder.stored)])
            reclaimed += db.changes
        }
        return reclaimed
    }

    // MARK: Artifacts and the run graph

    /// Artifacts, newest first: of one flow run, of one key, or all.
    public func artifacts(flowRunID: String? = nil, key: String? = nil, limit: Int = 100, project: String) throws -> [ArtifactRecord] {
        // Each artifact is its run's project's: the run's row says which.
        var conditions = ["r.project_id = \(Self.projectIDSQL)"]
        var parameters: [SQLValue] = [.text(project)]
        if let flowRunID {
            conditions.append("a.flow_run_id = ?")
            parameters.append(.text(flowRunID))
        }
        if let key {
            conditions.append("a.key = ?")
            parameters.append(.text(key))
        }
        return try withConnection { db in
            try db.query(
                """
                SELECT a.id, a.key, a.kind, a.data, a.description, a.flow_run_id, a.task_run_id, a.created_at
                FROM artifacts a JOIN flow_runs r ON r.id = a.flow_run_id WHERE \(conditions.joined(separator: " AND "))
                ORDER BY a.id DESC LIMIT ?
                """, parameters + [.int(Int64(limit))]
            ) { row in
                ArtifactRecord(
                    id: row.int(0), key: row.text(1), kind: row.text(2), data: row.text(3), description: row.optionalText(4),
                    flowRunID: row.text(5), taskRunID: row.optionalText(6), createdAt: Date(sql: row.double(7)))
            }
        }
    }

    public func edges(flowRunID: String) throws -> [TaskRunEdge] {
        try withConnection { db in
            try db.query(
                "SELECT upstream, downstream, kind FROM task_run_edges WHERE flow_run_id = ? ORDER BY downstream, upstream",
                [.text(flowRunID)]
            ) { TaskRunEdge(upstream: $0.text(0), downstream: $0.text(1), kind: $0.text(2)) }
        }
    }

    /// The subflow runs a flow run started.
    public func subflowRuns(of flowRunID: String) throws -> [FlowRunRecord] {
        try withConnection { db in
            try db.query(
                "SELECT \(Self.runColumns) WHERE r.parent_flow_run_id = ? ORDER BY r.created_at", [.text(flowRunID)],
                row: Self.run)
        }
    }

    // MARK: Resume and supervisors

    /// The results of a flow run's completed task runs, by input key (task and input), for resume.
    public func completedResults(flowRunID: String) throws -> [String: CompletedResult] {
        let rows = try withConnection { db in
            try db.query(
                """
                SELECT input_key, id, result, result_path, name, flow_run_attempt FROM task_runs
                WHERE flow_run_id = ? AND state_type = 'completed' AND input_key IS NOT NULL AND kind = 'task'
                ORDER BY flow_run_attempt, seq
                """, [.text(flowRunID)]
            ) { row in
                (row.text(0), row.text(1), self.result(inline: row.optionalText(2), path: row.optionalText(3)), row.text(4), Int(row.int(5)))
            }
        }
        var results: [String: CompletedResult] = [:]
        for (key, id, result, name, attempt) in rows {
            if let result { results[key] = CompletedResult(taskRunID: id, taskRunName: name, attempt: attempt, result: result) }
        }
        return results
    }

    /// Records which process supervises a run, so that a cancellation reaches it.
    public func setSupervisor(flowRunID: String, process: ProcessIdentity) throws {
        try write { db in
            // Only an open run takes a supervisor: a run cancelled in the instant between its claim and
            // this write was ended directly (it had no supervisor to tell), and must not be run now.
            try db.run(
                """
                UPDATE flow_runs SET supervisor_pid = ?, supervisor_start = ?
                WHERE id = ? AND state_type NOT IN ('completed', 'failed', 'crashed', 'cancelled')
                """,
                [.int(Int64(process.pid)), .text(process.stored), .text(flowRunID)])
            if db.changes == 0 {
                let state = try db.query("SELECT state_type FROM flow_runs WHERE id = ?", [.text(flowRunID)], row: { $0.text(0) }).first
                throw state == nil
                    ? BatonError(.notFound, "no flow run '\(flowRunID)'")
                    : BatonError(.conflict, "flow run '\(flowRunID)' is over (\(state ?? "")) and is not run")
            }
        }
    }
}
