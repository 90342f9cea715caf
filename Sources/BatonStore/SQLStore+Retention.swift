import BatonCore
import Foundation

/// What `baton store prune` removes.
public struct PruneOptions: Sendable {
    /// Runs that ended before this time go.
    public var endedBefore: Date
    /// Failed and crashed runs stay.
    public var keepFailed: Bool
    /// Count what would go, remove nothing.
    public var dryRun: Bool
    /// Whether a store made before incremental vacuum existed is converted (one full VACUUM, which
    /// holds the write lock while it copies the whole file): the CLI does, the server's daily prune
    /// does not.
    public var convert: Bool

    public init(endedBefore: Date, keepFailed: Bool = false, dryRun: Bool = false, convert: Bool = false) {
        self.endedBefore = endedBefore
        self.keepFailed = keepFailed
        self.dryRun = dryRun
        self.convert = convert
    }
}

/// What a prune removed (or, dry, would remove).
public struct PruneReport: Sendable, Codable, Hashable {
    public var runs = 0
    public var taskRuns = 0
    public var logs = 0
    public var artifacts = 0
    public var resultFiles = 0
    public var runDirectories = 0
    public var bytesBefore: Int64 = 0
    public var bytesAfter: Int64 = 0
    /// The store was converted to incremental vacuum by a full VACUUM.
    public var converted = false
    public var dryRun = false
}

/// Retention: final runs older than a cut-off go with everything that belongs to them (task runs,
/// states, logs, artifacts, edges, cached results, result files, working directories), and the freed
/// pages go back to the file system.
///
/// A run is removed only with its whole tree of subflow runs, and only when every run of the tree is
/// final: a subflow is never removed on its own, nor while its parent is alive. Runs go in batches of
/// a few hundred, each batch one short write transaction, so that runs being written are delayed by
/// one batch at most (about a quarter of a second on a store of 100,000 runs).
extension SQLStore {
    static let pruneBatch = 500

    public func prune(_ options: PruneOptions) throws -> PruneReport {
        var report = PruneReport()
        report.dryRun = options.dryRun
        report.bytesBefore = try settledSizeInBytes()
        let failed = options.keepFailed ? " AND state_type NOT IN ('failed', 'crashed')" : ""
        let roots = try withConnection { db in
            try db.query(
                """
                SELECT id FROM flow_runs WHERE parent_flow_run_id IS NULL AND state_type IN ('completed', 'failed', 'crashed', 'cancelled')
                  AND COALESCE(end_time, state_time) < ?\(failed)
                """, [options.endedBefore.sqlValue]
            ) { $0.text(0) }
        }
        var offset = 0
        while offset < roots.count {
            let batch = Array(roots[offset..<min(offset + Self.pruneBatch, roots.count)])
            offset += batch.count
            try pruneTrees(batch, options: options, into: &report)
            if !options.dryRun { prunedBatch() }
        }
        guard !options.dryRun else {
            report.bytesAfter = report.bytesBefore
            return report
        }
        report.converted = try reclaimSpace(convert: options.convert)
        report.bytesAfter = try settledSizeInBytes()
        return report
    }

    /// Removes the trees of `roots` whose runs are all final (and not failed, with `keepFailed`).
    private func pruneTrees(_ roots: [String], options: PruneOptions, into report: inout PruneReport) throws {
        let placeholders = Array(repeating: "?", count: roots.count).joined(separator: ",")
        var files: [String] = []
        var removed: [String] = []
        func body(_ db: any SQLConnection) throws {
            let members = try db.query(
                """
                WITH RECURSIVE tree(root, id) AS (
                    SELECT id, id FROM flow_runs WHERE id IN (\(placeholders))
                    UNION ALL SELECT tree.root, r.id FROM flow_runs r JOIN tree ON r.parent_flow_run_id = tree.id)
                SELECT tree.root, tree.id, f.state_type FROM tree JOIN flow_runs f ON f.id = tree.id
                """, roots.map { .text($0) }
            ) { (root: $0.text(0), id: $0.text(1), state: $0.text(2)) }
            let kept = Set(
                members.filter { member in
                    let final = ["completed", "failed", "crashed", "cancelled"].contains(member.state)
                    return !final || (options.keepFailed && (member.state == "failed" || member.state == "crashed"))
                }.map(\.root))
            let ids = members.filter { !kept.contains($0.root) }.map(\.id)
            guard !ids.isEmpty else { return }
            let list = Array(repeating: "?", count: ids.count).joined(separator: ",")
            let values = ids.map { SQLValue.text($0) }
            func count(_ sql: String) throws -> Int { Int(try db.scalar(sql, values) ?? 0) }
            report.runs += ids.count
            report.taskRuns += try count("SELECT count(*) FROM task_runs WHERE flow_run_id IN (\(list))")
            report.logs += try count("SELECT count(*) FROM logs WHERE flow_run_id IN (\(list))")
            report.artifacts += try count("SELECT count(*) FROM artifacts WHERE flow_run_id IN (\(list))")
            files += try db.query(
                """
                SELECT result_path FROM task_runs WHERE flow_run_id IN (\(list)) AND result_path IS NOT NULL
                UNION ALL SELECT result_path FROM cache WHERE flow_run_id IN (\(list)) AND result_path IS NOT NULL
                """, values + values
            ) { $0.text(0) }
            removed += ids
            guard !options.dryRun else { return }
            for table in ["task_run_edges", "task_runs", "states", "logs", "artifacts", "cache", "concurrency_slots", "event_batches"] {
                try db.run("DELETE FROM \(table) WHERE flow_run_id IN (\(list))", values)
            }
            // Schedule slots keep their rows, naming a run that is gone: they are what makes
            // scheduling exactly-once.
            try db.run("DELETE FROM flow_runs WHERE id IN (\(list))", values)
        }
        if options.dryRun {
            try withConnection(body)
        } else {
            try write(body)
        }
        let manager = FileManager.default
        report.resultFiles += files.filter { manager.fileExists(atPath: $0) }.count
        let directories = removed.map { runsPath + "/" + $0 }.filter { manager.fileExists(atPath: $0) }
        report.runDirectories += directories.count
        guard !options.dryRun else { return }
        for file in files { try? manager.removeItem(atPath: file) }
        for directory in directories { try? manager.removeItem(atPath: directory) }
    }

    public func workingDirectory(ofRun flowRunID: String) throws -> String? {
        try withConnection { db in
            try db.query(
                "SELECT d.working_directory FROM flow_runs r JOIN deployments d ON d.id = r.deployment_id WHERE r.id = ?",
                [.text(flowRunID)]
            ) { $0.optionalText(0) }.first ?? nil
        }
    }
}
