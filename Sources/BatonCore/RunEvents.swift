import Foundation

/// What the engine reports while it runs a flow; the store applies these in order.
public enum RunEvent: Sendable, Hashable {
    /// A flow run entered a state.
    case flowRunState(FlowRunStateChange)
    /// A subflow run was created by a flow run.
    case flowRunCreated(NewFlowRun)
    /// A task run was created, `pending`.
    case taskRunCreated(TaskRunStart)
    /// A task run entered a state.
    case taskRunState(TaskRunStateChange)
    /// Which task runs fed which.
    case edges(flowRunID: String, [TaskRunEdge])
    /// A log line.
    case log(LogRecord)
    /// An artifact a body published.
    case artifact(ArtifactRecord)
    /// A task result to keep in the cache.
    case cacheStore(CacheEntry)

    public var flowRunID: String {
        switch self {
        case .flowRunState(let change): change.flowRunID
        case .flowRunCreated(let run): run.parentFlowRunID ?? run.id
        case .taskRunCreated(let start): start.flowRunID
        case .taskRunState(let change): change.flowRunID
        case .edges(let id, _): id
        case .log(let record): record.flowRunID
        case .artifact(let artifact): artifact.flowRunID
        case .cacheStore(let entry): entry.flowRunID
        }
    }
}

/// A flow run entering a state; `result` is its JSON result when completed, `attempt` set when a new
/// attempt of the body starts.
public struct FlowRunStateChange: Sendable, Hashable {
    public var flowRunID: String
    public var state: RunState
    public var result: String?
    public var attempt: Int?

    public init(flowRunID: String, state: RunState, result: String? = nil, attempt: Int? = nil) {
        self.flowRunID = flowRunID
        self.state = state
        self.result = result
        self.attempt = attempt
    }
}

/// A new task run.
public struct TaskRunStart: Sendable, Hashable {
    public var id: String
    public var flowRunID: String
    public var flowRunAttempt: Int
    /// Its place among the flow run's task runs, from 1.
    public var position: Int
    public var name: String
    public var taskName: String
    public var kind: String
    public var childFlowRunID: String?
    public var parentTaskRunID: String?
    public var input: String?
    /// SHA-256 of the task name and input, which resume matches on.
    public var inputKey: String?
    public var cacheKey: String?
    public var tags: [String]
    public var createdAt: Date

    public init(
        id: String, flowRunID: String, flowRunAttempt: Int, position: Int, name: String, taskName: String,
        kind: String = "task", childFlowRunID: String? = nil, parentTaskRunID: String? = nil, input: String? = nil,
        inputKey: String? = nil, cacheKey: String? = nil, tags: [String] = [], createdAt: Date
    ) {
        self.id = id
        self.flowRunID = flowRunID
        self.flowRunAttempt = flowRunAttempt
        self.position = position
        self.name = name
        self.taskName = taskName
        self.kind = kind
        self.childFlowRunID = childFlowRunID
        self.parentTaskRunID = parentTaskRunID
        self.input = input
        self.inputKey = inputKey
        self.cacheKey = cacheKey
        self.tags = tags
        self.createdAt = createdAt
    }
}

/// A task run entering a state in its `attempt`; `result` is its JSON result when completed, and
/// `cachedFrom` the task run whose result a `Cached` state returned.
public struct TaskRunStateChange: Sendable, Hashable {
    public var taskRunID: String
    public var flowRunID: String
    public var state: RunState
    public var attempt: Int
    public var result: String?
    public var cachedFrom: String?

    public init(
        taskRunID: String, flowRunID: String, state: RunState, attempt: Int, result: String? = nil, cachedFrom: String? = nil
    ) {
        self.taskRunID = taskRunID
        self.flowRunID = flowRunID
        self.state = state
        self.attempt = attempt
        self.result = result
        self.cachedFrom = cachedFrom
    }
}

/// An edge of a run's graph: `upstream` fed `downstream`. `kind` is `future` (a future was passed),
/// `wait` (`waitFor:`) or `data` (the downstream's input holds the upstream's result).
public struct TaskRunEdge: Codable, Sendable, Hashable {
    public var upstream: String
    public var downstream: String
    public var kind: String

    public init(upstream: String, downstream: String, kind: String) {
        self.upstream = upstream
        self.downstream = downstream
        self.kind = kind
    }
}

/// An artifact: markdown, a table (rows of key-value) or a link, published under a key by a run.
public struct ArtifactRecord: Codable, Sendable, Hashable {
    /// The store's sequence number; 0 before it is stored.
    public var id: Int64
    public var key: String
    /// `markdown`, `table` or `link`.
    public var kind: String
    /// Markdown text; for a table a JSON array of objects; for a link a JSON object with `url` and `text`.
    public var data: String
    public var description: String?
    public var flowRunID: String
    public var taskRunID: String?
    public var createdAt: Date

    public init(
        id: Int64 = 0, key: String, kind: String, data: String, description: String?, flowRunID: String, taskRunID: String?,
        createdAt: Date
    ) {
        self.id = id
        self.key = key
        self.kind = kind
        self.data = data
        self.description = description
        self.flowRunID = flowRunID
        self.taskRunID = taskRunID
        self.createdAt = createdAt
    }
}

/// A cached task result.
public struct CacheEntry: Sendable, Hashable {
    public var key: String
    public var taskName: String
    public var result: String
    public var flowRunID: String
    public var taskRunID: String
    public var taskRunName: String?
    public var createdAt: Date
    public var expiresAt: Date?

    public init(
        key: String, taskName: String, result: String, flowRunID: String, taskRunID: String, taskRunName: String? = nil,
        createdAt: Date, expiresAt: Date?
    ) {
        self.key = key
        self.taskName = taskName
        self.result = result
        self.flowRunID = flowRunID
        self.taskRunID = taskRunID
        self.taskRunName = taskRunName
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// A cached result found for a key.
public struct CacheHit: Codable, Sendable, Hashable {
    public var result: String
    public var taskRunID: String
    public var taskRunName: String?
    public var flowRunID: String
    public var createdAt: Date

    public init(result: String, taskRunID: String, taskRunName: String? = nil, flowRunID: String, createdAt: Date) {
        self.result = result
        self.taskRunID = taskRunID
        self.taskRunName = taskRunName
        self.flowRunID = flowRunID
        self.createdAt = createdAt
    }
}

/// Run ids. Task runs get time-ordered ids (UUID version 7: the first 48 bits are milliseconds since
/// 1970), so that a run's many new rows land at the end of the store's indexes rather than at random
/// places. Flow runs get random ids (version 4): people type their first characters, which for a
/// time-ordered id would be the same for every run of the same minute.
public enum RunID {
    public static func random() -> String { UUID().uuidString.lowercased() }

    public static func make(at date: Date = Date()) -> String {
        var random = SystemRandomNumberGenerator()
        let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        let high = (milliseconds << 16) | 0x7000 | (random.next() & 0x0FFF)
        let low = (random.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        let hex = hexDigits(high) + hexDigits(low)
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-"
            + String(c[20..<32])
    }

    private static func hexDigits(_ value: UInt64) -> String {
        let digits = Array("0123456789abcdef")
        var out = [Character](repeating: "0", count: 16)
        var v = value
        for i in stride(from: 15, through: 0, by: -1) {
            out[i] = digits[Int(v & 0xF)]
            v >>= 4
        }
        return String(out)
    }
}
