import BatonCore
import BatonSchedule
import BatonServices
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

    /// One pass of the automations (see ``AutomationEvaluator``); returns when to look again: at the
    /// next time-based deadline, and within a few seconds for states no doorbell rings for.
    func evaluateAutomations(now: Date) -> Date {
        let again = now.addingTimeInterval(Self.automationPeriod)
        do {
            let report = try AutomationEvaluator(services: services).pass(now: now)
            if report.fired > 0 { dispatcher.wake() }
            return min(report.nextDue ?? again, again)
        } catch {
            say("automations could not be evaluated now: \(error)")
            return again
        }
    }

    /// How often automations are looked at without a doorbell.
    static let automationPeriod: TimeInterval = 5
}
