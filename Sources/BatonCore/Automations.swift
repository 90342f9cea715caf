import Foundation

// Being told and reacting: notification channels, and automations (a trigger and its actions). Values
// and the rules of matching, firing and rendering; the store records, the application layer acts.

// MARK: Channels

/// Where a notification goes: a webhook (JSON, or a body Slack-compatible incoming webhooks take) or
/// email through an SMTP server. Secrets are named, never held: a webhook URL with a token in it and
/// an SMTP password come from the project's secrets when the message is sent.
public struct ChannelConfig: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, CaseIterable { case webhook, email }
    public enum Format: String, Codable, Sendable, CaseIterable { case json, slack }

    public var kind: Kind
    /// webhook: the URL in clear, or the secret holding it.
    public var url: String?
    public var urlSecret: String?
    public var format: Format?
    /// email: recipients, sender, and the SMTP server.
    public var to: [String]?
    public var from: String?
    public var smtpHost: String?
    public var smtpPort: Int?
    public var startTLS: Bool?
    public var smtpUser: String?
    public var smtpPasswordSecret: String?

    public init(
        kind: Kind, url: String? = nil, urlSecret: String? = nil, format: Format? = nil, to: [String]? = nil, from: String? = nil,
        smtpHost: String? = nil, smtpPort: Int? = nil, startTLS: Bool? = nil, smtpUser: String? = nil, smtpPasswordSecret: String? = nil
    ) {
        self.kind = kind
        self.url = url
        self.urlSecret = urlSecret
        self.format = format
        self.to = to
        self.from = from
        self.smtpHost = smtpHost
        self.smtpPort = smtpPort
        self.startTLS = startTLS
        self.smtpUser = smtpUser
        self.smtpPasswordSecret = smtpPasswordSecret
    }

    /// Refuses a channel that could never deliver, naming the option.
    public func validate() throws {
        switch kind {
        case .webhook:
            guard (url == nil) != (urlSecret == nil) else {
                throw BatonError(.invalidInput, "a webhook channel needs --webhook URL or --webhook-secret NAME (one of them)", field: "url")
            }
            if let url { try Self.validateURL(url, option: "--webhook") }
            if let urlSecret { try NamedValueKind.secret.validate(name: urlSecret) }
        case .email:
            guard let to, !to.isEmpty else { throw BatonError(.invalidInput, "an email channel needs --email ADDRESS (one or more)", field: "to") }
            for address in to + [from ?? ""] { try Self.validateAddress(address) }
            guard let smtpHost, !smtpHost.isEmpty, !smtpHost.contains(where: { $0 == " " || $0 == "/" }) else {
                throw BatonError(.invalidInput, "an email channel needs --smtp HOST:PORT", field: "smtpHost")
            }
            guard let smtpPort, (1...65535).contains(smtpPort) else {
                throw BatonError(.invalidInput, "--smtp port '\(smtpPort.map(String.init) ?? "")' is not valid: expected 1 to 65535", field: "smtpPort")
            }
            if smtpPasswordSecret != nil, smtpUser == nil {
                throw BatonError(.invalidInput, "--smtp-password-secret needs --smtp-user too", field: "smtpUser")
            }
            if let smtpPasswordSecret { try NamedValueKind.secret.validate(name: smtpPasswordSecret) }
        }
    }

    /// An http(s) URL with a host and no whitespace.
    public static func validateURL(_ text: String, option: String) throws {
        let parts = URLComponents(string: text)
        guard let parts, ["http", "https"].contains(parts.scheme?.lowercased() ?? ""), !(parts.host ?? "").isEmpty,
            !text.contains(where: \.isWhitespace), text.count <= 2048
        else { throw BatonError(.invalidInput, "\(option) '\(text)' is not valid: expected an http:// or https:// URL", field: "url") }
    }

    /// `name@domain`, ASCII, without spaces, angle brackets or line breaks.
    public static func validateAddress(_ address: String) throws {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, address.allSatisfy({ $0.isASCII && !$0.isWhitespace && !"<>,;\"".contains($0) }),
            address.count <= 254
        else { throw BatonError(.invalidInput, "address '\(address)' is not valid: expected name@domain", field: "to") }
    }

    /// What a listing shows of where it sends: the URL (or the secret holding it), or the recipients.
    public var target: String {
        switch kind {
        case .webhook: (url.map { Self.redactedURL($0) } ?? "secret \(urlSecret ?? "")") + (format == .slack ? " (slack)" : "")
        case .email: (to ?? []).joined(separator: ", ") + " via \(smtpHost ?? ""):\(smtpPort ?? 0)" + (startTLS == true ? " (STARTTLS)" : "")
        }
    }

    /// A URL shown with its path and query cut, which may hold a token.
    public static func redactedURL(_ url: String) -> String {
        guard var parts = URLComponents(string: url) else { return url }
        let hidden = !(parts.path.isEmpty || parts.path == "/") || parts.query != nil
        parts.path = ""
        parts.query = nil
        parts.user = nil
        parts.password = nil
        return (parts.string ?? url) + (hidden ? "/…" : "")
    }
}

