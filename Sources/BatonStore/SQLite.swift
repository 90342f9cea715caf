import CSQLite
import Foundation

/// An error from SQLite: its result code, message and the statement that failed.
struct SQLiteError: Error, CustomStringConvertible {
    let code: Int32
    let message: String
    let sql: String?

    var primaryCode: Int32 { code & 0xFF }
    /// Whether SQLite found the file damaged: a page or the header is not what it wrote.
    var isCorruption: Bool { primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB }
    /// Whether a write found no room: the disk is full (SQLITE_FULL), or the file system refused a
    /// write, a truncation or the shared memory (SQLITE_IOERR, which is how a full tmpfs or a quota
    /// shows when the WAL index grows). Unlike damage, this heals once space is freed.
    var isOutOfSpace: Bool { primaryCode == SQLITE_FULL || primaryCode == SQLITE_IOERR }
    var description: String { message + (sql.map { " (in: \($0.prefix(80)))" } ?? "") }
}

/// One SQLite connection. The only type that calls SQLite; every return code goes through `check`.
/// Not thread-safe: its owner serialises access.
final class SQLiteConnection: SQLConnection {
    var dialect: SQLDialect { .sqlite }
    private let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]
    private var staticStatements: [Int: OpaquePointer] = [:]
    let path: String

    /// Process-wide settings, applied once before the first connection initialises SQLite.
    private static let configured: Void = { _ = sqliteWithoutMemoryStatistics() }()

    /// Opens `path`, creating it unless `readOnly`.
    init(path: String, readOnly: Bool = false) throws {
        Self.configured
        var handle: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let handle { sqlite3_close_v2(handle) }
            throw SQLiteError(code: rc, message: message, sql: nil)
        }
        self.handle = handle
        self.path = path
        sqlite3_extended_result_codes(handle, 1)
        // Checkpointing the WAL at close costs every short-lived `baton` command an fsync; the
        // automatic checkpoints during writes keep the WAL small.
        sqliteNoCheckpointOnClose(handle)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        for statement in staticStatements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    func check(_ rc: Int32, _ sql: String? = nil) throws {
        guard rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE else {
            throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
        }
    }

    /// How long a statement waits for another process's lock before failing with SQLITE_BUSY.
    func setBusyTimeout(milliseconds: Int32) throws {
        try check(sqlite3_busy_timeout(handle, milliseconds))
    }

    /// Runs one or more statements that take no parameters.
    func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(error)
            throw SQLiteError(code: rc, message: message, sql: sql)
        }
    }

    /// Runs a statement and returns its rows, each read by `row`.
    func query<T>(_ sql: String, _ parameters: [SQLValue], row: (SQLRow) throws -> T) throws -> [T] {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        try bind(parameters, to: statement, sql)
        var rows: [T] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            try check(rc, sql)
            rows.append(try row(SQLRow(source: .sqlite(statement))))
        }
        return rows
    }

    /// The first column of each row of a statement as text, with the error that ended it early, if
    /// one did: for `PRAGMA integrity_check`, whose findings come before the error a damaged page
    /// gives.
    func texts(_ sql: String) -> (rows: [String], error: SQLiteError?) {
        var rows: [String] = []
        do {
            _ = try query(sql, []) { row in rows.append(row.text(0)) }
            return (rows, nil)
        } catch let error as SQLiteError {
            return (rows, error)
        } catch {
            return (rows, SQLiteError(code: SQLITE_ERROR, message: "\(error)", sql: sql))
        }
    }

    /// Runs a statement written as a literal, prepared once and found again by the literal's address
    /// rather than by hashing its text: for the statements a run executes per task.
    func run(_ sql: StaticString, _ parameters: [SQLValue]) throws {
        let key = Int(bitPattern: sql.utf8Start)
        let statement: OpaquePointer
        if let known = staticStatements[key] {
            statement = known
        } else {
            let text = sql.description
            var prepared: OpaquePointer?
            try check(sqlite3_prepare_v3(handle, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil), text)
            guard let prepared else { throw SQLiteError(code: SQLITE_MISUSE, message: "empty statement", sql: text) }
            staticStatements[key] = prepared
            statement = prepared
        }
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        try bind(parameters, to: statement, "")
        let rc = sqlite3_step(statement)
        if rc != SQLITE_DONE { try check(rc, sql.description) }
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// Hands this connection's WAL checkpoints to `checkpointer`: commits no longer checkpoint
    /// themselves, and ask it for one when they leave the WAL over its threshold.
    func checkpoint(with checkpointer: Checkpointer) {
        sqlite3_wal_autocheckpoint(handle, 0)
        sqlite3_wal_hook(handle, { context, _, _, pages in
            if pages >= Checkpointer.threshold, let context {
                Unmanaged<Checkpointer>.fromOpaque(context).takeUnretainedValue().request()
            }
            return SQLITE_OK
        }, Unmanaged.passUnretained(checkpointer).toOpaque())
    }

    /// Copies as much of the WAL into the database as it can without waiting for anyone. Never fails:
    /// a checkpoint that finds the WAL in use (SQLITE_BUSY) is simply not done now.
    func checkpointPassively() {
        sqlite3_wal_checkpoint_v2(handle, "main", SQLITE_CHECKPOINT_PASSIVE, nil, nil)
    }

    /// Calls `tick` every few thousand steps of a running statement; a statement whose `tick` returns
    /// false stops with SQLITE_INTERRUPT. `nil` removes it.
    func onProgress(_ tick: (() -> Bool)?) {
        guard let tick else {
            sqlite3_progress_handler(handle, 0, nil, nil)
            progressBox = nil
            return
        }
        let box = ProgressBox(tick)
        progressBox = box
        sqlite3_progress_handler(handle, 10_000, { context in
            guard let context else { return 0 }
            return Unmanaged<ProgressBox>.fromOpaque(context).takeUnretainedValue().tick() ? 0 : 1
        }, Unmanaged.passUnretained(box).toOpaque())
    }
    private var progressBox: ProgressBox?

    /// Copies this database into `destination` with SQLite's online backup API, `pagesPerStep` pages
    /// at a time, calling `progress(copied, total)` after each step; `progress` returning false stops
    /// it. The caller holds a read transaction on this connection, so every step copies the same
    /// snapshot while other processes go on writing.
    func backup(to destination: SQLiteConnection, pagesPerStep: Int32, progress: (Int, Int) -> Bool) throws {
        guard let backup = sqlite3_backup_init(destination.handle, "main", handle, "main") else {
            throw SQLiteError(
                code: sqlite3_errcode(destination.handle), message: String(cString: sqlite3_errmsg(destination.handle)), sql: "backup")
        }
        var rc = SQLITE_OK
        while true {
            rc = sqlite3_backup_step(backup, pagesPerStep)
            if rc == SQLITE_BUSY || rc == SQLITE_LOCKED {
                sqlite3_sleep(20)
                continue
            }
            guard rc == SQLITE_OK else { break }
            let total = Int(sqlite3_backup_pagecount(backup))
            if !progress(total - Int(sqlite3_backup_remaining(backup)), total) {
                rc = SQLITE_INTERRUPT
                break
            }
        }
        if rc == SQLITE_DONE {
            let total = Int(sqlite3_backup_pagecount(backup))
            _ = progress(total, total)
        }
        let finish = sqlite3_backup_finish(backup)
        if rc == SQLITE_DONE { rc = finish }
        guard rc == SQLITE_OK || rc == SQLITE_DONE else {
            let message = rc == SQLITE_INTERRUPT ? "stopped" : String(cString: sqlite3_errstr(rc))
            throw SQLiteError(code: rc, message: message, sql: "backup")
        }
    }

    /// Runs `body` in a transaction that takes the write lock at its start (`BEGIN IMMEDIATE`), so
    /// that two writers queue on the busy timeout instead of one failing when it upgrades its lock.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil), sql)
        guard let statement else { throw SQLiteError(code: SQLITE_MISUSE, message: "empty statement", sql: sql) }
        statements[sql] = statement
        return statement
    }

    private func bind(_ parameters: [SQLValue], to statement: OpaquePointer, _ sql: String) throws {
        for (offset, value) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(statement, index)
            case .int(let v): rc = sqlite3_bind_int64(statement, index, v)
            case .double(let v): rc = sqlite3_bind_double(statement, index, v)
            case .text(let v): rc = sqlite3_bind_text(statement, index, v, -1, sqliteTransient)
            }
            try check(rc, sql)
        }
    }

    static let codeBusy = SQLITE_BUSY
    static let codeInterrupt = SQLITE_INTERRUPT
    static let codeNotADatabase = SQLITE_NOTADB
    static let codeCantOpen = SQLITE_CANTOPEN
    static let codeReadOnly = SQLITE_READONLY
    static let codeCorrupt = SQLITE_CORRUPT
    static let codeConstraint = SQLITE_CONSTRAINT
}

/// Holds a progress callback for SQLite, which keeps only a raw pointer to it.
private final class ProgressBox {
    let tick: () -> Bool
    init(_ tick: @escaping () -> Bool) { self.tick = tick }
}

/// SQLite's SQLITE_TRANSIENT: copy bound text before the call returns.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
