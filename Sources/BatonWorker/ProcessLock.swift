import BatonCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a file, held for as long as this process lives or until released.
///
/// The kernel drops the lock the moment its process dies, however it dies: whoever waits for it
/// learns of the death at once, without heartbeats or polling. Workers hold one each (so the
/// scheduling worker learns when another dies) and the scheduling worker holds `scheduler.lock`
/// (so another takes over when it dies). Only for processes on one machine, as the SQLite store is.
final class ProcessLock: @unchecked Sendable {
    let path: String
    private let fd: Int32

    /// Opens (creating) the lock file; throws when it cannot.
    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw BatonError(.io, "lock file '\(path)' cannot be opened: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    /// Takes the lock if nobody holds it; false when someone does.
    func tryLock(shared: Bool = false) -> Bool {
        flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0
    }

    /// Waits for the lock, on the calling thread, as long as it takes.
    func lock(shared: Bool = false) {
        while flock(fd, shared ? LOCK_SH : LOCK_EX) != 0 && errno == EINTR {}
    }

    func unlock() { flock(fd, LOCK_UN) }

    /// Waits for the lock on a thread of its own and calls `acquired` once it has it.
    static func whenAcquired(_ lock: ProcessLock, shared: Bool = false, _ acquired: @escaping @Sendable () -> Void) {
        Thread.detachNewThread {
            lock.lock(shared: shared)
            acquired()
        }
    }
}
