import BatonCore
import BatonRunner
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a sweep did to one run.
public struct RecoveredRun: Sendable {
    public var run: FlowRunRecord
    /// Whether it was scheduled again (its flow retries).
    public var retried: Bool
}

/// Runs whose process died: crashed, and scheduled again when their flow retries. Every `baton run`
/// and `baton run ls` sweeps first, and so does the scheduling worker when a supervisor's lock comes
/// free; of several sweeping at once, each run is crashed and retried by one (guarded updates).
extension RunService {
    /// Crashes every run whose supervisor is gone (see ``SupervisorLiveness/isGone(_:locks:)``) and
    /// schedules each again when its flow retries (a run of no pool, from `baton run`, goes to `pool`,
    /// the service's pool when nil).
    @discardableResult
    public func sweepOrphans(pool: String? = nil, _ caller: Caller) throws -> [RecoveredRun] {
        // Every project's runs: the store's own upkeep, so the default project's (its admins') call.
        try services.authorize(caller, .run, in: ProjectNames.default)
        let locks = services.home.locksPath
        var recovered: [RecoveredRun] = []
        for supervised in try store.supervisedRuns() where SupervisorLiveness.isGone(supervised, locks: locks) {
            let worker = try store.flowRun(supervised.flowRunID, project: nil).workerID.flatMap { try store.workerRecord($0) }
            let message = RunTransitions.orphanMessage(supervised, workerGoneReason: worker?.goneReason)
            let transition = RunTransitions.orphanCrash(supervised)
            guard try store.updateFlowRun(supervised.flowRunID, if: transition.guardedBy, transition.change) != nil else { continue }
            try store.markCrashed(flowRunID: supervised.flowRunID, message: message)
            store.ring(StoreTopic.finished)
            unlink(SupervisorLiveness.lockPath(locks: locks, flowRunID: supervised.flowRunID, attempt: supervised.attempt))
            let retried = try retryIfAllowed(supervised.flowRunID, pool: pool ?? services.options.pool)
            recovered.append(RecoveredRun(run: try store.flowRun(supervised.flowRunID, project: nil), retried: retried))
        }
        return recovered
    }

    /// Schedules a crashed run again as its next attempt when its flow's retries allow (see
    /// ``RunTransitions/retry(_:options:pool:now:random:)``); returns whether it did. Of two callers
    /// for one crash, one does.
    func retryIfAllowed(_ flowRunID: String, pool: String? = nil) throws -> Bool {
        let run = try store.flowRun(flowRunID, project: nil)
        guard run.state.type == .crashed else { return false }
        let options = try store.version(of: run.flow, number: run.version, project: run.project).manifest.options ?? FlowOptionsSpec()
        guard
            let transition = RunTransitions.retry(
                run, options: options, pool: pool, now: services.options.now(), random: Double.random(in: 0..<1)),
            try store.updateFlowRun(run.id, if: transition.guardedBy, transition.change) != nil
        else { return false }
        store.ring(StoreTopic.runs)
        return true
    }

    /// A line saying what a sweep did, or nil when it did nothing.
    public static func summary(_ recovered: [RecoveredRun]) -> String? {
        guard !recovered.isEmpty else { return nil }
        let names = recovered.map { "'\($0.run.name)'" + ($0.retried ? " (retried)" : "") }.joined(separator: ", ")
        return "\(recovered.count) run(s) whose supervisor is gone crashed: \(names)"
    }
}
