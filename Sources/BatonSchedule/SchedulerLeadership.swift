import BatonCore
import BatonProcess
import Foundation

/// Who may run the scheduling pass: one process per store at a time, the holder of a lease. On one
/// host the lease is the `scheduler.lock` file lock; a store shared across hosts (a later issue) adds
/// a lease of its own (an advisory lock of the database) behind the same protocol.
public protocol Lease: AnyObject, Sendable {
    /// Waits for the lease on a thread of its own and calls `acquired` once it is held. The lease is
    /// held until ``release()`` or the process ends (a dead holder's lease comes free by itself).
    func whenAcquired(_ acquired: @escaping @Sendable () -> Void)
    /// Gives the lease up.
    func release()
}

/// The scheduler's lease on one host: an exclusive lock on `scheduler.lock` in the store's locks
/// folder, which the kernel frees when its holder dies.
public final class FileLease: Lease {
    let lock: ProcessLock

    public init(path: String) throws { lock = try ProcessLock(path: path) }

    public func whenAcquired(_ acquired: @escaping @Sendable () -> Void) { ProcessLock.whenAcquired(lock, acquired) }

    public func release() { lock.unlock() }
}

public enum SchedulerLeadership {
    /// The scheduler's lease of the store whose locks live in `locks`.
    public static func lease(locks: String) throws -> any Lease { try FileLease(path: locks + "/scheduler.lock") }
}
