import BatonCore
import BatonProcess
import Foundation

/// The embedded store: one SQLite file in WAL mode, shared safely by every process on the machine.
///
/// Writers take the write lock when their transaction begins (`BEGIN IMMEDIATE`) and wait up to the
/// busy timeout for it, so two processes writing at once queue rather than fail with "database is
/// locked". The file is identified before anything is written to it: a file that is not a Baton store
/// is refused untouched.
///
/// `@unchecked Sendable`: the connection is only used under `lock`.
public final class SQLiteStore: SQLStore, @unchecked Sendable {
    /// The database file.
    public let path: String
    /// The folder the store's file is in, beside which its doorbells, locks and results live.
    let folder: String
    private let connection: SQLiteConnection
    private let lock = NSLock()
    /// Runs this store's WAL checkpoints; `connection` holds it unretained.
    private let checkpointer: Checkpointer
    /// Rung after each write transaction commits, for servers streaming live events.
    private let changeBell: ChangeBell
    /// The damage this store saw, if it saw any: from then on it refuses every statement, so that a
    /// damaged file is never written to (guarded by `lock`).
    private var damage: BatonError?

    /// Results up to 64 KiB stay in the database unless `BATON_RESULT_FILE_THRESHOLD` says otherwise.
    public static var defaultResultFileThreshold: Int {
        ProcessInfo.processInfo.environment["BATON_RESULT_FILE_THRESHOLD"].flatMap(Int.init).map { max(0, $0) } ?? 65_536
    }

    /// How long a writer waits for another process's transaction.
    static let busyTimeoutMilliseconds: Int32 = 60_000

    /// Opens the store of `home`, creating its directories and the database as needed.
    public convenience init(home: BatonHome) throws {
        try home.prepare()
        try self.init(path: home.databasePath)
    }

    /// Opens (or creates) the store at `path` and brings its schema up to date.
    public init(path: String, resultFileThreshold: Int = SQLiteStore.defaultResultFileThreshold) throws {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        self.folder = folder
        checkpointer = Checkpointer(path: path)
        changeBell = ChangeBell(directory: folder + "/doorbells/live")
        // Opening is serialised across processes: while a new file is being identified, switched to
        // WAL and migrated, a second opener would see half of it or deadlock on the journal switch.
        // A folder lock: SQLite never locks folders, so this cannot disturb its own locks.
        let initialization = try ProcessLock(directory: folder, subject: "the store's folder '\(folder)'", code: .store)
        try initialization.lockOrThrow()
        defer { initialization.unlock() }
        try Self.checkHeader(path: path)
        do {
            connection = try SQLiteConnection(path: path)
            try connection.setBusyTimeout(milliseconds: Self.busyTimeoutMilliseconds)
            try Self.identify(connection, path: path)
            // A new store gives the pages of pruned runs back to the file system (`baton store prune`);
            // SQLite accepts this only before the first table exists and before the switch to WAL.
            if try connection.scalar("SELECT count(*) FROM sqlite_master") == 0 {
                try connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
            }
            // The WAL file is cut back to 64 MiB when it starts over after a checkpoint. Pages are
            // checked for consistency as they are read, so damage is reported rather than used.
            try connection.execute(
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA journal_size_limit=67108864; "
                    + "PRAGMA cell_size_check=ON")
            try Self.migrate(connection)
            try Self.checkSchema(connection, path: path)
            connection.checkpoint(with: checkpointer)
        } catch let error as SQLiteError {
            throw Self.storeError(error, path: path, noting: error.isCorruption && FileManager.default.fileExists(atPath: path))
        }
        super.init(
            kind: "sqlite", location: path, resultFileThreshold: resultFileThreshold, resultsPath: folder + "/results", runsPath: folder + "/runs")
    }

    /// Refuses a file that is not a Baton store, or one from a newer baton, before writing to it.
    private static func identify(_ connection: SQLiteConnection, path: String) throws {
        try connection.execute("BEGIN")
        defer { try? connection.execute("COMMIT") }
        let application = try connection.scalar("PRAGMA application_id") ?? 0
        let version = try connection.scalar("PRAGMA user_version") ?? 0
        let objects = try connection.scalar("SELECT count(*) FROM sqlite_master") ?? 0
        if application != Schema.applicationID && (application != 0 || objects > 0) {
            throw BatonError(
                .store,
                "store '\(path)' is not a Baton database (it is a SQLite database with \(objects) tables of something "
                    + "else); move it away or set BATON_HOME to another directory")
        }
        if version > Schema.migrations.count {
            throw BatonError(
                .store,
                "store '\(path)' was written by a newer baton (schema \(version), this baton knows up to "
                    + "\(Schema.migrations.count)); upgrade baton")
        }
    }

    private static func migrate(_ connection: SQLiteConnection) throws {
        guard (try connection.scalar("PRAGMA user_version") ?? 0) < Schema.migrations.count else { return }
        // A migration that rebuilds a table others refer to (SQLite's way to change a constraint)
        // runs with foreign keys off, which SQLite allows only outside a transaction; every
        // reference is checked before the migration commits instead.
        try connection.execute("PRAGMA foreign_keys=OFF")
        defer { try? connection.execute("PRAGMA foreign_keys=ON") }
        try connection.transaction {
            // Checked again under the write lock: another process may have migrated meanwhile.
            let current = Int(try connection.scalar("PRAGMA user_version") ?? 0)
            guard current < Schema.migrations.count else { return }
            for migration in Schema.migrations[current...] { try connection.execute(migration) }
            let broken = try connection.query("PRAGMA foreign_key_check") { "\($0.text(0)) row \($0.int(1))" }
            guard broken.isEmpty else {
                throw BatonError(.store, "migrating the store left references broken (\(broken.prefix(3).joined(separator: ", "))); nothing was changed")
            }
            try connection.execute(
                "PRAGMA application_id = \(Schema.applicationID); PRAGMA user_version = \(Schema.migrations.count)")
        }
    }

