import Foundation

/// A registered library file, content-addressed by its SHA-256.
public struct LibraryRecord: Codable, Sendable, Hashable {
    public var hash: String
    public var fileName: String
    public var path: String
    public var size: Int
    public var manifest: LibraryManifest
    public var registeredAt: Date

    public init(hash: String, fileName: String, path: String, size: Int, manifest: LibraryManifest, registeredAt: Date) {
        self.hash = hash
        self.fileName = fileName
        self.path = path
        self.size = size
        self.manifest = manifest
        self.registeredAt = registeredAt
    }
}

/// One registration of a flow: immutable, numbered 1, 2, 3… per flow.
public struct VersionRecord: Codable, Sendable, Hashable {
    public var flow: String
    public var number: Int
    public var libraryHash: String
    public var libraryPath: String
    public var manifest: FlowManifest
    public var registeredAt: Date
    public var registeredBy: String?
    public var sourcePath: String?
    public var label: String?

    public init(
        flow: String, number: Int, libraryHash: String, libraryPath: String, manifest: FlowManifest, registeredAt: Date,
        registeredBy: String?, sourcePath: String?, label: String?
    ) {
        self.flow = flow
        self.number = number
        self.libraryHash = libraryHash
        self.libraryPath = libraryPath
        self.manifest = manifest
        self.registeredAt = registeredAt
        self.registeredBy = registeredBy
        self.sourcePath = sourcePath
        self.label = label
    }

    /// The first twelve hex digits of the library hash, as lists show it.
    public var shortHash: String { String(libraryHash.prefix(12)) }
}

/// What registering a library did for one of its flows.
public struct RegisteredVersion: Codable, Sendable, Hashable {
    public var flow: String
    public var version: Int
    /// False when identical bytes were already registered as this version.
    public var created: Bool
    public var hash: String
    public var label: String?

    public init(flow: String, version: Int, created: Bool, hash: String, label: String?) {
        self.flow = flow
        self.version = version
        self.created = created
        self.hash = hash
        self.label = label
    }
}

/// A flow with its latest version and last run, as `baton flow ls` lists it.
public struct FlowSummary: Codable, Sendable, Hashable {
    public var name: String
    public var description: String?
    public var latestVersion: Int
    public var versionCount: Int
    public var latestRegisteredAt: Date
    public var lastRunState: StateType?
    public var lastRunAt: Date?

    public init(
        name: String, description: String?, latestVersion: Int, versionCount: Int, latestRegisteredAt: Date,
        lastRunState: StateType?, lastRunAt: Date?
    ) {
        self.name = name
        self.description = description
        self.latestVersion = latestVersion
        self.versionCount = versionCount
        self.latestRegisteredAt = latestRegisteredAt
        self.lastRunState = lastRunState
        self.lastRunAt = lastRunAt
    }
}

/// A flow run.
public struct FlowRunRecord: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var flow: String
    public var version: Int
    public var state: RunState
    public var parameters: [String: JSONValue]
    /// The flow's JSON result once completed.
    public var result: JSONValue?
    public var createdAt: Date
    public var startTime: Date?
    public var endTime: Date?
    public var attempt: Int
    /// The run this one reran, for `baton rerun`.
    public var rerunOf: String?

    public init(
        id: String, name: String, flow: String, version: Int, state: RunState, parameters: [String: JSONValue],
        result: JSONValue?, createdAt: Date, startTime: Date?, endTime: Date?, attempt: Int, rerunOf: String?
    ) {
        self.id = id
        self.name = name
        self.flow = flow
        self.version = version
        self.state = state
        self.parameters = parameters
        self.result = result
        self.createdAt = createdAt
        self.startTime = startTime
        self.endTime = endTime
        self.attempt = attempt
        self.rerunOf = rerunOf
    }

    /// Seconds from start to end, or to now while running.
    public func duration(now: Date = Date()) -> Double? {
        guard let startTime else { return nil }
        return (endTime ?? (state.type.isFinal ? startTime : now)).timeIntervalSince(startTime)
    }
}

/// A task run.
public struct TaskRunRecord: Codable, Sendable, Hashable {
    public var id: String
    public var flowRunID: String
    public var name: String
    public var taskName: String
    public var parentTaskRunID: String?
    public var state: RunState
    public var attempts: Int
    public var input: JSONValue?
    public var result: JSONValue?
    public var createdAt: Date
    public var startTime: Date?
    public var endTime: Date?

