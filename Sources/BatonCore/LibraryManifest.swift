import Foundation

/// A library's manifest as the host reads it (the SDK writes it; the JSON is the contract).
public struct LibraryManifest: Codable, Sendable, Hashable {
    public var abiMajor: UInt32
    public var abiMinor: UInt32
    public var swiftCompiler: UInt32
    public var sdkVersion: String
    public var flows: [FlowManifest]
    public var tasks: [TaskManifest]
    /// Set when the library could not describe itself, for example two flows of one name.
    public var error: String?

    public init(
        abiMajor: UInt32, abiMinor: UInt32, swiftCompiler: UInt32, sdkVersion: String, flows: [FlowManifest],
        tasks: [TaskManifest], error: String? = nil
    ) {
        self.abiMajor = abiMajor
        self.abiMinor = abiMinor
        self.swiftCompiler = swiftCompiler
        self.sdkVersion = sdkVersion
        self.flows = flows
        self.tasks = tasks
        self.error = error
    }

    /// Decodes a manifest and checks what the host relies on: valid, unique flow names and readable
    /// parameter schemas.
    public static func decode(_ data: Data, library: String) throws -> LibraryManifest {
        let manifest: LibraryManifest
        do {
            manifest = try BatonCoding.decoder().decode(LibraryManifest.self, from: data)
        } catch {
            throw BatonError(.registrationFailed, "the manifest of \(library) is not valid: \(error)")
        }
        if let problem = manifest.error {
            throw BatonError(.registrationFailed, "\(library) cannot describe its flows: \(problem)")
        }
        guard !manifest.flows.isEmpty else {
            throw BatonError(.registrationFailed, "\(library) exports no flows")
        }
        for flow in manifest.flows {
            try FlowName.validate(flow.name, in: library)
            try flow.parameterSchema().checkDefaults(in: library)
        }
        return manifest
    }
}

/// One flow of a manifest.
public struct FlowManifest: Codable, Sendable, Hashable {
    public var name: String
    public var description: String?
    /// A JSON Schema object with one property per parameter; see ``ParameterSchema``.
    public var parameters: JSONValue
    public var resultType: String
    public var schedule: ScheduleSpec?
    public var sourceLocation: String?
    /// Retries, timeout, task concurrency, hooks; absent in manifests of SDK 0.1.
    public var options: FlowOptionsSpec?

    public init(
        name: String, description: String? = nil, parameters: JSONValue, resultType: String,
        schedule: ScheduleSpec? = nil, sourceLocation: String? = nil, options: FlowOptionsSpec? = nil
    ) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.resultType = resultType
        self.schedule = schedule
        self.sourceLocation = sourceLocation
        self.options = options
    }

    public func parameterSchema() throws -> ParameterSchema {
        try ParameterSchema(jsonSchema: parameters, flow: name)
    }
}

/// One task of a manifest.
public struct TaskManifest: Codable, Sendable, Hashable {
    public var name: String
    public var inputType: String
    public var outputType: String
    public var options: TaskOptionsSpec
}

/// A task's options, as the SDK records them and sends with each call.
public struct TaskOptionsSpec: Codable, Sendable, Hashable {
    public var description: String?
    public var retries: Int
    public var retryDelaySeconds: [Double]
    public var retryBackoff: RetryBackoff?
    public var retryJitter: Double?
    public var timeoutSeconds: Double?
    public var tags: [String]
    public var cache: CacheOptions?
    /// The hooks the task declares: "onCompletion", "onFailure", "onCancellation".
    public var hooks: [String]
    /// Whether `print` in the body becomes log lines of the task run.
    public var logPrints: Bool
    public var sourceLocation: String?

