import BatonCore
import BatonStore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Whether the process supervising a run (a `baton run`, a worker, a server) still lives; the sweep
/// that ends the runs of those that died is the application layer's (`services.runs.sweepOrphans`).
///
/// Each supervisor holds `locks/run-<id>-<attempt>.lock` (a `RunLock`) from before it records itself
/// on the run until the run is over (see `RunSupervisor`); a `baton run` takes it before the run or
/// its new attempt exists, and records itself in the same transaction that creates it. A run that is not over is orphaned when the process
/// recorded is gone (its pid now names another process, or none) or its lock is free (it died, or
/// gave up on a store it could not write).
public enum SupervisorLiveness {
    /// The lock file of one attempt of a run.
    public static func lockPath(locks: String, flowRunID: String, attempt: Int) -> String {
        "\(locks)/run-\(flowRunID)-\(attempt).lock"
    }

    /// Whether the supervisor of `run` is gone. A lock file that is not there (a supervisor from
    /// before lock files) leaves the answer to the process's identity.
    public static func isGone(_ run: SupervisedRun, locks: String) -> Bool {
        if !run.supervisor.isAlive { return true }
        return ProcessLock.isHeld(path: lockPath(locks: locks, flowRunID: run.flowRunID, attempt: run.attempt)) == false
    }
}

/// The lock of one attempt of a run, held by this process while it supervises that attempt.
///
/// A `baton run` takes it before it creates the run, and the supervisor it starts adopts it: `flock`
/// would refuse a second open of the same file even within one process, so this process keeps one
/// per attempt, found again by path.
public final class RunLock: Sendable {
    public let path: String
    private let lock: ProcessLock
    private static let held = Mutex<[String: RunLock]>([:])

    private init(path: String, lock: ProcessLock) {
        self.path = path
        self.lock = lock
    }

    /// The lock of an attempt, taken now (waiting for it) or the one this process already holds.
    public static func take(locks: String, flowRunID: String, attempt: Int) throws -> RunLock {
        let path = SupervisorLiveness.lockPath(locks: locks, flowRunID: flowRunID, attempt: attempt)
        if let mine = held.withLock({ $0[path] }) { return mine }
        let lock = try ProcessLock(path: path)
        lock.lock()
        let taken = RunLock(path: path, lock: lock)
        held.withLock { $0[path] = taken }
        return taken
    }

    /// Gives the lock up. An attempt that is `over` loses its file; one that is not keeps it, free,
    /// so that a sweep finds the attempt orphaned and crashes it.
    public func release(over: Bool) {
        Self.held.withLock { $0[path] = nil }
        if over { unlink(path) }
        lock.unlock()
    }
}