public struct ChannelRecord: Codable, Sendable, Hashable {
    public var id: Int64
    public var project: String
    public var name: String
    public var config: ChannelConfig
    public var createdBy: String?
    public var createdAt: Date

    public init(id: Int64, project: String, name: String, config: ChannelConfig, createdBy: String?, createdAt: Date) {
        self.id = id
        self.project = project
        self.name = name
        self.config = config
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}

// MARK: Triggers and actions

/// What makes an automation fire.
///
/// - `state`: a flow run (of any process: `baton run`, a worker, a server) entering one of `states`
///   (a state type such as `failed`, or a state's name such as `late` or `timedout`);
/// - `absent`: no run entering `expected` within `within` seconds (a service-level objective);
/// - `worker-offline`: a worker (of `pool`) taken for gone;
/// - `success-rate`: the share of completed runs among a deployment's last `runs` finished runs
///   falling under `threshold`.
///
/// Every kind may be narrowed to a flow, a deployment and flow tags; all are within the automation's project.
public struct AutomationTrigger: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case state, absent
        case workerOffline = "worker-offline"
        case successRate = "success-rate"
    }

    public var kind: Kind
    public var states: [String]?
    public var expected: String?
    public var within: Double?
    public var flow: String?
    public var deployment: String?
    public var tags: [String]?
    public var pool: String?
    public var runs: Int?
    public var threshold: Double?

    public init(
        kind: Kind, states: [String]? = nil, expected: String? = nil, within: Double? = nil, flow: String? = nil, deployment: String? = nil,
        tags: [String]? = nil, pool: String? = nil, runs: Int? = nil, threshold: Double? = nil
    ) {
        self.kind = kind
        self.states = states
        self.expected = expected
        self.within = within
        self.flow = flow
        self.deployment = deployment
        self.tags = tags
        self.pool = pool
        self.runs = runs
        self.threshold = threshold
    }

    /// The states a `state` trigger may name: every state type, and the names of states that vary one.
    public static let stateWords: [String] = StateType.allCases.map(\.rawValue) + ["late", "timedout", "awaitingretry", "retrying", "resuming"]
    /// How long an absence window may be: a minute to a year.
    public static let withinRange: ClosedRange<Double> = 60...(366 * 86400)
    public static let runsRange = 1...1000

    public func validate() throws {
        switch kind {
        case .state:
            guard let states, !states.isEmpty else {
                throw BatonError(.invalidInput, "--on-state needs one or more states: \(Self.stateWords.joined(separator: ", "))", field: "states")
            }
            for state in states where !Self.stateWords.contains(state) {
                throw BatonError(.invalidInput, "state '\(state)' is not valid: expected one of \(Self.stateWords.joined(separator: ", "))", field: "states")
            }
        case .absent:
            guard let expected, Self.stateWords.contains(expected) else {
                throw BatonError(
                    .invalidInput, "--absent '\(expected ?? "")' is not valid: expected one of \(Self.stateWords.joined(separator: ", "))", field: "expected")
            }
            guard let within, Self.withinRange.contains(within) else {
                throw BatonError(.invalidInput, "--within is not valid: expected a duration from 1m to 366d, such as 30m or 2h", field: "within")
            }
            guard flow != nil || deployment != nil else {
                throw BatonError(.invalidInput, "--absent needs --flow or --deployment: the runs whose absence it watches", field: "deployment")
            }
        case .workerOffline:
            if let pool { try DeploymentNames.validate(pool, what: "pool name") }
        case .successRate:
            guard deployment != nil else { throw BatonError(.invalidInput, "--success-rate-below needs --deployment", field: "deployment") }
            guard let runs, Self.runsRange.contains(runs) else {
                throw BatonError(.invalidInput, "--over is not valid: expected a number of runs from 1 to 1000", field: "runs")
            }
            guard let threshold, threshold > 0, threshold <= 1 else {
                throw BatonError(.invalidInput, "--success-rate-below is not valid: expected a share above 0 and up to 1, such as 0.9 or 90%", field: "threshold")
            }
        }
        if let flow { try DeploymentNames.validate(flow, what: "flow name") }
        if let deployment { try DeploymentNames.validate(deployment, what: "deployment name") }
        for tag in tags ?? [] where tag.isEmpty || tag.count > 100 {
            throw BatonError(.invalidInput, "tag '\(tag)' is not valid: expected 1 to 100 characters", field: "tags")
        }
    }

    /// Whether a run of `flow` (with `tags`), of `deployment`, is one this trigger watches.
    public func covers(flow: String?, deployment: String?, tags: [String]) -> Bool {
        if let wanted = self.flow, wanted != flow { return false }
        if let wanted = self.deployment, wanted != deployment { return false }
        if let wanted = self.tags, !wanted.isEmpty, !Set(wanted).isSubset(of: tags) { return false }
        return true
    }

    /// Whether a state is one of `words` (state types and names, lower case).
    public static func names(_ words: [String], type: StateType, name: String) -> Bool {
        words.contains(type.rawValue) || words.contains(name.lowercased())
    }

    /// The trigger in words, for listings: "a run of etl enters failed or crashed".
    public var summary: String {
        var scope: [String] = []
        if let flow { scope.append("flow \(flow)") }
        if let deployment { scope.append("deployment \(deployment)") }
        if let tags, !tags.isEmpty { scope.append("tags \(tags.joined(separator: ","))") }
        let of = scope.isEmpty ? "any run" : "a run of " + scope.joined(separator: ", ")
        switch kind {
        case .state: return "\(of) enters \((states ?? []).joined(separator: " or "))"
        case .absent: return "no \(of.replacingOccurrences(of: "a run", with: "run").replacingOccurrences(of: "any run", with: "run")) \(expected ?? "") within \(Durations.words(within ?? 0))"
        case .workerOffline: return "a worker\(pool.map { " of pool \($0)" } ?? "") goes offline"
        case .successRate:
            return "success rate of \(deployment ?? "")'s last \(runs ?? 0) runs under \(Int(((threshold ?? 0) * 100).rounded()))%"
        }
    }
}

