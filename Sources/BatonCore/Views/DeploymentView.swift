import Foundation

/// A deployment as `--json` prints it and the HTTP API sends it, with its next fire times.
public struct DeploymentView: Codable, Sendable, Hashable {
    public var name: String
    public var flow: String
    /// A version number, or "latest".
    public var version: String
    public var parameters: [String: JSONValue]
    public var schedule: ScheduleSpec?
    /// The schedule in a few words, e.g. "cron 0 9 * * MON-FRI (America/New_York)".
    public var scheduleSummary: String?
    /// The schedule in words, e.g. "every 15 minutes from 06:00 to 22:59, on Monday to Friday (America/Denver)".
    public var scheduleWords: String?
    public var timezone: String?
    public var pool: String
    public var catchup: Bool
    public var maxActive: Int?
    public var paused: Bool
    public var isDefault: Bool
    public var createdAt: Date
    /// The next fire times, ISO 8601 in the schedule's zone.
    public var next: [String]
    public var activeRuns: Int
    public var scheduledRuns: Int
    public var skippedSlots: Int

    /// `next`: its next fire times as the scheduler computes them (none while paused), formatted in
    /// the schedule's zone.
    public init(_ d: DeploymentRecord, next: [String], activeRuns: Int, scheduledRuns: Int, skippedSlots: Int) {
        name = d.name
        flow = d.flow
        version = d.version.map(String.init) ?? "latest"
        parameters = d.parameters
        schedule = d.schedule
        scheduleSummary = d.schedule?.summary
        scheduleWords = d.schedule?.inWords
        timezone = d.schedule.map { $0.timeZone ?? "UTC" }
        pool = d.pool
        catchup = d.catchup
        maxActive = d.maxActive
        paused = d.paused
        isDefault = d.isDefault
        createdAt = d.createdAt
        self.next = next
        self.activeRuns = activeRuns
        self.scheduledRuns = scheduledRuns
        self.skippedSlots = skippedSlots
    }
}

/// A worker and whether it is alive.
public struct WorkerView: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var pool: String
    public var host: String
    public var pid: Int32
    public var limit: Int
    public var startedAt: Date
    public var heartbeatAt: Date
    public var stoppedAt: Date?
    public var activeRuns: Int
    /// Not stopped, and heard from within three heartbeat periods.
    public var healthy: Bool

    public init(_ w: WorkerRecord, heartbeat: TimeInterval = 10, now: Date = Date()) {
        id = w.id
        name = w.name
        pool = w.pool
        host = w.host
        pid = w.pid
        limit = w.limit
        startedAt = w.startedAt
        heartbeatAt = w.heartbeatAt
        stoppedAt = w.stoppedAt
        activeRuns = w.activeRuns
        healthy = w.stoppedAt == nil && now.timeIntervalSince(w.heartbeatAt) < 3 * heartbeat
    }
}

/// An artifact with its data decoded: markdown text, table rows, or a link.
public struct ArtifactView: Codable, Sendable, Hashable {
    public var id: Int64
    public var key: String
    public var kind: String
    public var data: JSONValue
    public var description: String?
    public var flowRunID: String
    public var taskRunID: String?
    public var createdAt: Date

    public init(_ a: ArtifactRecord) {
        id = a.id
        key = a.key
        kind = a.kind
        data = a.kind == "markdown" ? .string(a.data) : ((try? JSONValue(json: a.data)) ?? .string(a.data))
        description = a.description
        flowRunID = a.flowRunID
        taskRunID = a.taskRunID
        createdAt = a.createdAt
    }
}

/// A task of a version's library as the API summarises it.
public struct TaskSummary: Codable, Sendable, Hashable {
    public var name: String
    public var description: String?
    public var retries: Int
    public var timeoutSeconds: Double?
    public var tags: [String]

    public init(_ task: TaskManifest) {
        name = task.name
        description = task.options.description
        retries = task.options.retries
        timeoutSeconds = task.options.timeoutSeconds
        tags = task.options.tags
    }
}
