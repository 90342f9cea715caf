import BatonCore
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Whether the process supervising a run (a `baton run`, a worker, a server) still lives, and the
/// sweep that ends the runs of those that died.
///
/// Each supervisor holds `locks/run-<id>-<attempt>.lock` from before it records itself on the run
/// until the run is over (see `RunSupervisor`). A run that is not over is orphaned when the process
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

    /// What a sweep did to one run.
    public struct Reaped: Sendable {
        public var run: FlowRunRecord
        /// Whether it was scheduled again (its flow retries).
        public var retried: Bool
    }

    /// Crashes every run whose supervisor is gone and schedules each again when its flow retries (a
    /// run of no pool, from `baton run`, goes to `pool`). Of several processes sweeping at once,
    /// each run is crashed and retried by one.
    @discardableResult
    public static func sweep(store: SQLiteStore, locks: String, pool: String = DeploymentNames.defaultPool) throws -> [Reaped] {
        var reaped: [Reaped] = []
        for run in try store.supervisedRuns() where isGone(run, locks: locks) {
            // A worker's run says so as its worker's reaping would, whichever notices first.
            let worker = try store.flowRun(run.flowRunID).workerID.flatMap { try? store.worker($0) }
            let message = worker?.goneReason
                ?? "its supervisor (pid \(run.supervisor.pid)) is gone: the process that ran it died or could not write the store"
            guard try store.crashOrphan(run, message: message) else { continue }
            unlink(lockPath(locks: locks, flowRunID: run.flowRunID, attempt: run.attempt))
            let retried = try store.retryIfAllowed(flowRunID: run.flowRunID, pool: pool)
            reaped.append(Reaped(run: try store.flowRun(run.flowRunID), retried: retried))
        }
        return reaped
    }

    /// A line saying what a sweep did, or nil when it did nothing.
    public static func summary(_ reaped: [Reaped]) -> String? {
        guard !reaped.isEmpty else { return nil }
        let names = reaped.map { "'\($0.run.name)'" + ($0.retried ? " (retried)" : "") }.joined(separator: ", ")
        return "\(reaped.count) run(s) whose supervisor is gone crashed: \(names)"
    }
}