/// What an automation does when it fires, in order.
public struct AutomationAction: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case notify
        case runDeployment = "run-deployment"
        case pauseDeployment = "pause-deployment"
        case cancelRun = "cancel-run"
        case webhook
    }

    public var kind: Kind
    public var channel: String?
    public var deployment: String?
    public var parameters: [String: JSONValue]?
    public var url: String?

    public init(kind: Kind, channel: String? = nil, deployment: String? = nil, parameters: [String: JSONValue]? = nil, url: String? = nil) {
        self.kind = kind
        self.channel = channel
        self.deployment = deployment
        self.parameters = parameters
        self.url = url
    }

    public func validate() throws {
        switch kind {
        case .notify:
            guard let channel else { throw BatonError(.invalidInput, "--notify needs a channel's name", field: "channel") }
            try DeploymentNames.validate(channel, what: "channel name")
        case .runDeployment, .pauseDeployment:
            guard let deployment else { throw BatonError(.invalidInput, "--\(kind.rawValue) needs a deployment's name", field: "deployment") }
            try DeploymentNames.validate(deployment, what: "deployment name")
        case .cancelRun: break
        case .webhook:
            guard let url else { throw BatonError(.invalidInput, "--webhook needs a URL", field: "url") }
            try ChannelConfig.validateURL(url, option: "--webhook")
        }
        if parameters != nil, kind != .runDeployment {
            throw BatonError(.invalidInput, "--param goes with --run-deployment only", field: "parameters")
        }
    }

    /// The action in words: "notify ops", "run deployment backfill".
    public var summary: String {
        switch kind {
        case .notify: "notify \(channel ?? "")"
        case .runDeployment: "run deployment \(deployment ?? "")" + ((parameters ?? [:]).isEmpty ? "" : " with \((parameters ?? [:]).keys.sorted().joined(separator: ", "))")
        case .pauseDeployment: "pause deployment \(deployment ?? "")"
        case .cancelRun: "cancel the run"
        case .webhook: "call \(ChannelConfig.redactedURL(url ?? ""))"
        }
    }
}

