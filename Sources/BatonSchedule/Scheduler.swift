import BatonCore
import BatonStore
import Foundation

/// The scheduling pass: for each deployment that is not paused, every fire time after its cursor
/// gets a slot, exactly once. The store's ``DeploymentStore/claimSlots(_:)`` writes a deployment's
/// slots in one transaction and refuses a batch planned from a cursor that moved (another
/// scheduler, or a pause, got there first): the pass then reads the deployment again and plans
/// anew. Slot keys (deployment, time) are unique, so a second scheduler, or this one after a
/// restart, finds a slot taken and makes nothing. Slots missed while nothing scheduled (older than
/// the grace period) get a run when the deployment catches up, else are recorded as skipped. Runs
/// not started within the grace period become `Late` (`Scheduler+Late.swift`).
public struct Scheduler: Sendable {
    public let store: any Store
    public let policy: SchedulingPolicy
    /// How many times a deployment is planned again when its batch was stale, in one pass.
    static let attempts = 3

    public init(store: any Store, policy: SchedulingPolicy = SchedulingPolicy()) {
        self.store = store
        self.policy = policy
    }

    /// One pass at `now`.
    public func pass(now: Date = Date()) throws -> SchedulingReport {
        var report = SchedulingReport()
        for deployment in try store.deployments(flow: nil, project: nil) where !deployment.paused && deployment.schedule != nil {
            try schedule(deployment, now: now, into: &report)
        }
        try markLate(now: now, into: &report)
        return report
    }

    /// Schedules one deployment, planning again from the stored cursor while its batch is stale.
    private func schedule(_ first: DeploymentRecord, now: Date, into report: inout SchedulingReport) throws {
        var deployment = first
        for attempt in 1...Self.attempts {
            guard let schedule = deployment.schedule, !deployment.paused,
                let compiled = try? CompiledSchedule(schedule, defaultStart: deployment.createdAt)
            else { return }
            let (batch, wake) = try plan(deployment, compiled, now: now)
            // Nothing to record (the usual pass between fire times): no write at all.
            let result = batch.claims.isEmpty && batch.newCursor == batch.expectedCursor ? SlotBatchResult() : try store.claimSlots(batch)
            if !result.stale {
                report.created += result.created
                report.skipped += result.skipped
                report.wake(at: wake)
                return
            }
            guard attempt < Self.attempts, let again = try store.deploymentRecord(named: deployment.name, project: deployment.project), again.id == deployment.id else {
                // Someone else keeps scheduling it (or it is gone): look again soon.
                report.wake(at: now)
                return
            }
            deployment = again
        }
    }

    /// The batch of one deployment from its cursor, and when the next pass has something to do for it.
    func plan(_ deployment: DeploymentRecord, _ compiled: CompiledSchedule, now: Date) throws -> (SlotBatch, wake: Date?) {
        let nowSeconds = Int64(floor(now.timeIntervalSince1970))
        let missedUpTo = nowSeconds - Int64(policy.grace)
        let horizon = nowSeconds + Int64(policy.lookahead)
        let start = deployment.cursor
        var cursor = start
        let summary = try store.slotSummary(deploymentID: deployment.id, after: nowSeconds)
        var ahead = summary.ahead
        var planner = RunPlanner(store: store, deployment: deployment)
        var claims: [SlotClaim] = []
        var missed = 0
        var next: Int64?
        scanning: while true {
            let batch = compiled.fireTimes(after: cursor, count: 200)
            if batch.isEmpty {
                // The rule has ended.
                cursor = max(cursor, horizon)
                break
            }
            for time in batch {
                if time <= missedUpTo {
                    guard missed < policy.maximumMissed else {
                        next = nowSeconds
                        break scanning
                    }
                    missed += 1
                    claims.append(deployment.catchup ? try planner.claim(time, late: true, now: now) : SlotClaim(time: time, run: nil))
                } else {
                    if ahead >= policy.maximumAhead || (time > horizon && ahead >= policy.minimumAhead) {
                        next = time
                        break scanning
                    }
                    claims.append(try planner.claim(time, late: false, now: now))
                    if time > nowSeconds { ahead += 1 }
                }
                cursor = time
            }
        }
        // Next pass: when the next fire time comes within the lookahead, or the earliest run ahead
        // starts (which makes room under the maximum).
        let earliestAhead = ([summary.earliest] + claims.map { $0.run == nil || $0.time <= nowSeconds ? nil : $0.time }).compactMap { $0 }.min()
        let wake = [next.map { $0 - Int64(policy.lookahead) }, earliestAhead].compactMap { $0 }.min()
        let batch = SlotBatch(deploymentID: deployment.id, expectedCursor: start, newCursor: cursor, claims: claims, now: now)
        return (batch, wake.map { Date(timeIntervalSince1970: Double(max($0, nowSeconds))) })
    }
}