    /// SQLite's error as one line a person can act on. Damage (`noting`) is also noted next to the
    /// file, so that every other process refuses the store too until `baton store check` passes.
    static func storeError(_ error: SQLiteError, path: String, noting: Bool = false) -> BatonError {
        if noting { return noteDamage(path: path, detail: error.message) }
        if error.isOutOfSpace {
            return BatonError(
                .storeFull, "the disk holding store '\(path)' is full or refused a write (\(error.message)); free space and try again",
                underlying: error.description)
        }
        let message: String
        switch error.primaryCode {
        case SQLiteConnection.codeNotADatabase:
            message = "store '\(path)' is not a Baton database (SQLite: \(error.message)); move it away or set BATON_HOME to another directory"
        case SQLiteConnection.codeCantOpen:
            message = "store '\(path)' cannot be opened (\(error.message)); check that BATON_HOME is a writable directory"
        case SQLiteConnection.codeReadOnly:
            message = "store '\(path)' is read-only (\(error.message)); check the permissions of BATON_HOME"
        case SQLiteConnection.codeBusy:
            message = "store '\(path)' stayed locked by another process for \(busyTimeoutMilliseconds / 1000) s; try again"
        case SQLiteConnection.codeCorrupt:
            return damaged(path: path, detail: error.message)
        default:
            message = "store '\(path)': \(error.description)"
        }
        return BatonError(.store, message, underlying: error.description)
    }

    /// Runs `body` with the connection, serialised, with SQLite's errors turned into Baton's. Once
    /// the file was found damaged, nothing runs on it any more.
    override func withConnection<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try withSQLite(body)
    }

    /// `withConnection` for what only SQLite does (checkpoints, vacuum).
    func withSQLite<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        if let damage { throw damage }
        do {
            return try body(connection)
        } catch let error as SQLiteError {
            let converted = Self.storeError(error, path: path, noting: error.isCorruption)
            if error.isCorruption { damage = converted }
            throw converted
        }
    }

    /// Waits for the WAL checkpoints asked for so far, and returns how many have run.
    func waitForCheckpoints() -> Int { checkpointer.waitUntilIdle() }

    /// Runs `body` in a write transaction: SQLite's write lock, taken at its start, queues writers.
    override func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        let result = try withSQLite { connection in try connection.transaction { try body(connection) } }
        changeBell.ring()
        return result
    }

    // MARK: Wake-ups

    var doorbellPath: String { folder + "/doorbells" }
    var changeBellPath: String { doorbellPath + "/live" }

    /// Watches this store's topics and every committed write to it, by any process (the topic
    /// `changes`): the live-events feed's wake-up.
    public override func changeDoorbell() throws -> any StoreDoorbell {
        try Doorbell(watching: [
            (doorbellPath, UInt32(IN_CLOSE_WRITE | IN_MOVED_TO)), (changeBellPath, UInt32(IN_MODIFY | IN_CLOSE_WRITE)),
        ])
    }

    /// Wakes every process watching this store for `topic`.
    public override func ring(_ topic: String) { Doorbell.ring(topic, in: doorbellPath) }

    /// Starts watching this store's topics.
    public override func doorbell() throws -> any StoreDoorbell { try Doorbell(directory: doorbellPath) }

    /// A lock file in the `locks` folder beside the store: its processes share this host.
    public override func lease(_ name: String) throws -> any Lease {
        try FileLease(path: folder + "/locks/\(name).lock")
    }

    // MARK: Space

    /// The database file and its write-ahead log.
    override func sizeInBytes() throws -> Int64 {
        [path, path + "-wal"].reduce(0) { $0 + (((try? FileManager.default.attributesOfItem(atPath: $1))?[.size] as? Int64) ?? 0) }
    }

    /// The database file, once the WAL was copied into it as far as nobody needs it.
    override func settledSizeInBytes() throws -> Int64 {
        try withSQLite { db in db.checkpointPassively() }
        return StoreMaintenance.fileSize(path)
    }

    /// Each batch leaves its pages in the WAL; letting the checkpointer copy them back before the
    /// next keeps the WAL near one batch instead of growing by the whole prune.
    override func prunedBatch() { _ = waitForCheckpoints() }

    /// Gives freed pages back to the file system (incremental vacuum), or with `convert` converts a
    /// store made before incremental vacuum existed (one full VACUUM). The file shrinks when the WAL
    /// is copied back in full; a checkpoint that finds the WAL in use is not an error, a later one
    /// shrinks it.
    override func reclaimSpace(convert: Bool) throws -> Bool {
        var converted = false
        try withSQLite { db in
            db.checkpointPassively()
            if try db.scalar("PRAGMA auto_vacuum") == 2 {
                try db.execute("PRAGMA incremental_vacuum")
            } else if convert {
                try db.execute("PRAGMA auto_vacuum = INCREMENTAL")
                try db.execute("VACUUM")
                converted = true
            }
        }
        _ = waitForCheckpoints()
        return converted
    }
}

extension Date {
    var sqlValue: SQLValue { .double(timeIntervalSince1970) }
    init(sql seconds: Double) { self.init(timeIntervalSince1970: seconds) }
}

extension Optional where Wrapped == String {
    var sqlValue: SQLValue { map { .text($0) } ?? .null }
}
