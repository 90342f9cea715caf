import BatonCore
import BatonStore
import Foundation

/// One pass over what happened since the last: the flow run states recorded after the store's
/// cursor (whichever process ran the runs), runs turned late, workers taken for gone, and absence
/// windows that ran out. Each automation that matches fires once per event: a firing is keyed by
/// automation and event, and recorded with its deliveries and the new cursor in one transaction, so a
/// pass that dies part way, or two processes passing at once, fire nothing twice.
///
/// Run by whichever process schedules (a server, or a worker when no server runs).
public struct AutomationEvaluator: Sendable {
    let services: Services
    var store: any Store { services.store }

    public init(services: Services) { self.services = services }

    /// States read per query.
    static let batch = 2000

    public struct Report: Sendable {
        /// Firings recorded (suppressed ones included).
        public var fired = 0
        /// When a time-based trigger is next due (an absence window ending), if any.
        public var nextDue: Date?
    }

    public func pass(now: Date) throws -> Report {
        var report = Report()
        var automations = try store.automations(project: nil).filter { !$0.paused }
        var cursor = try store.automationCursor()
        guard !automations.isEmpty else {
            // Nothing watches: keep up, so that a first automation does not read the backlog.
            let latest = try store.latestStateID(before: nil)
            if latest != cursor { _ = try store.recordFirings([], memories: [:], cursor: latest) }
            return report
        }
        if cursor == nil {
            // The first pass on this store: from the states of the moment the first automation was armed.
            cursor = try store.latestStateID(before: automations.map(\.armedSince).min())
        }
        // Flow run states, in order.
        while let from = cursor {
            let events = try store.stateEvents(after: from, limit: Self.batch)
            guard let last = events.last else { break }
            var firings: [NewFiring] = []
            var memories: [Int64: String?] = [:]
            for event in events {
                for index in automations.indices where automations[index].project == event.project && event.state.timestamp >= automations[index].armedSince {
                    if let firing = try stateFiring(automations[index], event, now: now, memory: &memories) {
                        firings.append(cooled(firing, &automations[index], now: now))
                    }
                }
            }
            report.fired += try store.recordFirings(firings, memories: memories, cursor: last.id).count
            cursor = last.id
            if events.count < Self.batch { break }
        }
        // What time makes happen: late runs, absences, workers gone.
        var timed: [NewFiring] = []
        for index in automations.indices {
            // A run still late, a worker still gone: found again each pass, fired for once. Those fired
            // for already are left out before the cooldown is weighed, which only new events count in.
            let found = try timedFirings(automations[index], now: now, nextDue: &report.nextDue)
            let fired = try store.recordedKeys(automationID: automations[index].id, among: found.map(\.event.key))
            for firing in found where !fired.contains(firing.event.key) {
                timed.append(cooled(firing, &automations[index], now: now))
            }
        }
        if !timed.isEmpty { report.fired += try store.recordFirings(timed, memories: [:], cursor: nil).count }
        if report.fired > 0 { store.ring(AutomationService.historyTopic) }
        return report
    }

    /// A firing's actions are owed unless the automation fired within its cooldown.
    func cooled(_ firing: NewFiring, _ automation: inout AutomationRecord, now: Date) -> NewFiring {
        var firing = firing
        if automation.cooldown > 0, let last = automation.lastFiredAt, now.timeIntervalSince(last) < automation.cooldown {
            firing.suppressed = "within the cooldown of \(Durations.words(automation.cooldown)) after the firing at \(Timestamps.iso(last))"
            firing.actions = []
        } else {
            automation.lastFiredAt = now
        }
        return firing
    }

    /// The firing a flow run's state makes for an automation, if any.
    func stateFiring(_ automation: AutomationRecord, _ event: RunStateEvent, now: Date, memory: inout [Int64: String?]) throws -> NewFiring? {
        let trigger = automation.trigger
        switch trigger.kind {
        case .state:
            guard AutomationTrigger.names(trigger.states ?? [], type: event.state.type, name: event.state.name),
                trigger.covers(flow: event.flow, deployment: event.deployment, tags: tags(flow: event.flow, version: event.version, project: event.project, for: trigger))
            else { return nil }
            // A run stored as Late (caught up) is the same event as one read late by time.
            let key = event.state.name == StateName.late ? "late:\(event.flowRunID)" : "state:\(event.id)"
            return NewFiring(automationID: automation.id, event: Self.event(event, key: key), firedAt: now, suppressed: nil, actions: automation.actions)
        case .successRate:
            guard event.state.type.isFinal, event.parentFlowRunID == nil, event.deployment == trigger.deployment, let deployment = event.deployment,
                let runs = trigger.runs, let threshold = trigger.threshold
            else { return nil }
            let outcomes = try store.recentOutcomes(deployment: deployment, project: event.project, limit: runs)
            guard outcomes.count >= runs else { return nil }
            let rate = Double(outcomes.filter { $0 == .completed }.count) / Double(outcomes.count)
            let was = memory[automation.id] ?? automation.memory
            if rate >= threshold {
                if was == "below" { memory[automation.id] = "above" }
                return nil
            }
            guard was != "below" else { return nil }
            memory[automation.id] = "below"
            var fired = Self.event(event, key: "rate:\(event.id)")
            fired.kind = .successRate
            fired.rate = rate
            fired.runs = outcomes.count
            fired.text = "the success rate of deployment '\(deployment)' fell to \(Int((rate * 100).rounded()))% over its last \(outcomes.count) runs "
                + "(under \(Int((threshold * 100).rounded()))%)"
            return NewFiring(automationID: automation.id, event: fired, firedAt: now, suppressed: nil, actions: automation.actions)
        case .absent, .workerOffline:
            return nil
        }
    }

