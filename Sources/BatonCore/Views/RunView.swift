import Foundation

/// A flow run as `--json` prints it and the HTTP API sends it: stable field names for scripts and the UI.
///
/// Views carry whole-millisecond dates (``Timestamps/wholeMilliseconds(_:)``), as the API's JSON does,
/// so a view made in process equals the one a client decodes and both print the same bytes.
public struct RunView: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var flow: String
    public var version: Int
    public var state: String
    public var stateName: String
    public var message: String?
    public var parameters: [String: JSONValue]
    public var result: JSONValue?
    public var createdAt: Date
    public var startTime: Date?
    public var endTime: Date?
    public var durationSeconds: Double?
    public var attempt: Int
    public var rerunOf: String?
    public var parentFlowRunID: String?
    public var parentTaskRunID: String?
    public var deployment: String?
    public var scheduledTime: Date?
    public var pool: String?
    public var workerID: String?
    /// Scheduled for a later time and not started, when the view was made (``RunTiming/isUpcoming``).
    public var upcoming: Bool
    /// The project it belongs to.
    public var project: String

    public init(_ run: FlowRunRecord) {
        project = run.project
        upcoming = RunTiming.isUpcoming(run.state, startTime: run.startTime, scheduledTime: run.scheduledTime, now: Date())
        deployment = run.deployment
        scheduledTime = Timestamps.wholeMilliseconds(run.scheduledTime)
        pool = run.pool
        workerID = run.workerID
        id = run.id
        name = run.name
        flow = run.flow
        version = run.version
        state = run.state.type.rawValue
        stateName = run.state.name
        message = run.state.message
        parameters = run.parameters
        result = run.result
        createdAt = Timestamps.wholeMilliseconds(run.createdAt)
        startTime = Timestamps.wholeMilliseconds(run.startTime)
        endTime = Timestamps.wholeMilliseconds(run.endTime)
        // From the stored times: the duration a client reads is the one the store measured.
        durationSeconds = run.duration()
        attempt = run.attempt
        rerunOf = run.rerunOf
        parentFlowRunID = run.parentFlowRunID
        parentTaskRunID = run.parentTaskRunID
    }
}

/// A registered version of a flow.
public struct VersionView: Codable, Sendable, Hashable {
    public var flow: String
    public var version: Int
    public var hash: String
    public var label: String?
    public var registeredAt: Date
    public var registeredBy: String?
    public var sourcePath: String?
    public var library: String
    public var description: String?
    public var schedule: ScheduleSpec?
    /// The parameters' JSON Schema.
    public var parameters: JSONValue

    public init(_ v: VersionRecord) {
        flow = v.flow
        version = v.number
        hash = v.libraryHash
        label = v.label
        registeredAt = Timestamps.wholeMilliseconds(v.registeredAt)
        registeredBy = v.registeredBy
        sourcePath = v.sourcePath
        library = v.libraryPath
        description = v.manifest.description
        schedule = v.manifest.schedule
        parameters = Self.ordered(v.manifest.parameters)
    }

    /// The schema with `x-order`: its property names in declaration order, for forms.
    static func ordered(_ schema: JSONValue) -> JSONValue {
        guard case .object(var object) = schema, let properties = object["properties"]?.objectValue else { return schema }
        let names = properties.keys.sorted { a, b in
            let pa = properties[a]?["position"]?.intValue ?? 0
            let pb = properties[b]?["position"]?.intValue ?? 0
            return pa != pb ? pa < pb : a < b
        }
        object["x-order"] = .array(names.map(JSONValue.string))
        return .object(object)
    }
}

/// One state of a run's history.
public struct StateView: Codable, Sendable, Hashable {
    public var type: String
    public var name: String
    public var message: String?
    public var timestamp: Date

    public init(_ state: RunState) {
        type = state.type.rawValue
        name = state.name
        message = state.message
        timestamp = Timestamps.wholeMilliseconds(state.timestamp)
    }
}

/// A task run (or the task run that stands for a subflow call) with its state history.
public struct TaskRunView: Codable, Sendable, Hashable {
    public var id: String
    public var flowRunID: String
    public var flowRunAttempt: Int
    public var name: String
    public var taskName: String
    public var kind: String
    public var childFlowRunID: String?
    public var state: String
    public var stateName: String
    public var message: String?
    public var attempts: Int
    public var tags: [String]
    public var cachedFrom: String?
    public var createdAt: Date
    public var startTime: Date?
    public var endTime: Date?
    public var history: [StateView]
    public var input: JSONValue?
    public var result: JSONValue?

    public init(_ t: TaskRunRecord, history: [RunState], withValues: Bool = false) {
        id = t.id
        flowRunID = t.flowRunID
        flowRunAttempt = t.flowRunAttempt
        name = t.name
        taskName = t.taskName
        kind = t.kind
        childFlowRunID = t.childFlowRunID
        state = t.state.type.rawValue
        stateName = t.state.name
        message = t.state.message
        attempts = t.attempts
        tags = t.tags
        cachedFrom = t.cachedFrom
        createdAt = Timestamps.wholeMilliseconds(t.createdAt)
        startTime = Timestamps.wholeMilliseconds(t.startTime)
        endTime = Timestamps.wholeMilliseconds(t.endTime)
        self.history = history.map(StateView.init)
        input = withValues ? t.input : nil
        result = withValues ? t.result : nil
    }
}

/// A log line of a run.
public struct LogView: Codable, Sendable, Hashable {
    public var id: Int64
    public var flowRunID: String
    public var taskRunName: String?
    public var timestamp: Date
    public var level: String
    public var message: String

    public init(_ log: LogRecord) {
        id = log.id
        flowRunID = log.flowRunID
        taskRunName = log.taskRunName
        timestamp = Timestamps.wholeMilliseconds(log.timestamp)
        level = log.level.name.lowercased()
        message = log.message
    }
}

extension RunView {
    /// The state's type (a run the store wrote always has a known one).
    public var stateType: StateType { StateType(rawValue: state) ?? .crashed }
}
