import BatonCore
import BatonStore
import Foundation

extension Services {
    /// Automations: a trigger and its actions, their firings and deliveries.
    public var automations: AutomationService { AutomationService(services: self) }
}

/// What an automation to create says.
public struct NewAutomation: Sendable, Hashable {
    public var name: String
    public var trigger: AutomationTrigger
    public var actions: [AutomationAction]
    public var cooldown: Double

    public init(name: String, trigger: AutomationTrigger, actions: [AutomationAction], cooldown: Double = 0) {
        self.name = name
        self.trigger = trigger
        self.actions = actions
        self.cooldown = cooldown
    }
}

/// Everything `baton automation` and `/api/automations` do. Developers create, change and delete
/// automations; operators pause and resume them; everyone of the project reads them and their history.
/// They are evaluated by whichever process schedules (``AutomationEvaluator``).
public struct AutomationService: Sendable {
    let services: Services
    var store: any Store { services.store }

    /// What automations being made or resumed ring: the scheduling process looks at them at once.
    public static let topic = "automations"
    /// What a firing or a delivery's outcome recorded rings: the server tells its clients (live event
    /// `automations`), whose pages then read the history again.
    public static let historyTopic = "firings"

    /// The most firings one history returns, and how many when not told.
    public static let historyLimit = 1...1000
    public static let historyDefault = 20

    public func create(_ new: NewAutomation, _ caller: Caller) throws -> AutomationView {
        try services.audit.local("automation create", target: new.name, caller) {
            try services.authorize(caller, .develop)
            let now = services.options.now()
            let record = AutomationRecord(
                id: 0, project: caller.project, name: new.name, trigger: new.trigger, actions: new.actions, cooldown: new.cooldown, paused: false,
                armedSince: now, lastFiredAt: nil, memory: nil, createdBy: caller.name, createdAt: now)
            try record.validate()
            try requireReferences(record, caller.project)
            guard let created = try store.insertAutomation(record) else {
                throw BatonError(.conflict, "an automation named '\(new.name)' exists already in project '\(caller.project)'; choose another name")
            }
            store.ring(Self.topic)
            return AutomationView(created)
        }
    }

    /// Refuses an automation naming a channel or deployment its project does not have.
    func requireReferences(_ automation: AutomationRecord, _ project: String) throws {
        for action in automation.actions {
            if let channel = action.channel { _ = try services.channels.record(channel, project: project) }
            if let deployment = action.deployment { _ = try store.deployment(named: deployment, project: project) }
        }
        if let deployment = automation.trigger.deployment { _ = try store.deployment(named: deployment, project: project) }
    }

    public func list(_ caller: Caller) throws -> [AutomationView] {
        try services.authorize(caller, .read)
        return try store.automations(project: caller.project).map(AutomationView.init)
    }

    public func get(_ name: String, _ caller: Caller) throws -> AutomationView {
        try services.authorize(caller, .read)
        return AutomationView(try record(name, project: caller.project))
    }

    /// Pauses or resumes; a resumed automation is armed from now (nothing that happened while it was
    /// paused fires it).
    public func setPaused(_ name: String, _ paused: Bool, _ caller: Caller) throws -> AutomationView {
        try services.audit.local(paused ? "automation pause" : "automation resume", target: name, caller) {
            try services.authorize(caller, .run)
            let automation = try record(name, project: caller.project)
            let changed = try store.setAutomationPaused(id: automation.id, paused: paused, at: services.options.now()) ?? automation
            store.ring(Self.topic)
            return AutomationView(changed)
        }
    }

    public func delete(_ name: String, _ caller: Caller) throws {
        try services.audit.local("automation delete", target: name, caller) {
            try services.authorize(caller, .develop)
            _ = try store.deleteAutomation(id: try record(name, project: caller.project).id)
        }
    }

    /// Its firings, newest first: each with its event and each delivery's status, attempts and error.
    public func history(_ name: String, limit: Int = historyDefault, _ caller: Caller) throws -> [FiringRecord] {
        try services.authorize(caller, .read)
        guard Self.historyLimit.contains(limit) else {
            throw BatonError(.invalidInput, "limit \(limit) is not valid: expected a number from 1 to \(Self.historyLimit.upperBound)", field: "limit")
        }
        return try store.firings(automationID: try record(name, project: caller.project).id, limit: limit)
    }

    func record(_ name: String, project: String) throws -> AutomationRecord {
        if let automation = try store.automation(named: name, project: project) { return automation }
        throw BatonError.unknown(
            "automation", name, project: project, has: try store.automations(project: project).map(\.name), makes: "baton automation create NAME …")
    }
}

/// An automation as listings show it: the trigger and actions as data and in words.
public struct AutomationView: Codable, Sendable, Hashable {
    public var name: String
    public var trigger: AutomationTrigger
    public var triggerSummary: String
    public var actions: [AutomationAction]
    public var actionSummaries: [String]
    public var cooldownSeconds: Double
    public var paused: Bool
    public var armedSince: Date
    public var lastFiredAt: Date?
    public var createdBy: String?
    public var createdAt: Date

    public init(_ record: AutomationRecord) {
        name = record.name
        trigger = record.trigger
        triggerSummary = record.trigger.summary
        actions = record.actions
        actionSummaries = record.actions.map(\.summary)
        cooldownSeconds = record.cooldown
        paused = record.paused
        armedSince = record.armedSince
        lastFiredAt = record.lastFiredAt
        createdBy = record.createdBy
        createdAt = record.createdAt
    }
}
