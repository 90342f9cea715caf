import FoundationEssentials

/// The options of a task, recorded in the manifest and sent to the engine with every call.
public struct TaskOptions: Codable, Sendable, Hashable {
    /// A sentence on what the task does.
    public var description: String?
    /// How many times a failed attempt is retried: `retries: 3` allows four attempts in all.
    public var retries: Int
    /// Seconds to wait before each retry; the last entry repeats. Empty means retry at once.
    public var retryDelaySeconds: [Double]
    /// Seconds an attempt may take before it ends as `TimedOut`; `nil` for no limit.
    public var timeoutSeconds: Double?
    /// Free-form tags, used by concurrency limits and filters.
    public var tags: [String]
    /// Where the task was declared, as `Module/File.swift:line`.
    public var sourceLocation: String?

    /// Options with the given values; see `task(_:description:retries:retryDelay:timeout:tags:_:)`.
    public init(
        description: String? = nil, retries: Int = 0, retryDelaySeconds: [Double] = [],
        timeoutSeconds: Double? = nil, tags: [String] = [], sourceLocation: String? = nil
    ) {
        self.description = description
        self.retries = retries
        self.retryDelaySeconds = retryDelaySeconds
        self.timeoutSeconds = timeoutSeconds
        self.tags = tags
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

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