    public init(
        id: String, flowRunID: String, name: String, taskName: String, parentTaskRunID: String?, state: RunState,
        attempts: Int, input: JSONValue?, result: JSONValue?, createdAt: Date, startTime: Date?, endTime: Date?
    ) {
        self.id = id
        self.flowRunID = flowRunID
        self.name = name
        self.taskName = taskName
        self.parentTaskRunID = parentTaskRunID
        self.state = state
        self.attempts = attempts
        self.input = input
        self.result = result
        self.createdAt = createdAt
        self.startTime = startTime
        self.endTime = endTime
    }
}

/// One entry of a run's state history.
public struct StateRecord: Codable, Sendable, Hashable {
    public var flowRunID: String
    public var taskRunID: String?
    public var state: RunState

    public init(flowRunID: String, taskRunID: String?, state: RunState) {
        self.flowRunID = flowRunID
        self.taskRunID = taskRunID
        self.state = state
    }
}

/// Log levels, numbered as in Python's logging.
public enum LogLevel: Int, Codable, Sendable, CaseIterable, Comparable {
    case debug = 10, info = 20, warning = 30, error = 40

    public init(clamping value: Int) {
        self = value >= 40 ? .error : value >= 30 ? .warning : value >= 20 ? .info : .debug
    }

    public var name: String {
        switch self {
        case .debug: "DEBUG"
        case .info: "INFO"
        case .warning: "WARNING"
        case .error: "ERROR"
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// One log line of a flow run or task run.
public struct LogRecord: Codable, Sendable, Hashable {
    /// The store's sequence number; 0 before it is stored.
    public var id: Int64
    public var flowRunID: String
    public var taskRunID: String?
    /// The task run's name, for display.
    public var taskRunName: String?
    public var timestamp: Date
    public var level: LogLevel
    public var message: String

    public init(
        id: Int64 = 0, flowRunID: String, taskRunID: String?, taskRunName: String?, timestamp: Date, level: LogLevel,
        message: String
    ) {
        self.id = id
        self.flowRunID = flowRunID
        self.taskRunID = taskRunID
        self.taskRunName = taskRunName
        self.timestamp = timestamp
        self.level = level
        self.message = message
    }
}

/// What the engine reports while it runs a flow; the store applies these in order.
public enum RunEvent: Codable, Sendable, Hashable {
    /// The flow run entered `state`; `result` is its JSON result when completed.
    case flowRunState(flowRunID: String, state: RunState, result: String?)
    /// A task run was created.
    case taskRunCreated(
        id: String, flowRunID: String, name: String, taskName: String, parentTaskRunID: String?, input: String?,
        createdAt: Date)
    /// A task run entered `state` in its `attempt`; `result` is its JSON result when completed.
    case taskRunState(taskRunID: String, flowRunID: String, state: RunState, attempt: Int, result: String?)
    /// A log line.
    case log(LogRecord)

    public var flowRunID: String {
        switch self {
        case .flowRunState(let id, _, _): id
        case .taskRunCreated(_, let id, _, _, _, _, _): id
        case .taskRunState(_, let id, _, _, _): id
        case .log(let record): record.flowRunID
        }
    }
}

/// A new flow run, before the store gives it its row.
public struct NewFlowRun: Sendable {
    public var id: String
    public var name: String
    public var flow: String
    public var version: Int
    public var parameters: [String: JSONValue]
    public var state: RunState
    public var rerunOf: String?

    public init(
        flow: String, version: Int, parameters: [String: JSONValue], state: RunState = RunState(.pending),
        rerunOf: String? = nil, id: String = UUID().uuidString.lowercased(), name: String = RunNames.make()
    ) {
        self.id = id
        self.name = name
        self.flow = flow
        self.version = version
        self.parameters = parameters
        self.state = state
        self.rerunOf = rerunOf
    }
}

/// Filters for listing flow runs; newest first.
public struct FlowRunQuery: Sendable {
    public var flow: String?
    public var version: Int?
    public var state: StateType?
    public var limit: Int

    public init(flow: String? = nil, version: Int? = nil, state: StateType? = nil, limit: Int = 50) {
        self.flow = flow
        self.version = version
        self.state = state
        self.limit = limit
    }
}