    public init(
        description: String? = nil, retries: Int = 0, retryDelaySeconds: [Double] = [], retryBackoff: RetryBackoff? = nil,
        retryJitter: Double? = nil, timeoutSeconds: Double? = nil, tags: [String] = [], cache: CacheOptions? = nil,
        hooks: [String] = [], logPrints: Bool = true, sourceLocation: String? = nil
    ) {
        self.description = description
        self.retries = retries
        self.retryDelaySeconds = retryDelaySeconds
        self.retryBackoff = retryBackoff
        self.retryJitter = retryJitter
        self.timeoutSeconds = timeoutSeconds
        self.tags = tags
        self.cache = cache
        self.hooks = hooks
        self.logPrints = logPrints
        self.sourceLocation = sourceLocation
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        retries = try c.decodeIfPresent(Int.self, forKey: .retries) ?? 0
        retryDelaySeconds = try c.decodeIfPresent([Double].self, forKey: .retryDelaySeconds) ?? []
        retryBackoff = try c.decodeIfPresent(RetryBackoff.self, forKey: .retryBackoff)
        retryJitter = try c.decodeIfPresent(Double.self, forKey: .retryJitter)
        timeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .timeoutSeconds)
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        cache = try c.decodeIfPresent(CacheOptions.self, forKey: .cache)
        hooks = try c.decodeIfPresent([String].self, forKey: .hooks) ?? []
        logPrints = try c.decodeIfPresent(Bool.self, forKey: .logPrints) ?? true
        sourceLocation = try c.decodeIfPresent(String.self, forKey: .sourceLocation)
    }

    /// The delay before retry number `retry` (1 for the first retry): exponential backoff when set,
    /// else the list's entry with the last one repeating, else none; then spread by the jitter factor
    /// over [delay × (1 − jitter), delay × (1 + jitter)] using `random` in 0..<1.
    public func delay(beforeRetry retry: Int, random: Double = 0.5) -> Double {
        RetryPolicy(delays: retryDelaySeconds, backoff: retryBackoff, jitter: retryJitter).delay(beforeRetry: retry, random: random)
    }

    /// The retry delays in words: "1 s", "1 s, 5 s", "exponential from 1 s, at most 60 s, ±20%".
    public var retryDelayDescription: String {
        RetryPolicy(delays: retryDelaySeconds, backoff: retryBackoff, jitter: retryJitter).description
    }
}

/// How long to wait before each retry.
public struct RetryPolicy: Sendable, Hashable, CustomStringConvertible {
    public var delays: [Double]
    public var backoff: RetryBackoff?
    public var jitter: Double?

    public init(delays: [Double], backoff: RetryBackoff?, jitter: Double?) {
        self.delays = delays
        self.backoff = backoff
        self.jitter = jitter
    }

    public func delay(beforeRetry retry: Int, random: Double) -> Double {
        var delay: Double
        if let backoff {
            delay = backoff.baseSeconds * pow(backoff.factor, Double(max(0, retry - 1)))
            if let cap = backoff.capSeconds { delay = min(delay, cap) }
        } else if let last = delays.last {
            delay = retry - 1 < delays.count ? delays[max(0, retry - 1)] : last
        } else {
            delay = 0
        }
        if let jitter, jitter > 0 { delay *= 1 + jitter * (2 * random - 1) }
        // The cap holds after jitter too: a delay capped at a minute never waits longer.
        if let cap = backoff?.capSeconds { delay = min(delay, cap) }
        return max(0, delay)
    }

    public var description: String {
        var text: String
        if let backoff {
            text = "exponential from \(Self.seconds(backoff.baseSeconds))"
            if backoff.factor != 2 { text += " ×\(backoff.factor)" }
            if let cap = backoff.capSeconds { text += ", at most \(Self.seconds(cap))" }
        } else if delays.isEmpty {
            text = "none"
        } else {
            text = delays.map(Self.seconds).joined(separator: ", ")
        }
        if let jitter, jitter > 0 { text += " ±\(Int((jitter * 100).rounded()))%" }
        return text
    }

    static func seconds(_ value: Double) -> String {
        value < 1 ? "\(Int((value * 1000).rounded())) ms" : (value.rounded() == value ? "\(Int(value)) s" : "\(value) s")
    }
}

/// Exponential backoff: `baseSeconds × factor^(retry − 1)`, at most `capSeconds`.
public struct RetryBackoff: Codable, Sendable, Hashable {
    public var baseSeconds: Double
    public var factor: Double
    public var capSeconds: Double?

    public init(baseSeconds: Double, factor: Double = 2, capSeconds: Double? = nil) {
        self.baseSeconds = baseSeconds
        self.factor = factor
        self.capSeconds = capSeconds
    }
}

