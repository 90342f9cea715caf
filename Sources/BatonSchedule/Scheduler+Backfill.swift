import BatonCore
import BatonStore
import Foundation

extension Scheduler {
    /// Creates a run for every slot of a deployment's schedule in `range` that has none, skipped
    /// slots included; slots with a run are left alone, so a second backfill of the same range creates
    /// nothing. Returns the runs created and how many slots had one already. The cursor is not
    /// moved, and a paused deployment is backfilled too (it was asked for).
    public func backfill(
        _ deployment: DeploymentRecord, _ range: BackfillRange, now: Date = Date(), limit: Int = 100_000
    ) throws -> (created: [String], existing: Int) {
        guard let schedule = deployment.schedule else {
            throw BatonError(.invalidInput, "deployment '\(deployment.name)' has no schedule to backfill; give it one, or use `baton deployment run`")
        }
        let compiled = try CompiledSchedule(schedule, defaultStart: deployment.createdAt)
        let times = compiled.fireTimes(
            from: Int64(ceil(range.from.timeIntervalSince1970)), through: Int64(floor(range.through.timeIntervalSince1970)), limit: limit + 1)
        guard times.count <= limit else {
            throw BatonError(.invalidInput, "the range holds more than \(limit) fire times of '\(deployment.name)'; backfill a shorter range")
        }
        var planner = RunPlanner(store: store, deployment: deployment)
        let claims = try times.map { try planner.claim($0, late: false, now: now) }
        let result = try store.claimSlots(SlotBatch(deploymentID: deployment.id, expectedCursor: nil, newCursor: nil, claims: claims, now: now))
        guard !result.stale else {
            // Deleted meanwhile: say so as a lookup by name does.
            _ = try store.deployment(named: deployment.name, project: deployment.project)
            throw BatonError(.conflict, "deployment '\(deployment.name)' changed while it was backfilled; try again")
        }
        return (result.created, result.existing)
    }
}
