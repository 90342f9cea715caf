import BatonCore
import Foundation

/// A server's retention: prunes the final runs older than `days` days at start, then once a day, on
/// a thread of its own (batches of short write transactions, so requests and runs go on), until
/// stopped. It never converts an old store (a full VACUUM would
/// hold the write lock for the whole copy while the server works); it says once that
/// `baton store prune` does.
///
/// `@unchecked Sendable`: mutable state is guarded by `condition`'s lock.
public final class RetentionSchedule: @unchecked Sendable {
    private let store: any Store
    private let days: Int
    private let say: @Sendable (String) -> Void
    private let condition = NSCondition()
    private var stopped = false
    private var thread: Thread?

    public init(store: any Store, days: Int, say: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.days = days
        self.say = say
    }

    public func start() {
        let thread = Thread { [self] in loop() }
        thread.name = "baton-retention"
        self.thread = thread
        thread.start()
    }

    /// Stops the schedule; a prune under way finishes its batch first.
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        var next = Date()
        while true {
            condition.lock()
            while !stopped && Date() < next { _ = condition.wait(until: next) }
            let done = stopped
            condition.unlock()
            if done { return }
            do {
                let report = try store.prune(PruneOptions(endedBefore: Date().addingTimeInterval(-Double(days) * 86_400)))
                if report.runs > 0 {
                    say("retention: removed \(report.runs) run(s) that ended more than \(days) day(s) ago, "
                        + "\(report.resultFiles) result file(s) and \(report.runDirectories) working folder(s)")
                }
            } catch {
                say("retention: the daily prune failed: \(error)")
            }
            next = Date().addingTimeInterval(86_400)
        }
    }
}
