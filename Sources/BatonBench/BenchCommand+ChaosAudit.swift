import BatonCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What `baton-bench chaos` finds in the store and the marker files once everything has settled,
/// read as an operator would: with the `sqlite3` shell (read-only), or with `psql` for a PostgreSQL
/// store (`--database`).
struct ChaosAudit {
    /// One flow run as the audit needs it.
    struct Run {
        var id: String
        var flow: String
        var state: String
        var stateName: String
        var attempt: Int
        var pool: String?
        var deployment: Int64?
        var scheduledTime: Double?
        var createdAt: Double
        var tag: String?
        var supervisor: ChaosProcess?
        var worker: ChaosProcess?

        var isFinal: Bool { ["completed", "failed", "crashed", "cancelled"].contains(state) }
        /// Its supervisor, or the worker that claimed it, is alive: it is still being looked after.
        var isHeld: Bool { supervisor?.isAlive == true || worker?.isAlive == true }
    }

    /// One execution attempt, from its marker files.
    struct Attempt {
        var run: String
        var attempt: Int
        var pid: Int32
        var ppid: Int32
        var tag: String
        var start: Double
        var ended: Bool
        var overlapped: Bool
    }

    /// The SQLite file, or the PostgreSQL database's URL.
    let database: String
    let markers: String

    var onPostgres: Bool { database.hasPrefix("postgresql://") || database.hasPrefix("postgres://") }

    // MARK: Reading

    func runs() throws -> [String: Run] {
        let rows = try query(
            """
            SELECT r.id, f.name AS flow, r.state_type, r.state_name, r.attempt, r.pool, r.deployment_id, r.scheduled_time, r.created_at,
                   \(onPostgres ? "(r.parameters::json)->>'tag'" : "json_extract(r.parameters, '$.tag')") AS tag, r.supervisor_pid, r.supervisor_start, w.pid AS worker_pid, w.process_start AS worker_start
            FROM flow_runs r JOIN flows f ON f.id = r.flow_id LEFT JOIN workers w ON w.id = r.worker_id
            """)
        var runs: [String: Run] = [:]
        for row in rows {
            guard let id = row["id"]?.stringValue else { continue }
            func identity(_ pid: String, _ start: String) -> ChaosProcess? {
                guard let pid = row[pid]?.intValue, let start = row[start]?.stringValue else { return nil }
                // Stored as `start@host`; the chaos fleet runs on this host.
                return ChaosProcess(pid: Int32(pid), start: ProcessIdentity(pid: Int32(pid), stored: start).start)
            }
            runs[id] = Run(
                id: id, flow: row["flow"]?.stringValue ?? "", state: row["state_type"]?.stringValue ?? "",
                stateName: row["state_name"]?.stringValue ?? "", attempt: Int(row["attempt"]?.intValue ?? 1),
                pool: row["pool"]?.stringValue, deployment: row["deployment_id"]?.intValue, scheduledTime: number(row["scheduled_time"]),
                createdAt: number(row["created_at"]) ?? 0, tag: row["tag"]?.stringValue,
                supervisor: identity("supervisor_pid", "supervisor_start"), worker: identity("worker_pid", "worker_start"))
        }
        return runs
    }

    /// The flow-run states of each run, oldest first: (type, name, time).
    func states() throws -> [String: [(type: String, name: String, time: Double)]] {
        var states: [String: [(String, String, Double)]] = [:]
        for row in try query("SELECT flow_run_id, type, name, timestamp FROM states WHERE task_run_id IS NULL ORDER BY id") {
            guard let id = row["flow_run_id"]?.stringValue else { continue }
            states[id, default: []].append((row["type"]?.stringValue ?? "", row["name"]?.stringValue ?? "", number(row["timestamp"]) ?? 0))
        }
        return states
    }

    /// Runs of a deployment that no schedule slot names: a slot's second run.
    func runsOutsideSlots() throws -> [String] {
        try query(
            """
            SELECT id FROM flow_runs WHERE deployment_id IS NOT NULL
              AND id NOT IN (SELECT flow_run_id FROM schedule_slots WHERE flow_run_id IS NOT NULL)
            """
        ).compactMap { $0["id"]?.stringValue }
    }

    /// SQLite's integrity check; nil on PostgreSQL, whose own check is pg_amcheck.
    func integrity() throws -> String? {
        guard !onPostgres else { return nil }
        return try query("PRAGMA integrity_check").compactMap { $0["integrity_check"]?.stringValue }.joined(separator: "; ")
    }

    /// Every attempt the flows recorded in the marker folder.
    func attempts() -> [Attempt] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: markers)) ?? []
        let names = Set(files)
        var attempts: [Attempt] = []
        for file in files where file.hasSuffix(".start") {
            let base = String(file.dropLast(".start".count))
            guard let data = FileManager.default.contents(atPath: markers + "/" + file),
                let fields = try? JSONValue(json: String(decoding: data, as: UTF8.self)),
                let run = fields["run"]?.stringValue
            else { continue }
            attempts.append(
                Attempt(
                    run: run, attempt: Int(fields["attempt"]?.intValue ?? 0), pid: Int32(fields["pid"]?.intValue ?? 0),
                    ppid: Int32(fields["ppid"]?.intValue ?? 0), tag: fields["tag"]?.stringValue ?? "", start: number(fields["time"]) ?? 0,
                    ended: names.contains(base + ".end"), overlapped: names.contains(base + ".overlap")))
        }
        return attempts
    }

    // MARK: The sqlite3 shell

    /// The rows of `sql`, read with the store's own shell: `sqlite3` (read-only), or `psql` with the
    /// rows folded into one JSON array.
    private func query(_ sql: String) throws -> [JSONValue] {
        let text =
            onPostgres
            ? try shell(
                "psql", package: "postgresql-client",
                [database, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", "SELECT coalesce(json_agg(t), '[]'::json) FROM (\(sql)) t"])
            : try shell("sqlite3", package: "sqlite3", ["-readonly", "-json", "-cmd", ".timeout 60000", database, sql])
        return text.isEmpty ? [] : try JSONValue(json: text).arrayValue ?? []
    }

    /// What `name` (from `package`) prints given `arguments`, trimmed; its error output in the error.
    private func shell(_ name: String, package: String, _ arguments: [String]) throws -> String {
        guard let path = Self.executable(name) else {
            throw BatonError(.invalidInput, "the chaos audit reads the store with \(name), and no \(name) is on PATH: install it (apt-get install \(package))")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problem = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BatonError(.io, "\(name) failed (\(process.terminationStatus)): \(String(decoding: problem, as: UTF8.self).prefix(300))")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func executable(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") + ["/usr/bin"] {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private func number(_ value: JSONValue?) -> Double? {
        guard let value else { return nil }
        if case .double(let d) = value { return d }
        return value.intValue.map(Double.init)
    }
}

/// A process as the store records it: its pid and start time (field 22 of /proc/PID/stat), so that a
/// reused pid is not taken for it.
struct ChaosProcess {
    var pid: Int32
    var start: String

    var isAlive: Bool { Self.statField(pid, 22) == start }

    /// Field `number` (counted from 1, as proc(5) does) of a process's stat line.
    static func statField(_ pid: Int32, _ number: Int) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > number - 3 ? String(fields[number - 3]) : nil
    }
}
