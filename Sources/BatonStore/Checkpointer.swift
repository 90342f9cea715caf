import Foundation

/// Copies the WAL back into the database on a thread of its own, so that writers never wait for it.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold and syncs the WAL
/// and the database file to disk there: a `baton run` of 100,000 tasks was measured spending a good
/// part of its time asleep in `fdatasync` on its only writing thread. The writing connection turns
/// that off and asks for a checkpoint here instead when a commit leaves the WAL over `threshold`
/// pages; this thread runs a passive checkpoint on its own connection, which never blocks writers,
/// and ends after a while without requests.
///
/// `@unchecked Sendable`: mutable state is guarded by `condition`'s lock.
final class Checkpointer: @unchecked Sendable {
    /// WAL pages after which a checkpoint is asked for: SQLite's own default.
    static let threshold: Int32 = 1000

    private let path: String
    private let condition = NSCondition()
    private var requested = false
    private var running = false
    private var checkpointing = false
    /// Checkpoints completed, for `waitUntilIdle`.
    private(set) var completed = 0

    init(path: String) { self.path = path }

    /// Asks for a checkpoint soon; returns at once.
    func request() {
        condition.lock()
        defer { condition.unlock() }
        requested = true
        if running {
            condition.signal()
        } else {
            running = true
            Thread.detachNewThread { [self] in loop() }
        }
    }

    /// Waits until no checkpoint is asked for or running, and returns how many have completed.
    func waitUntilIdle() -> Int {
        condition.lock()
        defer { condition.unlock() }
        while requested || checkpointing { condition.wait() }
        return completed
    }

    private func loop() {
        let connection = try? SQLiteConnection(path: path)
        try? connection?.setBusyTimeout(milliseconds: 1000)
        // A connection opens its file at its first statement; until then SQLite does not know the
        // file is in WAL mode, and a checkpoint does nothing.
        _ = try? connection?.scalar("SELECT count(*) FROM sqlite_master")
        condition.lock()
        while true {
            if !requested, !condition.wait(until: Date(timeIntervalSinceNow: 10)), !requested {
                break
            }
            guard requested else { continue }
            requested = false
            checkpointing = true
            condition.unlock()
            // A store found damaged is not written to, not even by copying its WAL back.
            if !FileManager.default.fileExists(atPath: SQLiteStore.damageNotePath(for: path)) { connection?.checkpointPassively() }
            condition.lock()
            checkpointing = false
            completed += 1
            condition.broadcast()
        }
        running = false
        condition.unlock()
    }
}
