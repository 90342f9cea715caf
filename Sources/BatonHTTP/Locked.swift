#if canImport(Glibc)
import Glibc
#endif

/// A value behind a plain pthread mutex.
///
/// Not `Synchronization.Mutex`: on Linux that is a priority-inheritance futex that hands the lock to
/// the longest waiter; a plain mutex lets a running thread take a free lock at once (see BatonCore's
/// `Locked`, of which this is this target's copy: BatonHTTP depends on no host target, so it keeps
/// its own).
///
/// `@unchecked Sendable`: `value` is only reached under `mutex`.
final class Locked<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var value: Value

    init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
