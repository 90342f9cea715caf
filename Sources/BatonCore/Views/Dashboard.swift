import Foundation

/// What the dashboard shows: runs by state over the last day, by hour, recent failures, late runs,
/// the next upcoming runs and the live workers.
public struct Dashboard: Encodable, Sendable {
    public struct Hour: Encodable, Sendable {
        public var hour: Date
        public var counts: [String: Int]

        public init(hour: Date, counts: [String: Int]) {
            self.hour = Timestamps.wholeMilliseconds(hour)
            self.counts = counts
        }
    }

    public var since: Date
    public var countsByState: [String: Int]
    public var hourly: [Hour]
    public var recentFailures: [RunView]
    public var lateRuns: [RunView]
    /// The soonest runs scheduled ahead, and how many there are.
    public var upcomingRuns: [RunView]
    public var upcomingCount: Int
    public var workers: [WorkerView]

    public init(
        since: Date, countsByState: [String: Int], hourly: [Hour], recentFailures: [RunView], lateRuns: [RunView], upcomingRuns: [RunView],
        upcomingCount: Int, workers: [WorkerView]
    ) {
        self.since = Timestamps.wholeMilliseconds(since)
        self.countsByState = countsByState
        self.hourly = hourly
        self.recentFailures = recentFailures
        self.lateRuns = lateRuns
        self.upcomingRuns = upcomingRuns
        self.upcomingCount = upcomingCount
        self.workers = workers
    }
}