// MARK: Automations, firings, deliveries

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

// MARK: Inbound webhooks

/// An inbound webhook: `POST /api/webhooks/NAME` starts a run of `deployment`, its parameters taken
/// from the JSON payload by `mapping` (parameter → `$.path.in[0].payload`).
public struct WebhookRecord: Codable, Sendable, Hashable {
    public var id: Int64
    public var project: String
    public var name: String
    public var deployment: String
    /// The token, sealed with the host's secret key: it is both the bearer token and the HMAC key.
    public var sealedToken: String
    public var mapping: [String: String]
    public var createdBy: String?
    public var createdAt: Date

    public init(
        id: Int64, project: String, name: String, deployment: String, sealedToken: String, mapping: [String: String], createdBy: String?,
        createdAt: Date
    ) {
        self.id = id
        self.project = project
        self.name = name
        self.deployment = deployment
        self.sealedToken = sealedToken
        self.mapping = mapping
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}

/// `$.a.b[0].c`: a path into a JSON payload, as inbound webhooks map parameters.
public struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    public enum Step: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public let steps: [Step]
    public let description: String

    /// Reads `$`, `$.name`, `$.a.b`, `$.list[2]`, `$["odd key"]`; throws naming the path otherwise.
    public init(_ text: String) throws {
        description = text
        func bad(_ why: String) -> BatonError {
            BatonError(.invalidInput, "path '\(text)' is not valid: \(why) (expected $.field.sub[0], as in $.pull_request.number)", field: "mapping")
        }
        var chars = Array(text)
        guard chars.first == "$" else { throw bad("it must start with $") }
        chars.removeFirst()
        var steps: [Step] = []
        var i = 0
        while i < chars.count {
            if chars[i] == "." {
                i += 1
                var name = ""
                while i < chars.count, chars[i] != ".", chars[i] != "[" {
                    name.append(chars[i])
                    i += 1
                }
                guard !name.isEmpty else { throw bad("a '.' names nothing") }
                steps.append(.key(name))
            } else if chars[i] == "[" {
                guard let close = chars[i...].firstIndex(of: "]") else { throw bad("a '[' is not closed") }
                let inside = String(chars[(i + 1)..<close])
                if let index = Int(inside), index >= 0 {
                    steps.append(.index(index))
                } else if inside.count >= 2, inside.first == "\"" || inside.first == "'", inside.last == inside.first {
                    steps.append(.key(String(inside.dropFirst().dropLast())))
                } else {
                    throw bad("[\(inside)] is neither an index nor a quoted key")
                }
                i = close + 1
            } else {
                throw bad("unexpected '\(chars[i])'")
            }
            guard steps.count <= 32 else { throw bad("more than 32 steps") }
        }
        self.steps = steps
    }

    /// The value at this path in `value`, or nil when the payload has none there.
    public func value(in value: JSONValue) -> JSONValue? {
        var current = value
        for step in steps {
            switch (step, current) {
            case (.key(let key), .object(let fields)):
                guard let next = fields[key] else { return nil }
                current = next
            case (.index(let index), .array(let items)):
                guard index < items.count else { return nil }
                current = items[index]
            default: return nil
            }
        }
        return current
    }
}

// MARK: Durations

/// Durations as people type them: `90s`, `30m`, `2h`, `1d`, or a number of seconds.
public enum Durations {
    public static func parse(_ text: String, option: String) throws -> Double {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let seconds = Double(trimmed), seconds >= 0, seconds.isFinite { return seconds }
        if let unit = trimmed.last, let factor = units[unit], let number = Double(trimmed.dropLast()), number >= 0, number.isFinite {
            return number * factor
        }
        throw BatonError(.invalidInput, "\(option) '\(text)' is not valid: expected a duration such as 90s, 30m, 2h or 1d")
    }

    /// `1800` → "30m", `5400` → "90m", `86400` → "1d".
    public static func words(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole >= 86400, whole % 86400 == 0 { return "\(whole / 86400)d" }
        if whole >= 3600, whole % 3600 == 0 { return "\(whole / 3600)h" }
        if whole >= 60, whole % 60 == 0 { return "\(whole / 60)m" }
        return "\(whole)s"
    }
}
