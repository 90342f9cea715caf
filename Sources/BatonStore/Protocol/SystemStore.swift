import BatonCore
import Foundation

/// What the store is and how it is doing: its kind and location, the dashboard's counts, metrics,
/// and pruning what is old.
public protocol SystemStore: AnyObject, Sendable {
    /// The backend's name (`sqlite`), for health checks.
    var kind: String { get }
    /// Where the store lives (a file path, a server), for health checks and messages.
    var location: String { get }

    /// A project's flow runs that ran since `since` (started then, or due then and not started),
    /// counted by state, in all and for each of `hours` hours; upcoming runs are not counted.
    func dashboardCounts(project: String, since: Date, hours: Int, now: Date) throws -> DashboardCounts
    /// A project's runs that read as Late at `now`, the latest scheduled first.
    func lateRuns(project: String, limit: Int, now: Date) throws -> [FlowRunRecord]
    /// A project's soonest runs scheduled ahead of `now`, and how many there are.
    func upcomingRuns(project: String, limit: Int, now: Date) throws -> (runs: [FlowRunRecord], count: Int)
    /// The store's figures for `/metrics`, as of `now`.
    func metrics(now: Date) throws -> StoreMetrics
    /// Removes final runs (and the trees they head) that ended before a time, with their task runs,
    /// logs, artifacts, result files and run folders.
    func prune(_ options: PruneOptions) throws -> PruneReport
}
