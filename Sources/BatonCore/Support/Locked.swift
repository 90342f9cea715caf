#if canImport(Glibc)
import Glibc
#endif

/// A value behind a plain pthread mutex.
///
/// Not `Synchronization.Mutex`: on Linux that is a priority-inheritance futex, which hands the lock
/// to the thread that waited longest, so under contention every hand-over waits for that thread to
/// be scheduled. A 100,000-way map was measured convoying on it, dozens of body threads asleep on
/// one lock. A plain mutex lets a running thread take a free lock at once.
///
/// `@unchecked Sendable`: `value` is only reached under `mutex`.
public final class Locked<Value: Sendable>: @unchecked Sendable {
    // Inlinable, so that the engine's hot paths get it specialised as they did when it was theirs.
    @usableFromInline let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    @usableFromInline var value: Value

    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inlinable
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
