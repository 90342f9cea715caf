import BatonCore
import BatonLoader
import Foundation

/// `baton store copy --to URL`: moves a SQLite store into an empty PostgreSQL database, every table
/// (versions, libraries, runs, task runs, states, logs, artifacts, caches, deployments, limits,
/// workers, projects, users, keys, sessions and the audit log), with its ids.
///
/// The source is read in one read transaction, so the copy is one consistent moment of it while
/// other processes go on writing; the destination (a new database, or one holding only Baton's empty
/// schema) is written in one transaction, so it ends with the whole copy or, interrupted or failed,
/// as empty as it began. The counts of every table are compared
/// before that transaction commits. The bytes of each library file are kept in the database too (its
/// other hosts have no file); result files stay where `BATON_HOME` keeps them.
public enum StoreCopy {
    /// What a copy did: the rows of each table, and how long it took.
    public struct Report: Codable, Sendable {
        public var destination: String
        public var tables: [String: Int]
        public var rows: Int
        public var seconds: Double
    }

    /// Rows read and written per statement.
    static let chunk = 500

    /// Copies the SQLite store at `sqlitePath` into the empty PostgreSQL database at `url`;
    /// `progress` hears each table's rows as they go (table, copied, total) and stops the copy by
    /// returning false.
    public static func copy(sqlitePath: String, to url: String, home: BatonHome, progress: (String, Int, Int) -> Bool) throws -> Report {
        let started = Date()
        guard PostgresStore.isDatabaseURL(url) else {
            throw BatonError(
                .invalidInput, "--to '\(PostgresConnection.redacted(url))' is not a PostgreSQL URL; expected postgresql://user@host:port/database")
        }
        let location = PostgresConnection.redacted(url)
        try StoreMaintenance.requireStore(at: sqlitePath)
        let source = try SQLiteStore(path: sqlitePath)
        do {
            let destination = try PostgresConnection(url: url)
            // The schema, as any process opening the database makes it (a database of something
            // else is refused here).
            _ = try PostgresStore(url: url, home: home)
            let counts = try source.withSQLite { sqlite in
                try sqlite.execute("BEGIN")
                defer { try? sqlite.execute("COMMIT") }
                let order = try tablesInOrder(sqlite)
                try requireEmpty(destination, tables: order, location: location)
                return try destination.transaction(lock: PostgresStore.writeLock) {
                    var counts = try copyTables(order, from: sqlite, to: destination, progress: progress)
                    counts["library_files"] = try keepLibraryContent(from: sqlite, to: destination)
                    return counts
                }
            }
            return Report(destination: location, tables: counts, rows: counts.values.reduce(0, +), seconds: Date().timeIntervalSince(started))
        } catch let error as PostgresError {
            throw PostgresStore.storeError(error, location: location)
        }
    }

    /// Refuses a database that holds records: only what its migration made (the default project) may
    /// be there, so that nothing of anyone's is overwritten.
    static func requireEmpty(_ destination: PostgresConnection, tables: [String], location: String) throws {
        let held = try tables.filter { table in
            try (destination.scalar("SELECT count(*) FROM \(table)") ?? 0) > (table == "projects" ? 1 : 0)
        }
        guard held.isEmpty else {
            throw BatonError(
                .invalidInput,
                "database '\(location)' already holds Baton records (in \(held.prefix(4).joined(separator: ", "))); "
                    + "copy into a new, empty database (createdb NAME)")
        }
    }

    /// The store's tables, each after the tables its foreign keys name.
    static func tablesInOrder(_ sqlite: SQLiteConnection) throws -> [String] {
        let names = try sqlite.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name", []) {
            $0.text(0)
        }
        var parents: [String: Set<String>] = [:]
        for name in names {
            parents[name] = Set(try sqlite.query("SELECT \"table\" FROM pragma_foreign_key_list(?)", [.text(name)]) { $0.text(0) })
                .subtracting([name])
        }
        var ordered: [String] = []
        var placed: Set<String> = []
        while ordered.count < names.count {
            let ready = names.filter { !placed.contains($0) && (parents[$0] ?? []).isSubset(of: placed) }
            guard !ready.isEmpty else { throw BatonError(.store, "the store's tables refer to each other in a cycle; cannot order a copy") }
            ordered += ready
            placed.formUnion(ready)
        }
        return ordered
    }

    /// Empties the destination's tables of what its migration put there (the default project), then
    /// copies every table, sets each identity to follow the copied ids, and compares the counts.
    static func copyTables(
        _ tables: [String], from sqlite: SQLiteConnection, to destination: PostgresConnection, progress: (String, Int, Int) -> Bool
    ) throws -> [String: Int] {
        for table in tables.reversed() where table != "audit" { try destination.execute("DELETE FROM \(table)") }
        var counts: [String: Int] = [:]
        for table in tables {
            let columns = try sqlite.query("SELECT name FROM pragma_table_info(?) ORDER BY cid", [.text(table)]) { $0.text(0) }
            let known = Set(
                try destination.query(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?", [.text(table)]
                ) { $0.text(0) })
            guard Set(columns) == known else {
                throw BatonError(
                    .store,
                    "table \(table) has columns \(columns.sorted().joined(separator: ", ")) here and \(known.sorted().joined(separator: ", ")) "
                        + "in the database; was the store made by another baton?")
            }
            let total = Int(try sqlite.scalar("SELECT count(*) FROM \(table)") ?? 0)
            let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
            var copied = 0
            var rows: [[SQLValue]] = []
            func flush() throws {
                guard !rows.isEmpty else { return }
                try destination.run(
                    "INSERT INTO \(table) (\(list)) VALUES " + placeholderRows(columns: columns.count, rows: rows.count), rows.flatMap { $0 })
                copied += rows.count
                rows.removeAll(keepingCapacity: true)
                guard progress(table, copied, total) else { throw BatonError(.store, "the copy was interrupted; the database was left empty") }
            }
            guard progress(table, 0, total) else { throw BatonError(.store, "the copy was interrupted; the database was left empty") }
            // Rows are read one at a time and written a chunk at a time, so that memory stays flat.
            _ = try sqlite.query("SELECT \(list) FROM \(table)", []) { row in
                rows.append((0..<Int32(columns.count)).map { row.value($0) })
                if rows.count == chunk { try flush() }
            }
            try flush()
            if columns.contains("id"), try destination.scalar("SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND column_name = 'id' AND is_identity = 'YES'", [.text(table)]) == 1 {
                try destination.execute("SELECT setval(pg_get_serial_sequence('\(table)', 'id'), COALESCE((SELECT max(id) FROM \(table)), 0) + 1, false)")
            }
            let stored = Int(try destination.scalar("SELECT count(*) FROM \(table)") ?? -1)
            guard stored == total else {
                throw BatonError(.store, "table \(table): \(total) rows in the store but \(stored) in the database after the copy; nothing was kept")
            }
            counts[table] = total
        }
        return counts
    }

    /// Keeps the bytes of each library in the database, read from its file on this host and checked
    /// against its hash; returns how many. A file gone or changed since it was registered is left
    /// out (registering the library again keeps it).
    static func keepLibraryContent(from sqlite: SQLiteConnection, to destination: PostgresConnection) throws -> Int {
        var kept = 0
        for (hash, path) in try sqlite.query("SELECT hash, path FROM libraries", [], row: { ($0.text(0), $0.text(1)) }) {
            guard let data = FileManager.default.contents(atPath: path), SHA256.hex(of: data) == hash else { continue }
            try destination.run(
                "INSERT INTO library_files (hash, content) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING", [.text(hash), .text(data.base64EncodedString())])
            kept += 1
        }
        return kept
    }
}
