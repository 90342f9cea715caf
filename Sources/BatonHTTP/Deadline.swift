#if canImport(Glibc)
import Glibc
#endif

/// A point in time on the monotonic clock by which something must have happened.
struct Deadline {
    let instant: ContinuousClock.Instant

    /// `duration` from now.
    static func after(_ duration: Duration) -> Deadline {
        Deadline(instant: .now + duration)
    }

    /// The time left, in whole milliseconds rounded up, for `poll`; 0 once passed.
    var remainingMilliseconds: Int32 {
        let left = instant - .now
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }

    /// The deadline as an absolute CLOCK_MONOTONIC time, for `pthread_cond_timedwait`.
    var monotonicTimespec: timespec {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let left = max(instant - .now, .zero)
        let (seconds, attoseconds) = left.components
        var result = timespec(tv_sec: now.tv_sec + Int(seconds), tv_nsec: now.tv_nsec + Int(attoseconds / 1_000_000_000))
        if result.tv_nsec >= 1_000_000_000 {
            result.tv_sec += 1
            result.tv_nsec -= 1_000_000_000
        }
        return result
    }
}

extension Duration {
    /// "10 s", "200 ms": short enough for a one-line error message.
    var shortDescription: String {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}
