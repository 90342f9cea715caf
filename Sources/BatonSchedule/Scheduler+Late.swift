import BatonCore
import BatonStore
import Foundation

extension Scheduler {
    /// Records the `Late` state (once) of the runs that read as Late by ``RunTiming``'s rule with the
    /// policy's grace, so that their history says when; and says when the next one will be. Each is
    /// recorded only while it is still scheduled and unstarted, so a run claimed meanwhile stays as
    /// its worker left it.
    func markLate(now: Date, into report: inout SchedulingReport) throws {
        let grace = policy.grace
        let limit = now.addingTimeInterval(-grace)
        let scheduled = StateName.scheduled
        for run in try store.scheduledRuns(named: scheduled, scheduledBefore: limit) {
            guard let time = run.scheduledTime,
                RunTiming.isLate(run.state, scheduledTime: time, createdAt: run.createdAt, ofDeployment: true, now: now, grace: grace)
            else { continue }
            if try store.recordScheduledState(run.id, ifNamed: scheduled, RunTiming.lateState(scheduledTime: time, grace: grace, at: now)) {
                report.late += 1
            }
        }
        let next = try store.earliestScheduled(named: scheduled, from: limit)
        report.wake(at: next.map { $0.addingTimeInterval(grace + 0.001) })
    }
}
