import Foundation

// Automations as stored, the events that fire them, their firings and deliveries.

public struct AutomationRecord: Codable, Sendable, Hashable {
    public var id: Int64
    public var project: String
    public var name: String
    public var trigger: AutomationTrigger
    public var actions: [AutomationAction]
    /// Seconds after a firing during which it fires again only as "suppressed" (no actions).
    public var cooldown: Double
    public var paused: Bool
    /// When it was created or last resumed: what happened before does not fire it.
    public var armedSince: Date
    public var lastFiredAt: Date?
    /// What a trigger remembers between passes (a success rate's side of its threshold).
    public var memory: String?
    public var createdBy: String?
    public var createdAt: Date

    public init(
        id: Int64, project: String, name: String, trigger: AutomationTrigger, actions: [AutomationAction], cooldown: Double, paused: Bool,
        armedSince: Date, lastFiredAt: Date?, memory: String?, createdBy: String?, createdAt: Date
    ) {
        self.id = id
        self.project = project
        self.name = name
        self.trigger = trigger
        self.actions = actions
        self.cooldown = cooldown
        self.paused = paused
        self.armedSince = armedSince
        self.lastFiredAt = lastFiredAt
        self.memory = memory
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    public static let cooldownRange: ClosedRange<Double> = 0...(30 * 86400)
    public static let maximumActions = 10

    public func validate() throws {
        try DeploymentNames.validate(name, what: "automation name")
        try trigger.validate()
        guard !actions.isEmpty else {
            throw BatonError(
                .invalidInput, "an automation needs an action: --notify, --run-deployment, --pause-deployment, --cancel-run or --webhook", field: "actions")
        }
        guard actions.count <= Self.maximumActions else {
            throw BatonError(.invalidInput, "an automation takes at most \(Self.maximumActions) actions", field: "actions")
        }
        for action in actions { try action.validate() }
        if actions.contains(where: { $0.kind == .cancelRun }), trigger.kind != .state {
            throw BatonError(.invalidInput, "--cancel-run cancels the run that fired it: it needs an --on-state trigger", field: "actions")
        }
        guard Self.cooldownRange.contains(cooldown) else {
            throw BatonError(.invalidInput, "--cooldown is not valid: expected a duration up to 30d", field: "cooldown")
        }
    }
}

/// What happened that fired an automation: a flow run's state, an absence, a worker gone, a rate.
public struct AutomationEvent: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable {
        case flowRunState = "flow-run-state"
        case absent
        case workerOffline = "worker-offline"
        case successRate = "success-rate"
        case test
    }

    public var kind: Kind
    /// What makes it one event: a firing is recorded once per automation and key.
    public var key: String
    public var at: Date
    public var project: String
    public var flowRunID: String?
    public var flowRunName: String?
    public var flow: String?
    public var version: Int?
    public var deployment: String?
    public var state: String?
    public var stateName: String?
    public var message: String?
    public var worker: String?
    public var host: String?
    public var rate: Double?
    public var runs: Int?
    /// The event in one line, for messages and history.
    public var text: String

    public init(
        kind: Kind, key: String, at: Date, project: String, flowRunID: String? = nil, flowRunName: String? = nil, flow: String? = nil,
        version: Int? = nil, deployment: String? = nil, state: String? = nil, stateName: String? = nil, message: String? = nil,
        worker: String? = nil, host: String? = nil, rate: Double? = nil, runs: Int? = nil, text: String
    ) {
        self.kind = kind
        self.key = key
        self.at = at
        self.project = project
        self.flowRunID = flowRunID
        self.flowRunName = flowRunName
        self.flow = flow
        self.version = version
        self.deployment = deployment
        self.state = state
        self.stateName = stateName
        self.message = message
        self.worker = worker
        self.host = host
        self.rate = rate
        self.runs = runs
        self.text = text
    }
}

/// A firing to record, with the actions it owes (none when suppressed by the cooldown).
public struct NewFiring: Sendable, Hashable {
    public var automationID: Int64
    public var event: AutomationEvent
    public var firedAt: Date
    public var suppressed: String?
    public var actions: [AutomationAction]

    public init(automationID: Int64, event: AutomationEvent, firedAt: Date, suppressed: String?, actions: [AutomationAction]) {
        self.automationID = automationID
        self.event = event
        self.firedAt = firedAt
        self.suppressed = suppressed
        self.actions = actions
    }
}

public struct DeliveryRecord: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable { case pending, delivered, failed }
    public var id: Int64
    public var firingID: Int64
    public var position: Int
    public var action: AutomationAction
    public var status: Status
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var lastError: String?
    public var finishedAt: Date?
    /// What it did: "HTTP 200", "run 1a2b3c4d", "sent to 2 recipients".
    public var outcome: String?

    public init(
        id: Int64, firingID: Int64, position: Int, action: AutomationAction, status: Status, attempts: Int, nextAttemptAt: Date?,
        lastError: String?, finishedAt: Date?, outcome: String?
    ) {
        self.id = id
        self.firingID = firingID
        self.position = position
        self.action = action
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.finishedAt = finishedAt
        self.outcome = outcome
    }

    /// How many attempts a delivery gets before it is recorded failed, and the wait before each
    /// retry: 5 s doubling, at most 10 minutes (about an hour and a half in all).
    public static let maximumAttempts = 12
    public static func backoff(afterAttempt attempt: Int) -> Double { min(600, 5 * pow(2, Double(max(0, attempt - 1)))) }
}

public struct FiringRecord: Codable, Sendable, Hashable {
    public var id: Int64
    public var automation: String
    public var event: AutomationEvent
    public var firedAt: Date
    public var suppressed: String?
    public var deliveries: [DeliveryRecord]

    public init(id: Int64, automation: String, event: AutomationEvent, firedAt: Date, suppressed: String?, deliveries: [DeliveryRecord]) {
        self.id = id
        self.automation = automation
        self.event = event
        self.firedAt = firedAt
        self.suppressed = suppressed
        self.deliveries = deliveries
    }
}

/// A delivery to make now, with what it is about.
public struct DueDelivery: Sendable, Hashable {
    public var delivery: DeliveryRecord
    public var automation: String
    public var project: String
    public var event: AutomationEvent

    public init(delivery: DeliveryRecord, automation: String, project: String, event: AutomationEvent) {
        self.delivery = delivery
        self.automation = automation
        self.project = project
        self.event = event
    }
}

/// How one attempt at a delivery ended.
public enum DeliveryOutcome: Sendable, Hashable {
    case delivered(String)
    case retry(at: Date, error: String)
    case failed(String)
}
