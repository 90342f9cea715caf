import FoundationEssentials

/// The options of a task, recorded in the manifest and sent to the engine with every call.
public struct TaskOptions: Codable, Sendable, Hashable {
    /// A sentence on what the task does.
    public var description: String?
    /// How many times a failed attempt is retried: `retries: 3` allows four attempts in all.
    public var retries: Int
    /// Seconds to wait before each retry; the last entry repeats. Empty means retry at once.
    public var retryDelaySeconds: [Double]
    /// Exponential backoff, which takes the place of `retryDelaySeconds` when set.
    public var retryBackoff: Backoff?
    /// Spreads each retry delay at random over ±`retryJitter` of itself (0.2 is ±20%).
    public var retryJitter: Double?
    /// Seconds an attempt may take before it ends as `TimedOut`; `nil` for no limit.
    public var timeoutSeconds: Double?
    /// Free-form tags; a global concurrency limit on a tag (`baton limit set`) applies to the task.
    public var tags: [String]
    /// How results are cached, if they are.
    public var cache: CacheSettings?
    /// The hooks the task declares, by name.
    public var hooks: [String]
    /// Whether `print` in the body becomes log lines of the task run.
    public var logPrints: Bool
    /// Where the task was declared, as `Module/File.swift:line`.
    public var sourceLocation: String?

    /// Exponential backoff: the first retry waits `baseSeconds`, each next one `factor` times longer,
    /// never more than `capSeconds`.
    public struct Backoff: Codable, Sendable, Hashable {
        public var baseSeconds: Double
        public var factor: Double
        public var capSeconds: Double?
    }

    /// A cache policy as the engine reads it.
    public struct CacheSettings: Codable, Sendable, Hashable {
        public var policy: String
        public var expirationSeconds: Double?
        public var refresh: Bool
    }

    /// Options with the given values; see `task(_:description:retries:retryDelay:timeout:tags:_:)`.
    public init(
        description: String? = nil, retries: Int = 0, retryDelaySeconds: [Double] = [], timeoutSeconds: Double? = nil,
        tags: [String] = [], sourceLocation: String? = nil
    ) {
        self.description = description
        self.retries = retries
        self.retryDelaySeconds = retryDelaySeconds
        self.timeoutSeconds = timeoutSeconds
        self.tags = tags
        self.hooks = []
        self.logPrints = true
        self.sourceLocation = sourceLocation
    }

    init(
        description: String?, retries: Int, retryDelay: Duration, timeout: Duration?, tags: [String],
        fileID: String, line: Int
    ) {
        self.init(
            description: description, retries: max(0, retries),
            retryDelaySeconds: retryDelay == .zero ? [] : [retryDelay.seconds],
            timeoutSeconds: timeout?.seconds, tags: tags, sourceLocation: "\(fileID):\(line)")
    }
}

/// How a task's results are cached, so that a call with the same key returns the stored result
/// (a `completed` state named `Cached`) instead of running again, across runs and processes.
///
/// ```swift
/// let geocode = task("geocode") { (city: String) in try await lookUp(city) }
///     .cache(.inputs, expiration: .seconds(86_400))
/// ```
public struct CachePolicy<Input: Sendable>: Sendable {
    let name: String
    let key: (@Sendable (Input) -> String)?

    /// Calls of the task with equal inputs share a result, whatever the library version.
    public static var inputs: CachePolicy { CachePolicy(name: "inputs", key: nil) }
    /// Calls with equal inputs of the same library version share a result.
    public static var inputsAndVersion: CachePolicy { CachePolicy(name: "inputsAndVersion", key: nil) }
    /// Calls whose input gives the same key share a result.
    public static func key(_ key: @escaping @Sendable (Input) -> String) -> CachePolicy { CachePolicy(name: "key", key: key) }
}

/// How long to wait between retries.
public enum RetryDelays: Sendable {
    /// The same delay before every retry.
    case fixed(Duration)
    /// One delay per retry; the last one repeats.
    case list([Duration])
    /// `base` before the first retry, twice as long before each next one, at most `cap`.
    case exponential(base: Duration, cap: Duration? = nil)
}

/// How a flow or task run ended, as a hook sees it.
public struct FinalState: Codable, Sendable, Hashable {
    /// `completed`, `failed`, `crashed` or `cancelled`.
    public let type: String
    /// The state's name: `Completed`, `Cached`, `Failed`, `TimedOut`, `Cancelled`.
    public let name: String
    /// Why, for a failure: the error's description.
    public let message: String?
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
