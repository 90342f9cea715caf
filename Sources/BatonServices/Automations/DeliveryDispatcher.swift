import BatonCore
import BatonStore
import Foundation

/// Makes the deliveries that firings owe, in the process that schedules: each at least once, retried
/// with backoff while it may succeed later (a receiver down, a 5xx, a timeout), every attempt recorded
/// with its error. A delivery is claimed before it is made, until its lease ends: a process that dies
/// mid-delivery leaves it to be made again (by this store's next scheduler, at once when the claimer
/// is seen dead here). Receivers tell a delivery made twice by its `Baton-Delivery` header.
public final class DeliveryDispatcher: @unchecked Sendable {
    // @unchecked: `woken`, `stopped` and `running` are only touched under `condition`.
    let services: Services
    let say: @Sendable (String) -> Void
    private let condition = NSCondition()
    private var woken = false
    private var stopped = false
    private var running = false

    /// How many deliveries are made at once, and claimed per query.
    static let parallel = 16
    /// How long a claim lasts: longer than any one attempt takes.
    static let lease: Double = Notifier.timeout * 2 + 15

    public init(services: Services, say: @escaping @Sendable (String) -> Void) {
        self.services = services
        self.say = say
    }

    /// Starts delivering on a thread of its own.
    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !running else { return }
        running = true
        stopped = false
        Thread.detachNewThread { [self] in loop() }
    }

    /// Looks for due deliveries now (a pass recorded firings).
    public func wake() {
        condition.lock()
        woken = true
        condition.signal()
        condition.unlock()
    }

    /// Stops: waits a moment for the deliveries under way, no longer (a receiver that does not
    /// answer must not hold up Ctrl-C). One cut short is made again by the next scheduler, at once:
    /// its claimer is then seen dead.
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        let deadline = Date().addingTimeInterval(Self.stopWait)
        while running, condition.wait(until: deadline) {}
        condition.unlock()
    }

    static let stopWait: TimeInterval = 2

    private func loop() {
        let store = services.store
        // Claims of processes that died here are due at once, not when their lease ends.
        if let released = try? store.releaseDeliveryClaims(now: services.options.now(), alive: { $0.isAlive }), released > 0 {
            say("\(released) delivery(ies) left by a process that died are made again")
        }
        while true {
            condition.lock()
            let stopping = stopped
            woken = false
            condition.unlock()
            if stopping { break }
            let now = services.options.now()
            let due: [DueDelivery]
            do {
                due = try store.claimDeliveries(now: now, until: now.addingTimeInterval(Self.lease), claimer: .current, limit: Self.parallel)
            } catch {
                say("automations: deliveries cannot be read now (\(error)); trying again shortly")
                due = []
                sleep(until: now.addingTimeInterval(5))
                continue
            }
            if !due.isEmpty {
                // A thread each: deliveries wait on other hosts (up to their timeout), not on this CPU.
                let group = DispatchGroup()
                for item in due {
                    group.enter()
                    Thread.detachNewThread { [self] in
                        attempt(item)
                        group.leave()
                    }
                }
                group.wait()
                store.ring(AutomationService.historyTopic)
                continue
            }
            let next = (try? store.nextDeliveryDue()) ?? nil
            sleep(until: min(next ?? now.addingTimeInterval(60), now.addingTimeInterval(60)))
        }
        condition.lock()
        running = false
        condition.broadcast()
        condition.unlock()
    }

    private func sleep(until date: Date) {
        condition.lock()
        while !woken, !stopped, date > Date() { _ = condition.wait(until: date) }
        condition.unlock()
    }

    /// Makes one attempt and records how it ended.
    func attempt(_ item: DueDelivery) {
        let delivery = item.delivery
        let outcome: DeliveryOutcome
        do {
            let done = try perform(item)
            outcome = .delivered(done)
            say("automation '\(item.automation)'\(Self.about(item)): \(delivery.action.summary): delivered (\(done))\(delivery.attempts > 1 ? " on attempt \(delivery.attempts)" : "")")
        } catch {
            let (text, transient) = Self.describe(error)
            if transient, delivery.attempts < DeliveryRecord.maximumAttempts {
                let wait = DeliveryRecord.backoff(afterAttempt: delivery.attempts)
                outcome = .retry(at: services.options.now().addingTimeInterval(wait), error: text)
                say("automation '\(item.automation)'\(Self.about(item)): \(delivery.action.summary) failed (attempt \(delivery.attempts) of \(DeliveryRecord.maximumAttempts)): \(text); trying again in \(Durations.words(wait))")
            } else {
                outcome = .failed(text)
                say("automation '\(item.automation)'\(Self.about(item)): \(delivery.action.summary) failed for good after \(delivery.attempts) attempt(s): \(text)")
            }
        }
        do {
            try services.store.finishDelivery(id: delivery.id, outcome, at: services.options.now())
        } catch {
            // Its claim runs out and it is made again: at least once.
            say("automation '\(item.automation)': the outcome of delivery \(delivery.id) could not be recorded (\(error)); it will be made again")
        }
    }

    /// Does what the action says; returns what happened, in a few words.
    func perform(_ item: DueDelivery) throws -> String {
        let action = item.delivery.action
        let message = NotificationMessage(automation: item.automation, event: item.event, publicURL: services.options.publicURL)
        // What the automation does is done (and audited) as the automation.
        let caller = Caller(.storeOwner(user: "automation \(item.automation)"), project: item.project)
        let notifier = Notifier(services: services)
        switch action.kind {
        case .notify:
            let channel = try services.channels.record(action.channel ?? "", project: item.project)
            return try notifier.send(message, through: channel, delivery: item.delivery.id)
        case .webhook:
            return try notifier.post(message.json(delivery: item.delivery.id), to: action.url ?? "", delivery: item.delivery.id, event: item.event)
        case .runDeployment:
            let run = try services.deployments.runNow(action.deployment ?? "", overrides: action.parameters ?? [:], caller)
            return "started run '\(run.name)' (\(run.id.prefix(8)))"
        case .pauseDeployment:
            _ = try services.deployments.setPaused(action.deployment ?? "", true, caller)
            return "paused deployment '\(action.deployment ?? "")'"
        case .cancelRun:
            guard let id = item.event.flowRunID else { throw NotifyError(description: "the event names no run to cancel", transient: false) }
            let current = try services.store.flowRun(id, project: item.project)
            guard !current.state.type.isFinal else { return "the run was already \(current.state.type.rawValue)" }
            let run = try services.runs.cancel(id, caller)
            return "run '\(run.name)' \(run.state.type.rawValue)"
        }
    }

    /// What a delivery is about, for its log line: the run that fired it, when a run did.
    static func about(_ item: DueDelivery) -> String { item.event.flowRunName.map { " (run '\($0)')" } ?? "" }

    /// An error in one line, and whether trying again later may help.
    static func describe(_ error: any Error) -> (String, Bool) {
        if let error = error as? NotifyError { return (error.description, error.transient) }
        if let error = error as? BatonError {
            return (error.message, [.store, .storeFull, .storeUnavailable, .io].contains(error.code))
        }
        return ("\(error)", true)
    }
}
