import Foundation

// What makes an automation fire, and what it does then.

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
