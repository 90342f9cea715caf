import BatonCore
import Foundation

/// `baton store check` and `baton store backup`: they work on the file itself, without opening it
/// as a store, so that they also work on a store that is damaged or noted as damaged.
public enum StoreMaintenance {
    /// What `check` found.
    public struct CheckReport: Sendable, Codable {
        public var path: String
        public var bytes: Int64
        /// SQLite's integrity check's findings; empty when the store is sound.
        public var problems: [String]
        public var seconds: Double
        public var ok: Bool { problems.isEmpty }
    }

    /// What `backup` wrote.
    public struct BackupReport: Sendable, Codable {
        public var source: String
        public var destination: String
        public var pages: Int
        public var bytes: Int64
        public var seconds: Double
    }

    /// Runs SQLite's full integrity check (every page, every index entry) of the store at `path`,
    /// calling `tick` now and then; `tick` returning false stops the check. A store found sound loses
    /// its damage note; one found damaged gets one, so that no process writes to it any more.
    public static func check(path: String, tick: @escaping () -> Bool) throws -> CheckReport {
        let started = Date()
        try requireStore(at: path)
        var problems: [String]
        do {
            let connection = try SQLiteConnection(path: path)
            try connection.setBusyTimeout(milliseconds: SQLiteStore.busyTimeoutMilliseconds)
            connection.onProgress(tick)
            defer { connection.onProgress(nil) }
            let (rows, error) = connection.texts("PRAGMA integrity_check(100)")
            problems = rows.flatMap { $0.split(separator: "\n").map(String.init) }
                .filter { $0 != "ok" && !$0.hasPrefix("*** in database") }
            if let error {
                if error.primaryCode == SQLiteConnection.codeInterrupt {
                    throw BatonError(.store, "the check of store '\(path)' was stopped before it finished; nothing was changed")
                }
                guard error.isCorruption else { throw SQLiteStore.storeError(error, path: path) }
                problems.append("the check ended early: \(error.message)")
            }
        } catch let error as SQLiteError where error.isCorruption {
            problems = [error.message]
        } catch let error as SQLiteError {
            throw SQLiteStore.storeError(error, path: path)
        }
        if problems.isEmpty {
            try? FileManager.default.removeItem(atPath: SQLiteStore.damageNotePath(for: path))
        } else {
            _ = SQLiteStore.noteDamage(path: path, detail: "`baton store check` found \(problems.count) problem(s)")
        }
        return CheckReport(path: path, bytes: fileSize(path), problems: problems, seconds: Date().timeIntervalSince(started))
    }

    /// Copies the store at `path` to `destination` with SQLite's online backup API: one consistent
    /// snapshot, copied in batches of pages while other processes go on writing (a read transaction
    /// pins the snapshot; in WAL mode it blocks no writer). The copy is written beside `destination`
    /// and renamed into place when complete, private to its owner. `progress(copied, total)` is called
    /// after each batch; returning false stops the backup and removes the partial copy.
    public static func backup(
        path: String, to destination: String, overwrite: Bool, progress: @escaping (Int, Int) -> Bool
    ) throws -> BackupReport {
        let started = Date()
        try requireStore(at: path)
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: destination, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                throw BatonError(.invalidInput, "backup file '\(destination)' is a directory; name a file such as \(destination)/baton-backup.db")
            }
            if !overwrite { throw BatonError(.invalidInput, "backup file '\(destination)' exists; pass --force to overwrite it") }
        }
        let partial = destination + ".partial"
        try? manager.removeItem(atPath: partial)
        let created = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, BatonHome.fileMode)
        guard created >= 0 else {
            throw BatonError(.io, "backup file '\(partial)' cannot be created: \(String(cString: strerror(errno)))")
        }
        close(created)
        var pages = 0
        do {
            let source = try SQLiteConnection(path: path)
            try source.setBusyTimeout(milliseconds: SQLiteStore.busyTimeoutMilliseconds)
            try source.execute("BEGIN")
            defer { try? source.execute("COMMIT") }
            _ = try source.scalar("SELECT count(*) FROM sqlite_master")
            let target = try SQLiteConnection(path: partial)
            try source.backup(to: target, pagesPerStep: 1024) { copied, total in
                pages = total
                return progress(copied, total)
            }
        } catch {
            try? manager.removeItem(atPath: partial)
            try? manager.removeItem(atPath: partial + "-journal")
            if let error = error as? SQLiteError {
                if error.primaryCode == SQLiteConnection.codeInterrupt {
                    throw BatonError(.store, "the backup of store '\(path)' was stopped; no file was written")
                }
                throw BatonError(.store, "store '\(path)' cannot be backed up to '\(destination)': \(error.description)")
            }
            throw error
        }
        // A WAL or shared-memory file left by an earlier database of that name would be read as
        // part of the new one.
        for stale in [destination + "-wal", destination + "-shm"] { try? manager.removeItem(atPath: stale) }
        guard rename(partial, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            try? manager.removeItem(atPath: partial)
            throw BatonError(.io, "backup file '\(destination)' cannot be written: \(reason)")
        }
        return BackupReport(
            source: path, destination: destination, pages: pages, bytes: fileSize(destination), seconds: Date().timeIntervalSince(started))
    }

    static func requireStore(at path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw BatonError(.notFound, "there is no store at '\(path)'; set BATON_HOME to the folder that holds baton.db")
        }
    }

    static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }
}
