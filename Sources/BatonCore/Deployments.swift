import Foundation

/// A deployment: a flow (a pinned version, or the latest) with parameters and a schedule, whose runs
/// the scheduler creates and the workers of its pool execute.
public struct DeploymentRecord: Codable, Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var flow: String
    /// The pinned version; nil runs the latest version, also one registered later.
    public var version: Int?
    /// Parameters given for its runs, on top of the version's defaults.
    public var parameters: [String: JSONValue]
    public var schedule: ScheduleSpec?
    public var pool: String
    /// Whether slots missed while nothing scheduled get runs (else they are recorded as skipped).
    public var catchup: Bool
    /// How many of its runs may be pending or running at once.
    public var maxActive: Int?
    public var paused: Bool
    /// Made from the schedule the flow declares in code, and kept in step with it by registration.
    public var isDefault: Bool
    public var createdAt: Date
    public var updatedAt: Date
    /// Every fire time up to this one has its slot recorded.
    public var scheduledThrough: Date?
    /// Where its runs execute; nil: each in its own folder, `BATON_HOME/runs/<run id>/`.
    public var workingDirectory: String?
    /// The project it and its flow belong to.
    public var project: String

    public init(
        id: Int64, name: String, flow: String, version: Int?, parameters: [String: JSONValue], schedule: ScheduleSpec?,
        pool: String, catchup: Bool, maxActive: Int?, paused: Bool, isDefault: Bool, createdAt: Date, updatedAt: Date,
        scheduledThrough: Date?, workingDirectory: String? = nil, project: String = ProjectNames.default
    ) {
        self.project = project
        self.id = id
        self.name = name
        self.flow = flow
        self.version = version
        self.parameters = parameters
        self.schedule = schedule
        self.pool = pool
        self.catchup = catchup
        self.maxActive = maxActive
        self.paused = paused
        self.isDefault = isDefault
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.scheduledThrough = scheduledThrough
        self.workingDirectory = workingDirectory
    }
}

/// What `baton deployment create` records.
public struct NewDeployment: Sendable, Hashable {
    public var name: String
    public var flow: String
    public var version: Int?
    public var parameters: [String: JSONValue]
    public var schedule: ScheduleSpec?
    public var pool: String
    public var catchup: Bool
    public var maxActive: Int?
    /// Where its runs execute (an absolute path); nil: each in its own folder under `BATON_HOME/runs/`.
    public var workingDirectory: String?
    /// The project of the flow, which the deployment joins (the application layer sets the caller's).
    public var project: String

    public init(
        name: String, flow: String, version: Int? = nil, parameters: [String: JSONValue] = [:], schedule: ScheduleSpec? = nil,
        pool: String = DeploymentNames.defaultPool, catchup: Bool = false, maxActive: Int? = nil, workingDirectory: String? = nil,
        project: String = ProjectNames.default
    ) {
        self.project = project
        self.name = name
        self.flow = flow
        self.version = version
        self.parameters = parameters
        self.schedule = schedule
        self.pool = pool
        self.catchup = catchup
        self.maxActive = maxActive
        self.workingDirectory = workingDirectory
    }
}

/// A worker process, as the store knows it.
public struct WorkerRecord: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var pool: String
    public var host: String
    public var pid: Int32
    public var processStart: String
    public var limit: Int
    public var startedAt: Date
    public var heartbeatAt: Date
    public var stoppedAt: Date?
    /// How often it heartbeats, in seconds (nil for a worker recorded before periods were): one
    /// silent for three periods is gone.
    public var heartbeatSeconds: Double?
    /// Runs it has claimed that are not over.
    public var activeRuns: Int

    public init(
        id: String, name: String, pool: String, host: String, pid: Int32, processStart: String, limit: Int, startedAt: Date,
        heartbeatAt: Date, stoppedAt: Date?, heartbeatSeconds: Double? = nil, activeRuns: Int
    ) {
        self.heartbeatSeconds = heartbeatSeconds
        self.id = id
        self.name = name
        self.pool = pool
        self.host = host
        self.pid = pid
        self.processStart = processStart
        self.limit = limit
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.stoppedAt = stoppedAt
        self.activeRuns = activeRuns
    }
}

/// Names of deployments and pools: what the CLI takes and URLs carry.
public enum DeploymentNames {
    public static let defaultPool = "default"

    public static func validate(_ name: String, what: String) throws {
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)
        }
        guard !name.isEmpty, name.count <= 100, allowed, name.first != "-", name.first != "." else {
            throw BatonError(
                .invalidInput,
                "\(what) '\(name)' is not valid: use 1 to 100 letters, digits, '-', '_' and '.', not starting with '-' or '.'")
        }
    }
}

extension WorkerRecord {
    /// The heartbeat period of a worker recorded before periods were.
    public static let defaultHeartbeat: Double = 10

    /// When a worker that stays silent is taken for gone: three of its heartbeat periods after the
    /// last one, or after `watchedSince` when that is later (a scheduler that has just taken over, or
    /// a server back from an outage, gives every worker three periods to be heard from again).
    public func silentAfter(watchedSince: Date = .distantPast) -> Date {
        max(heartbeatAt, watchedSince).addingTimeInterval(3 * (heartbeatSeconds ?? Self.defaultHeartbeat))
    }

    /// Not stopped, and heard from recently enough (see `silentAfter`).
    public func isHealthy(at now: Date) -> Bool { stoppedAt == nil && now < silentAfter() }
}
