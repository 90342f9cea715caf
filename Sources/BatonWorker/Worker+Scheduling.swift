import BatonCore
import BatonSchedule
import BatonStore
import Foundation

/// The worker that holds the scheduler lock schedules the store's deployments.
extension Worker {
    /// One pass of the scheduler, and the workers it should watch; returns when to schedule next.
    func schedulePass(now: Date, me: WorkerRecord) throws -> Date {
        let report = try Scheduler(store: store, policy: options.policy).pass(now: now)
        // Topping up the runs ahead (one as each starts) is routine; a batch is worth a line.
        if report.created.count > 1 { say("scheduled \(report.created.count) run(s) ahead") }
        if report.skipped > 0 { say("recorded \(report.skipped) missed slot(s) as skipped (their deployments do not catch up)") }
        if report.late > 0 { say("\(report.late) run(s) are late: not started within \(Int(options.policy.grace)) s of their time") }
        try watchWorkers(except: me)
        try watchSupervisors()
        return min(report.nextWake ?? now.addingTimeInterval(60), now.addingTimeInterval(60))
    }
}