    /// The tags the run's flow version declares (``FlowOptionsSpec/tags``), read only for triggers that name tags.
    func tags(flow: String, version: Int, project: String, for trigger: AutomationTrigger) -> [String] {
        guard let wanted = trigger.tags, !wanted.isEmpty else { return [] }
        return (try? store.version(of: flow, number: version, project: project))?.manifest.options?.tags ?? []
    }

    /// The firings time makes for an automation: runs turned late, an absence window run out, workers gone.
    func timedFirings(_ automation: AutomationRecord, now: Date, nextDue: inout Date?) throws -> [NewFiring] {
        let trigger = automation.trigger
        switch trigger.kind {
        case .state where (trigger.states ?? []).contains("late"):
            return try store.lateRuns(project: automation.project, limit: 500, now: now).compactMap { run in
                guard let scheduled = run.scheduledTime, run.state.timestamp >= automation.armedSince || scheduled >= automation.armedSince,
                    trigger.covers(flow: run.flow, deployment: run.deployment, tags: tags(flow: run.flow, version: run.version, project: run.project, for: trigger))
                else { return nil }
                let event = AutomationEvent(
                    kind: .flowRunState, key: "late:\(run.id)", at: run.state.timestamp, project: run.project, flowRunID: run.id, flowRunName: run.name,
                    flow: run.flow, version: run.version, deployment: run.deployment, state: run.state.type.rawValue, stateName: run.state.name,
                    message: run.state.message, text: "flow run '\(run.name)' of \(run.flow) v\(run.version) is late")
                return NewFiring(automationID: automation.id, event: event, firedAt: now, suppressed: nil, actions: automation.actions)
            }
        case .absent:
            guard let expected = trigger.expected, let within = trigger.within else { return [] }
            let last = try store.lastStateTime(words: [expected], flow: trigger.flow, deployment: trigger.deployment, project: automation.project)
            let since = [automation.armedSince, last ?? .distantPast, automation.lastFiredAt ?? .distantPast].max()!
            let deadline = since.addingTimeInterval(within)
            guard now >= deadline else {
                nextDue = min(nextDue ?? deadline, deadline)
                return []
            }
            let scope = trigger.deployment.map { "deployment '\($0)'" } ?? "flow '\(trigger.flow ?? "")'"
            let event = AutomationEvent(
                kind: .absent, key: "absent:\(Int64((since.timeIntervalSince1970 * 1000).rounded()))", at: deadline, project: automation.project,
                flow: trigger.flow, deployment: trigger.deployment, state: expected,
                text: "no run of \(scope) entered \(expected) within \(Durations.words(within)) (since \(Timestamps.iso(since)))")
            nextDue = min(nextDue ?? now.addingTimeInterval(within), now.addingTimeInterval(within))
            return [NewFiring(automationID: automation.id, event: event, firedAt: now, suppressed: nil, actions: automation.actions)]
        case .workerOffline:
            // A day back at most: the scheduler passes every few seconds, and older news pages no one.
            return try store.goneWorkers(since: max(automation.armedSince, now.addingTimeInterval(-86400))).compactMap { worker in
                guard trigger.pool == nil || trigger.pool == worker.pool else { return nil }
                let event = AutomationEvent(
                    kind: .workerOffline, key: "worker:\(worker.id):\(Int64((worker.heartbeatAt.timeIntervalSince1970 * 1000).rounded()))",
                    at: worker.stoppedAt ?? now, project: automation.project, worker: worker.name, host: worker.host,
                    text: "worker '\(worker.name)' of pool '\(worker.pool)' on \(worker.host) went offline (last heard \(Timestamps.iso(worker.heartbeatAt)))")
                return NewFiring(automationID: automation.id, event: event, firedAt: now, suppressed: nil, actions: automation.actions)
            }
        case .state, .successRate:
            return []
        }
    }

    static func event(_ event: RunStateEvent, key: String) -> AutomationEvent {
        let entered = event.state.name + (event.state.message.map { ": \($0)" } ?? "")
        return AutomationEvent(
            kind: .flowRunState, key: key, at: event.state.timestamp, project: event.project, flowRunID: event.flowRunID, flowRunName: event.runName,
            flow: event.flow, version: event.version, deployment: event.deployment, state: event.state.type.rawValue, stateName: event.state.name,
            message: event.state.message, text: "flow run '\(event.runName)' of \(event.flow) v\(event.version) entered \(entered)")
    }
}
