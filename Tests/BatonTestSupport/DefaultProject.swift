import BatonCore
import BatonStore
import Foundation

// Tests of what projects do not change read and write the `default` project, as every store did
// before there were projects. The sources name a project on every call (the compiler holds them to
// it); these shorthands exist for tests only.

extension RegistryStore {
    public func flows() throws -> [FlowSummary] { try flows(project: ProjectNames.default) }
    public func flowNames() throws -> [String] { try flowNames(project: ProjectNames.default) }
    public func versionRecords(of flow: String) throws -> [VersionRecord] { try versionRecords(of: flow, project: ProjectNames.default) }
    public func versionRecord(of flow: String, number: Int?) throws -> VersionRecord? {
        try versionRecord(of: flow, number: number, project: ProjectNames.default)
    }
    public func versions(of flow: String) throws -> [VersionRecord] { try versions(of: flow, project: ProjectNames.default) }
    public func version(of flow: String, number: Int?) throws -> VersionRecord { try version(of: flow, number: number, project: ProjectNames.default) }
    public func flowVersions(libraryHash: String) throws -> [String: Int] { try flowVersions(libraryHash: libraryHash, project: ProjectNames.default) }
    public func nextScheduledRuns() throws -> [String: Date] { try nextScheduledRuns(project: ProjectNames.default) }
}

extension RunStore {
    /// A run by reference in any project.
    public func flowRun(_ reference: String) throws -> FlowRunRecord { try flowRun(reference, project: nil) }
}

extension EngineStore {
    public func clearCache(task: String?) throws -> Int { try clearCache(task: task, project: ProjectNames.default) }
    public func setLimit(tag: String, slots: Int) throws { try setLimit(tag: tag, slots: slots, project: ProjectNames.default) }
    public func removeLimit(tag: String) throws -> Bool { try removeLimit(tag: tag, project: ProjectNames.default) }
    public func limits() throws -> [ConcurrencyLimit] { try limits(project: ProjectNames.default) }
}

extension DeploymentStore {
    /// Every project's deployments.
    public func deployments(flow: String? = nil) throws -> [DeploymentRecord] { try deployments(flow: flow, project: nil) }
    public func deploymentRecord(named name: String) throws -> DeploymentRecord? { try deploymentRecord(named: name, project: ProjectNames.default) }
    public func deployment(named name: String) throws -> DeploymentRecord { try deployment(named: name, project: ProjectNames.default) }
}

extension TaskRunStore {
    public func artifacts(flowRunID: String? = nil, key: String? = nil, limit: Int = 100) throws -> [ArtifactRecord] {
        try artifacts(flowRunID: flowRunID, key: key, limit: limit, project: ProjectNames.default)
    }
}

extension SystemStore {
    public func dashboardCounts(since: Date, hours: Int, now: Date = Date()) throws -> DashboardCounts {
        try dashboardCounts(project: ProjectNames.default, since: since, hours: hours, now: now)
    }
    public func lateRuns(limit: Int, now: Date = Date()) throws -> [FlowRunRecord] { try lateRuns(project: ProjectNames.default, limit: limit, now: now) }
    public func upcomingRuns(limit: Int, now: Date = Date()) throws -> (runs: [FlowRunRecord], count: Int) {
        try upcomingRuns(project: ProjectNames.default, limit: limit, now: now)
    }
}
