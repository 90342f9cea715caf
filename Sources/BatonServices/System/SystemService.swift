import BatonCore
import BatonStore
import Foundation

extension Services {
    /// Concurrency limits, the cache, artifacts, the dashboard, health, metrics and pruning.
    public var system: SystemService { SystemService(services: self) }
}

/// What the store holds beside flows and runs, and how it is doing.
public struct SystemService: Sendable {
    let services: Services
    var store: any Store { services.store }

    /// How many artifacts one listing may ask for.
    public static let artifactLimit: ClosedRange<Int> = 1...1000
    public static let artifactDefault = 100
    /// How many slots a concurrency limit may have (0 pauses its tag).
    public static let slots: ClosedRange<Int> = 0...Int.max

    // MARK: Limits and the cache

    /// Every concurrency limit with how many of its slots are taken.
    public func limits(_ caller: Caller) throws -> [ConcurrencyLimit] {
        try services.authorize(caller, .read)
        return try store.limits(project: caller.project)
    }

    /// Limits how many task runs with `tag` run at once; 0 pauses the tag.
    public func setLimit(tag: String, slots: Int, _ caller: Caller) throws {
        try services.audit.local("limit set", target: tag, caller) {
            try services.authorize(caller, .develop)
            guard Self.slots.contains(slots) else {
                throw BatonError(.invalidInput, "slots '\(slots)' is not valid: expected a whole number of at least \(Self.slots.lowerBound)", field: "slots")
            }
            try store.setLimit(tag: tag, slots: slots, project: caller.project)
        }
    }

    /// Removes a tag's limit; false when it had none.
    public func removeLimit(tag: String, _ caller: Caller) throws -> Bool {
        try services.audit.local("limit rm", target: tag, caller) {
            try services.authorize(caller, .develop)
            return try store.removeLimit(tag: tag, project: caller.project)
        }
    }

    /// Forgets cached task results, of one task or all; returns how many.
    public func clearCache(task: String?, _ caller: Caller) throws -> Int {
        try services.audit.local("cache clear", target: task, caller) {
            try services.authorize(caller, .develop)
            return try store.clearCache(task: task, project: caller.project)
        }
    }

    /// Artifacts, newest first: of one run, of one key, or all.
    public func artifacts(flowRunID: String?, key: String?, limit: Int, _ caller: Caller) throws -> [ArtifactRecord] {
        try services.authorize(caller, .read)
        return try store.artifacts(flowRunID: flowRunID, key: key, limit: limit, project: caller.project).map(\.wholeMilliseconds)
    }

    // MARK: How the store is doing

    /// Runs by state over the last day (by the hour they ran), recent failures, late runs, the next
    /// upcoming runs and the live workers, as of `now`.
    public func dashboard(now: Date, _ caller: Caller) throws -> Dashboard {
        try services.authorize(caller, .read)
        let since = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 3600).rounded(.down) * 3600 - 23 * 3600)
        let counts = try store.dashboardCounts(project: caller.project, since: since, hours: 24, now: now)
        let upcoming = try store.upcomingRuns(project: caller.project, limit: 10, now: now)
        return Dashboard(
            since: since, countsByState: counts.byState,
            hourly: counts.hourly.enumerated().map { Dashboard.Hour(hour: since.addingTimeInterval(Double($0.offset) * 3600), counts: $0.element) },
            recentFailures: try recentFailures(limit: 10, project: caller.project).map(RunView.init),
            lateRuns: try store.lateRuns(project: caller.project, limit: 20, now: now).map(RunView.init),
            upcomingRuns: upcoming.runs.map(RunView.init), upcomingCount: upcoming.count,
            workers: try services.workers.list(includeStopped: false, caller))
    }

    /// The latest failed or crashed flow runs, newest first.
    func recentFailures(limit: Int, project: String) throws -> [FlowRunRecord] {
        let failed = try store.flowRuns(FlowRunQuery(state: .failed, limit: limit, project: project))
        let crashed = try store.flowRuns(FlowRunQuery(state: .crashed, limit: limit, project: project))
        return Array((failed + crashed).sorted { ($0.listTime, $0.id) > ($1.listTime, $1.id) }.prefix(limit))
    }

    /// The store's figures for `/metrics`, as of `now`: the whole store's, so the server's admins'.
    public func metrics(now: Date, _ caller: Caller) throws -> StoreMetrics {
        try services.authorize(caller, .read, in: ProjectNames.default)
        return try store.metrics(now: now)
    }

    /// Removes final runs that ended before a time, with everything they left.
    public func prune(_ options: PruneOptions, _ caller: Caller) throws -> PruneReport {
        try services.audit.local("store prune", target: nil, caller) {
            try services.authorize(caller, .administer, in: ProjectNames.default)
            return try store.prune(options)
        }
    }
}