/// A task's cache policy: `inputs`, `inputsAndVersion` or `key` (a key closure's value).
public struct CacheOptions: Codable, Sendable, Hashable {
    public var policy: String
    public var expirationSeconds: Double?
    public var refresh: Bool

    public init(policy: String, expirationSeconds: Double? = nil, refresh: Bool = false) {
        self.policy = policy
        self.expirationSeconds = expirationSeconds
        self.refresh = refresh
    }
}

/// A flow's options, as its manifest records them.
public struct FlowOptionsSpec: Codable, Sendable, Hashable {
    public var retries: Int
    public var retryDelaySeconds: [Double]
    public var retryBackoff: RetryBackoff?
    public var retryJitter: Double?
    public var timeoutSeconds: Double?
    /// How many task runs of one flow run may run at once.
    public var taskConcurrency: Int?
    public var logPrints: Bool
    public var hooks: [String]
    /// Tags the flow declares (`.tags("nightly")`): automations may watch the runs of flows by tag.
    /// Nil in manifests of libraries built before flows had tags.
    public var tags: [String]?

    public init(
        retries: Int = 0, retryDelaySeconds: [Double] = [], retryBackoff: RetryBackoff? = nil, retryJitter: Double? = nil,
        timeoutSeconds: Double? = nil, taskConcurrency: Int? = nil, logPrints: Bool = true, hooks: [String] = [], tags: [String]? = nil
    ) {
        self.tags = tags
        self.retries = retries
        self.retryDelaySeconds = retryDelaySeconds
        self.retryBackoff = retryBackoff
        self.retryJitter = retryJitter
        self.timeoutSeconds = timeoutSeconds
        self.taskConcurrency = taskConcurrency
        self.logPrints = logPrints
        self.hooks = hooks
    }

    public var retryPolicy: RetryPolicy { RetryPolicy(delays: retryDelaySeconds, backoff: retryBackoff, jitter: retryJitter) }
}

/// A schedule a flow declares in code.
public struct ScheduleSpec: Codable, Sendable, Hashable {
    public var kind: String
    public var intervalSeconds: Double?
    public var cron: String?
    public var rrule: String?
    public var anchor: Date?
    public var timeZone: String?

    public init(
        kind: String, intervalSeconds: Double? = nil, cron: String? = nil, rrule: String? = nil, anchor: Date? = nil,
        timeZone: String? = nil
    ) {
        self.kind = kind
        self.intervalSeconds = intervalSeconds
        self.cron = cron
        self.rrule = rrule
        self.anchor = anchor
        self.timeZone = timeZone
    }

    /// The schedule in a few words: "every 1 minute", "cron 0 2 * * * (Europe/Berlin)".
    public var summary: String {
        let zone = timeZone.map { " (\($0))" } ?? ""
        switch kind {
        case "interval":
            let seconds = intervalSeconds ?? 0
            return "every " + Self.describe(seconds: seconds) + zone
        case "cron": return "cron \(cron ?? "?")" + zone
        default: return "rrule \(rrule ?? "?")" + zone
        }
    }

    static func describe(seconds: Double) -> String {
        let units: [(Double, String)] = [(86_400, "day"), (3600, "hour"), (60, "minute"), (1, "second")]
        for (size, name) in units where seconds >= size && seconds.truncatingRemainder(dividingBy: size) == 0 {
            let n = Int(seconds / size)
            return "\(n) \(name)\(n == 1 ? "" : "s")"
        }
        return "\(seconds) seconds"
    }
}

/// Flow names: what `baton run <flow>` takes and URLs carry.
public enum FlowName {
    public static func validate(_ name: String, in library: String) throws {
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)
        }
        guard !name.isEmpty, name.count <= 100, allowed, name.first != "-", name.first != "." else {
            throw BatonError(
                .registrationFailed,
                "flow name '\(name)' in \(library) is not valid: use 1 to 100 letters, digits, '-', '_' and '.', "
                    + "not starting with '-' or '.'")
        }
    }
}

/// The JSON coding of host records: ISO 8601 dates with fractional seconds, sorted keys.
public enum BatonCoding {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(Timestamps.iso(date))
        }
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            guard let date = Timestamps.parse(text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an ISO 8601 date: \(text)")
            }
            return date
        }
        return decoder
    }
}

