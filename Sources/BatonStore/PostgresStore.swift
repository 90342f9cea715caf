import BatonCore
import BatonLoader
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The store on a PostgreSQL server, selected by `BATON_DATABASE_URL` or `--database URL`
/// (`postgresql://user@host:port/db`): the same records and the same answers as ``SQLiteStore``,
/// shared by processes on any number of hosts.
///
/// - Writers queue on one transaction-scoped advisory lock, as SQLite's writers queue on its write
///   lock: every guarantee the store's logic has on SQLite (a guard read and its change written in one
///   transaction, ids that commit in order for the live feed) holds here unchanged.
/// - Wake-ups are `NOTIFY`s: `baton_topics` carries a topic (`limits`, `cancel`, …) and every
///   committed write notifies `baton_changes`, which the live feed listens to.
/// - Results stay in the database however large, so that every host reads them.
///
/// `@unchecked Sendable`: the connection is only used under `lock`.
public final class PostgresStore: SQLStore, @unchecked Sendable {
    /// The URL it was opened with (with its password, which `location` leaves out).
    let url: String
    /// What stays on this host: run folders, and the library files written from the database.
    let home: BatonHome
    private let connection: PostgresConnection
    private let lock = NSLock()

    /// The advisory lock every write transaction takes first ("BATN" and 1).
    static let writeLock: Int64 = 0x4241_544E_0001
    /// The advisory lock that serialises migrations between processes opening one database at once.
    static let migrationLock: Int64 = 0x4241_544E_0002
    /// The application name the store's marker table holds.
    static let application = "baton"

    /// Whether `text` names a PostgreSQL database (`postgresql://` or `postgres://`).
    public static func isDatabaseURL(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    /// Makes a new, empty database `name` on the server of `url` (whose account may create
    /// databases) and returns its URL: for the bench, which measures each workload on a database of
    /// its own.
    public static func createDatabase(near url: String, name: String) throws -> String {
        guard var components = URLComponents(string: url), isPlainName(name) else {
            throw BatonError(.invalidInput, "cannot make database '\(name)' beside '\(PostgresConnection.redacted(url))'")
        }
        do {
            try PostgresConnection(url: url).execute("CREATE DATABASE \(name)")
        } catch let error as PostgresError {
            throw storeError(error, location: PostgresConnection.redacted(url))
        }
        components.path = "/" + name
        return components.string ?? url
    }

    /// Whether `name` is letters, digits and underscores only: safe to write into SQL as a name.
    private static func isPlainName(_ name: String) -> Bool { name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }

    /// Removes database `name` from the server of `url`, if it is there.
    public static func dropDatabase(near url: String, name: String) {
        guard isPlainName(name) else { return }
        try? PostgresConnection(url: url).execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Connects to the database at `url` and brings its schema up to date; `home` holds what stays
    /// on this host (run folders).
    public init(url: String, home: BatonHome) throws {
        guard Self.isDatabaseURL(url) else {
            throw BatonError(
                .invalidInput, "database URL '\(PostgresConnection.redacted(url))' is not a PostgreSQL URL; expected postgresql://user@host:port/database")
        }
        self.url = url
        self.home = home
        let location = PostgresConnection.redacted(url)
        do {
            connection = try PostgresConnection(url: url)
            try Self.migrate(connection, location: location)
        } catch let error as PostgresError {
            throw Self.storeError(error, location: location)
        }
        super.init(
            kind: "postgresql", location: location, resultFileThreshold: Int.max, resultsPath: home.resultsPath, runsPath: home.runsPath)
    }

    /// Refuses a database that holds something other than Baton's, or Baton's from a newer baton,
    /// and runs the migrations it lacks: one process at a time, in one transaction.
    private static func migrate(_ connection: PostgresConnection, location: String) throws {
        try connection.execute("SELECT pg_advisory_lock(\(migrationLock))")
        defer { try? connection.execute("SELECT pg_advisory_unlock(\(migrationLock))") }
        let tables = try connection.scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()") ?? 0
        let marked = try connection.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'baton_store'") ?? 0
        var current = 0
        if marked > 0 {
            let rows = try connection.query("SELECT application, schema_version FROM baton_store", []) { ($0.text(0), Int($0.int(1))) }
            guard let (application, version) = rows.first, application == Self.application else {
                throw BatonError(.store, "database '\(location)' is not a Baton database (its baton_store table names another application)")
            }
            current = version
        } else if tables > 0 {
            throw BatonError(
                .store,
                "database '\(location)' is not a Baton database (it holds \(tables) tables of something else); "
                    + "name an empty database in BATON_DATABASE_URL")
        }
        if current > PostgresSchema.version {
            throw BatonError(
                .store,
                "database '\(location)' was written by a newer baton (schema \(current), this baton knows up to "
                    + "\(PostgresSchema.version)); upgrade baton")
        }
        guard current < PostgresSchema.version else { return }
        let first = current == 0 ? 0 : current - PostgresSchema.sqliteBase + 1
        try connection.transaction(lock: writeLock) {
            for migration in PostgresSchema.migrations[first...] { try connection.execute(migration) }
            try connection.execute("DELETE FROM baton_store")
            try connection.run(
                "INSERT INTO baton_store (application, schema_version) VALUES (?, ?)",
                [.text(Self.application), .int(Int64(PostgresSchema.version))])
        }
    }

    /// PostgreSQL's error as one line a person can act on.
    static func storeError(_ error: PostgresError, location: String) -> BatonError {
        if error.isConnectionFailure {
            return BatonError(
                .storeUnavailable,
                "the PostgreSQL store '\(location)' cannot be reached (\(error.message)); check the database URL (--database or BATON_DATABASE_URL) and that the server is running",
                underlying: error.description)
        }
        if error.isOutOfSpace {
            return BatonError(
                .storeFull, "the PostgreSQL server of store '\(location)' is out of disk space (\(error.message)); free space and try again",
                underlying: error.description)
        }
        return BatonError(.store, "store '\(location)': \(error.description)", underlying: error.description)
    }

    override func withConnection<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        do {
            return try body(connection)
        } catch let error as PostgresError {
            throw Self.storeError(error, location: location)
        }
    }

    /// Runs `body` in a write transaction behind the store's write lock; its commit notifies
    /// `baton_changes`.
    override func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        do {
            return try connection.transaction(lock: Self.writeLock, { try body(connection) }, committing: "NOTIFY baton_changes; COMMIT")
        } catch let error as PostgresError {
            throw Self.storeError(error, location: location)
        }
    }

