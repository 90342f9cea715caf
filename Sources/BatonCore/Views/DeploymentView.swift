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
    /// The project it belongs to.
    public var project: String

    /// `next`: its next fire times as the scheduler computes them (none while paused), formatted in
    /// the schedule's zone.
    public init(_ d: DeploymentRecord, next: [String], activeRuns: Int, scheduledRuns: Int, skippedSlots: Int) {
        project = d.project
        name = d.name
        flow = d.flow
        version = d.version.map(String.init) ?? "latest"
        parameters = d.parameters
        schedule = d.schedule.map { schedule in
            var schedule = schedule
            schedule.anchor = Timestamps.wholeMilliseconds(schedule.anchor)
            return schedule
        }
        scheduleSummary = d.schedule?.summary
        scheduleWords = d.schedule?.inWords
        timezone = d.schedule.map { $0.timeZone ?? "UTC" }
        pool = d.pool
        catchup = d.catchup
        maxActive = d.maxActive
        paused = d.paused
        isDefault = d.isDefault
        createdAt = Timestamps.wholeMilliseconds(d.createdAt)
        self.next = next
        self.activeRuns = activeRuns
        self.scheduledRuns = scheduledRuns
        self.skippedSlots = skippedSlots
    }
}
