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
    /// The project of its flow.
    public var project: String

    public init(
        flow: String, number: Int, libraryHash: String, libraryPath: String, manifest: FlowManifest, registeredAt: Date,
        registeredBy: String?, sourcePath: String?, label: String?, project: String = ProjectNames.default
    ) {
        self.project = project
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
    /// What the registration did to the flow's deployments: the default one created or changed.
    public var deploymentNote: String?

    public init(flow: String, version: Int, created: Bool, hash: String, label: String?, deploymentNote: String? = nil) {
        self.flow = flow
        self.version = version
        self.created = created
        self.hash = hash
        self.label = label
        self.deploymentNote = deploymentNote
    }
}

/// A flow with its latest version and last run, as `baton flow ls` lists it.
public struct FlowSummary: Codable, Sendable, Hashable {
    public var name: String
    public var description: String?
    public var latestVersion: Int
    public var versionCount: Int
    public var latestRegisteredAt: Date
    /// The latest run that is past `scheduled` (runs made ahead of their time do not count).
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
    /// For a subflow run: the flow run that called it and the task run that stands for the call.
    public var parentFlowRunID: String?
    public var parentTaskRunID: String?
    /// For a run a deployment made: the deployment, the time it was scheduled for, and the worker
    /// pool whose workers run it; the worker that claimed it.
    public var deployment: String?
    public var scheduledTime: Date?
    public var pool: String?
    public var workerID: String?
    /// The project it belongs to: its flow's.
    public var project: String

    public init(
        id: String, name: String, flow: String, version: Int, state: RunState, parameters: [String: JSONValue],
        result: JSONValue?, createdAt: Date, startTime: Date?, endTime: Date?, attempt: Int, rerunOf: String?,
        parentFlowRunID: String? = nil, parentTaskRunID: String? = nil, deployment: String? = nil,
        scheduledTime: Date? = nil, pool: String? = nil, workerID: String? = nil, project: String = ProjectNames.default
    ) {
        self.project = project
        self.deployment = deployment
        self.scheduledTime = scheduledTime
        self.pool = pool
        self.workerID = workerID
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
        self.parentFlowRunID = parentFlowRunID
        self.parentTaskRunID = parentTaskRunID
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
    /// The attempt of the flow run this task run belongs to.
    public var flowRunAttempt: Int
    public var name: String
    public var taskName: String
    /// `task`, or `subflow` for the call of a flow from a flow.
    public var kind: String
    /// For a subflow call: the child flow run.
    public var childFlowRunID: String?
    public var parentTaskRunID: String?
    public var state: RunState
    public var attempts: Int
    public var tags: [String]
    public var input: JSONValue?
    public var result: JSONValue?
    /// For a `Cached` task run: the task run whose result it returned.
    public var cachedFrom: String?
    public var createdAt: Date
    public var startTime: Date?
    public var endTime: Date?

    public init(
        id: String, flowRunID: String, flowRunAttempt: Int = 1, name: String, taskName: String, kind: String = "task",
        childFlowRunID: String? = nil, parentTaskRunID: String?, state: RunState, attempts: Int, tags: [String] = [],
        input: JSONValue?, result: JSONValue?, cachedFrom: String? = nil, createdAt: Date, startTime: Date?, endTime: Date?
    ) {
        self.id = id
        self.flowRunID = flowRunID
        self.flowRunAttempt = flowRunAttempt
        self.name = name
        self.taskName = taskName
        self.kind = kind
        self.childFlowRunID = childFlowRunID
        self.parentTaskRunID = parentTaskRunID
        self.state = state
        self.attempts = attempts
        self.tags = tags
        self.input = input
        self.result = result
        self.cachedFrom = cachedFrom
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

/// A new flow run, before the store gives it its row.
public struct NewFlowRun: Sendable, Hashable {
    public var id: String
    public var name: String
    public var flow: String
    public var version: Int
    public var parameters: [String: JSONValue]
    public var state: RunState
    public var rerunOf: String?
    /// For a subflow run: the flow run that called it, and the task run that stands for the call there.
    public var parentFlowRunID: String?
    public var parentTaskRunID: String?
    /// For a run a deployment makes: the deployment's id, the scheduled time, and its pool.
    public var deploymentID: Int64?
    public var scheduledTime: Date?
    public var pool: String?
    /// The project whose flow it runs. A subflow run is always in its parent's project, and a
    /// deployment's run in the deployment's, whatever this says.
    public var project: String

    public init(
        flow: String, version: Int, parameters: [String: JSONValue], state: RunState = RunState(.pending),
        rerunOf: String? = nil, parentFlowRunID: String? = nil, parentTaskRunID: String? = nil,
        id: String = RunID.random(), name: String = RunNames.make(), deploymentID: Int64? = nil, scheduledTime: Date? = nil,
        pool: String? = nil, project: String = ProjectNames.default
    ) {
        self.project = project
        self.deploymentID = deploymentID
        self.scheduledTime = scheduledTime
        self.pool = pool
        self.id = id
        self.name = name
        self.flow = flow
        self.version = version
        self.parameters = parameters
        self.state = state
        self.rerunOf = rerunOf
        self.parentFlowRunID = parentFlowRunID
        self.parentTaskRunID = parentTaskRunID
    }
}

/// Filters for listing flow runs: past, upcoming or all (see ``RunWhen`` for each one's order).
public struct FlowRunQuery: Sendable {
    /// The project whose runs to list; nil: every project's (the store's own work, never a caller's).
    public var project: String?
    public var flow: String?
    public var version: Int?
    public var state: StateType?
    public var deployment: String?
    /// Runs whose ``RunTiming/listTime`` is at or after this time.
    public var since: Date?
    /// Runs whose ``RunTiming/listTime`` is before this time.
    public var until: Date?
    /// Runs after this position (a page's last run) in the listing's order.
    public var after: RunCursor?
    public var when: RunWhen
    public var limit: Int

    public init(
        flow: String? = nil, version: Int? = nil, state: StateType? = nil, deployment: String? = nil, since: Date? = nil,
        until: Date? = nil, after: RunCursor? = nil, when: RunWhen = .all, limit: Int = 50, project: String? = nil
    ) {
        self.project = project
        self.flow = flow
        self.version = version
        self.state = state
        self.deployment = deployment
        self.since = since
        self.until = until
        self.after = after
        self.when = when
        self.limit = limit
    }
}

/// A position in a runs listing: the time the listing orders the last run of a page by (its
/// ``RunTiming/listTime``, or its scheduled time among upcoming runs) and its id. Its text form
/// travels in URLs as an opaque cursor.
public struct RunCursor: Sendable, Hashable {
    public var time: Double
    public var id: String

    /// The position of `run` in a listing of `when`.
    public init(_ run: FlowRunRecord, in when: RunWhen) {
        let time = when == .upcoming ? (run.scheduledTime ?? run.listTime) : run.listTime
        self.time = time.timeIntervalSince1970
        id = run.id
    }

    public init?(text: String) {
        let parts = text.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, let time = Double(parts[0]), time.isFinite, !parts[1].isEmpty else { return nil }
        self.time = time
        id = String(parts[1])
    }

    public var text: String { "\(time)_\(id)" }
}