    // MARK: Wake-ups

    public override func ring(_ topic: String) {
        _ = try? withConnection { db in try db.run("SELECT pg_notify('baton_topics', ?)", [.text(topic)]) }
    }

    /// A session advisory lock on a connection of its own.
    public override func lease(_ name: String) throws -> any Lease { PostgresLease(url: url, name: name) }

    /// Every host of the database may run any version: the bytes of each library are in it.
    override var keepsLibraryContent: Bool { true }

    /// The library's file where it was registered when this host has it (the registering host, or a
    /// shared folder); else this host's copy in its library store, written from the database's
    /// bytes the first time.
    public override func localLibraryPath(_ library: LibraryRecord) throws -> String {
        if FileManager.default.isReadableFile(atPath: library.path) { return library.path }
        let libraries = LibraryStore(home: home)
        if let stored = try libraries.stored(hash: library.hash) { return stored }
        guard let content = try libraryContent(hash: library.hash) else {
            throw BatonError(
                .notFound,
                "the library \(library.fileName) (\(library.hash.prefix(12))) is not on this host and the database does not hold its bytes; "
                    + "register it again (from any host) to keep them there")
        }
        return try libraries.store(bytes: content, fileName: library.fileName, hash: library.hash)
    }

    public override func doorbell() throws -> any StoreDoorbell {
        try PostgresDoorbell(url: url, location: location, channels: ["baton_topics"])
    }

    public override func changeDoorbell() throws -> any StoreDoorbell {
        try PostgresDoorbell(url: url, location: location, channels: ["baton_topics", "baton_changes"])
    }

    // MARK: Space

    /// The database's size on its server.
    override func sizeInBytes() throws -> Int64 {
        try withConnection { db in try db.scalar("SELECT pg_database_size(current_database())") ?? 0 }
    }
}

/// A watch on a PostgreSQL store's wake-ups: a connection of its own that `LISTEN`s, whose socket
/// becomes readable when a notification arrives. A write's notification reads as the topic `changes`.
final class PostgresDoorbell: StoreDoorbell {
    private let connection: PostgresConnection
    private let channels: [String]
    private let location: String

    init(url: String, location: String, channels: [String]) throws {
        self.channels = channels
        self.location = location
        do {
            connection = try PostgresConnection(url: url)
            try listen()
        } catch let error as PostgresError {
            throw PostgresStore.storeError(error, location: location)
        }
    }

    private func listen() throws {
        try connection.execute(channels.map { "LISTEN \($0)" }.joined(separator: "; "))
    }

    var fd: Int32 { connection.socket }

    /// What a watcher is woken for when what rang is unknown.
    static let everyTopic: Set<String> = ["changes", "deployments", "finished", "limits", "runs", "supervisors", "workers"]

    func drain() -> Set<String> {
        var topics: Set<String> = []
        for (channel, payload) in connection.notifications() {
            topics.insert(channel == "baton_changes" ? "changes" : payload)
        }
        // A connection lost (the server restarted) is made again and listens again; whatever rang
        // meanwhile is unknown, so every watcher is woken to look for itself.
        if !connection.isConnected {
            do {
                try connection.ensureConnected()
                try listen()
            } catch {
                // The server is still away: its closed socket stays readable, so wait a moment
                // before the caller polls again rather than spin.
                usleep(500_000)
            }
            topics.formUnion(Self.everyTopic)
        }
        return topics
    }
}
