import BatonCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a file, held for as long as this process lives or until released.
///
/// The kernel drops the lock the moment its process dies, however it dies: whoever waits for it
/// learns of the death at once, without heartbeats or polling. Workers hold one each (so the
/// scheduling worker learns when another dies), the scheduling worker holds `scheduler.lock` (so
/// another takes over when it dies), and each run's supervisor holds one per run attempt (so a
/// `baton run` that dies is noticed). Only for processes on one machine, as the SQLite store is.
/// Lock files are opened close-on-exec, so runner children never inherit a lock.
public final class ProcessLock: @unchecked Sendable {
    // @unchecked: `fd` is set once; flock calls on it are thread-safe.
    public let path: String
    private let fd: Int32
    /// What the lock is, in errors ("lock file '…'"), and their code.
    private let subject: String
    private let code: BatonError.Code

    /// Opens (creating) the lock file; throws when it cannot.
    public convenience init(path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        try self.init(path: path, fd: fd, subject: "lock file '\(path)'", code: .io)
    }

    /// Locks the folder `directory` itself (a folder takes a `flock` as a file does), for a lock that
    /// needs no file of its own; `subject` names the folder in errors, which have `code`.
    public convenience init(directory: String, subject: String, code: BatonError.Code) throws {
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try self.init(path: directory, fd: fd, subject: subject, code: code)
    }

    private init(path: String, fd: Int32, subject: String, code: BatonError.Code) throws {
        guard fd >= 0 else { throw BatonError(code, "\(subject) cannot be opened: \(String(cString: strerror(errno)))") }
        self.path = path
        self.fd = fd
        self.subject = subject
        self.code = code
    }

    /// Opens an existing lock file without creating it; nil when there is none.
    public static func existing(path: String) -> ProcessLock? {
        try? ProcessLock(path: path, fd: open(path, O_RDWR | O_CLOEXEC), subject: "lock file '\(path)'", code: .io)
    }

    deinit { close(fd) }

    /// Takes the lock if nobody holds it; false when someone does.
    public func tryLock(shared: Bool = false) -> Bool {
        flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0
    }

    /// Waits for the lock, on the calling thread, as long as it takes.
    public func lock(shared: Bool = false) {
        try? lockOrThrow(shared: shared)
    }

    /// Waits for the lock as `lock` does, and throws when the system refuses it (not for a signal).
    public func lockOrThrow(shared: Bool = false) throws {
        while flock(fd, shared ? LOCK_SH : LOCK_EX) != 0 {
            guard errno == EINTR else { throw BatonError(code, "\(subject) cannot be locked: \(String(cString: strerror(errno)))") }
        }
    }

    public func unlock() { flock(fd, LOCK_UN) }

    /// Whether some process holds the lock of the file at `path`: nil when there is no such file.
    public static func isHeld(path: String) -> Bool? {
        guard let probe = existing(path: path) else { return nil }
        guard probe.tryLock(shared: true) else { return true }
        probe.unlock()
        return false
    }

    /// Waits for the lock on a thread of its own and calls `acquired` once it has it.
    public static func whenAcquired(_ lock: ProcessLock, shared: Bool = false, _ acquired: @escaping @Sendable () -> Void) {
        Thread.detachNewThread {
            lock.lock(shared: shared)
            acquired()
        }
    }
}
