import BatonCore
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// What every backend keeps apart by project: the same flow, deployment, tag and cache key in two
/// projects are two of each, and one project's reads never see the other's.
@Suite struct ProjectStoreConformance {
    @Test(arguments: StoreBackend.all)
    func twoProjectsHoldTheSameNamesApart(_ backend: StoreBackend) throws {
        let store = try backend.make().store
        #expect(try store.insertProject("analytics", at: Date()))
        #expect(try !store.insertProject("analytics", at: Date()), "a name is taken once")
        #expect(try store.projectNames() == ["analytics", "default"])

        // The same library registered in both: flow `etl` version 1 in each, numbered apart.
        var other = sampleRegistration("aaaa")
        other.project = "analytics"
        #expect(try store.register(sampleRegistration("aaaa")).map(\.version) == [1])
        #expect(try store.register(other).map(\.version) == [1])
        other.hash = "bbbb"
        #expect(try store.register(other).map(\.version) == [2])
        #expect(try store.versions(of: "etl", project: ProjectNames.default).map(\.number) == [1])
        #expect(try store.versions(of: "etl", project: "analytics").map(\.number) == [1, 2])
        #expect(try store.version(of: "etl", number: nil, project: "analytics").project == "analytics")
        #expect(try store.flows(project: "analytics").map(\.latestVersion) == [2])

        // Runs are their flow's project's; another project's run is not found, by id or by name.
        let mine = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:]))
        let theirs = try store.createFlowRun(NewFlowRun(flow: "etl", version: 2, parameters: [:], project: "analytics"))
        #expect(mine.project == ProjectNames.default && theirs.project == "analytics")
        #expect(throws: BatonError.self) { try store.flowRun(theirs.id, project: ProjectNames.default) }
        #expect(throws: BatonError.self) { try store.flowRun(theirs.name, project: ProjectNames.default) }
        #expect(try store.flowRun(theirs.id, project: "analytics").version == 2)
        #expect(try store.flowRuns(FlowRunQuery(project: "analytics")).map(\.id) == [theirs.id])
        #expect(try store.flowRuns(FlowRunQuery(project: ProjectNames.default)).map(\.id) == [mine.id])
        #expect(try store.flowRuns(FlowRunQuery()).count == 2, "the store's own work sees every project")
        // A version of the other project cannot be run from this one.
        #expect(throws: BatonError.self) { try store.createFlowRun(NewFlowRun(flow: "etl", version: 2, parameters: [:])) }

        // Deployments of one name in each.
        let now = Date()
        let a = try #require(try store.insertDeployment(NewDeployment(name: "nightly", flow: "etl"), schedule: nil, isDefault: false, now: now))
        let b = try #require(
            try store.insertDeployment(NewDeployment(name: "nightly", flow: "etl", project: "analytics"), schedule: nil, isDefault: false, now: now))
        #expect(a.id != b.id && b.project == "analytics")
        #expect(try store.insertDeployment(NewDeployment(name: "nightly", flow: "etl"), schedule: nil, isDefault: false, now: now) == nil)
        #expect(try store.deploymentRecord(named: "nightly", project: "analytics")?.id == b.id)
        #expect(try store.deployments(flow: nil, project: ProjectNames.default).map(\.id) == [a.id])
        #expect(try store.deployments(flow: nil, project: nil).count == 2)
        // A deployment's runs are its project's, whatever the run says.
        let scheduled = try store.insertDeploymentRun(
            NewFlowRun(flow: "etl", version: 2, parameters: [:], state: RunState(.scheduled), deploymentID: b.id, scheduledTime: now), given: [:])
        #expect(scheduled.project == "analytics")

        // Limits: a full tag in one project holds back nothing in the other.
        try store.setLimit(tag: "db", slots: 0, project: ProjectNames.default)
        #expect(try !store.acquireSlots(tags: ["db"], taskRunID: "t1", flowRunID: mine.id, holder: .current))
        #expect(try store.acquireSlots(tags: ["db"], taskRunID: "t2", flowRunID: theirs.id, holder: .current))
        #expect(try store.limits(project: "analytics").isEmpty)
        #expect(try !store.removeLimit(tag: "db", project: "analytics"))
        #expect(try store.limits(project: ProjectNames.default).map(\.tag) == ["db"])

        // Caches: one key in each project holds each project's result.
        try store.apply([
            .cacheStore(CacheEntry(key: "k", taskName: "extract", result: "1", flowRunID: mine.id, taskRunID: "t1", createdAt: now, expiresAt: nil)),
            .cacheStore(CacheEntry(key: "k", taskName: "extract", result: "2", flowRunID: theirs.id, taskRunID: "t2", createdAt: now, expiresAt: nil)),
        ])
        #expect(try store.cachedResult(key: "k", forRun: mine.id, now: now)?.result == "1")
        #expect(try store.cachedResult(key: "k", forRun: theirs.id, now: now)?.result == "2")
        #expect(try store.clearCache(task: nil, project: "analytics") == 1)
        #expect(try store.cachedResult(key: "k", forRun: mine.id, now: now)?.result == "1")

        // Artifacts are their run's project's.
        try store.apply([.artifact(ArtifactRecord(id: 0, key: "report", kind: "markdown", data: "# hi", description: nil, flowRunID: theirs.id, taskRunID: nil, createdAt: now))])
        #expect(try store.artifacts(flowRunID: nil, key: "report", limit: 10, project: "analytics").count == 1)
        #expect(try store.artifacts(flowRunID: nil, key: "report", limit: 10, project: ProjectNames.default).isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func onlyAnEmptyProjectIsDeletedWithItsMembersAndKeys(_ backend: StoreBackend) throws {
        let store = try backend.make().store
        #expect(try store.insertProject("scratch", at: Date()))
        var registration = sampleRegistration("aaaa")
        registration.project = "scratch"
        _ = try store.register(registration)
        #expect(try store.deleteProject("scratch") == ["etl"], "a project with flows stays")
        #expect(try store.projectNames().contains("scratch"))

        #expect(try store.insertProject("empty", at: Date()))
        _ = try store.insertUser(NewUser(name: "ann", isAdmin: false, passwordHash: nil, now: Date()))
        try store.setMembership(Membership(project: "empty", user: "ann", role: .viewer))
        #expect(try store.deleteProject("empty") == [])
        #expect(try !store.projectNames().contains("empty"))
        #expect(try store.memberships(project: nil).isEmpty, "its members went with it")
        #expect(throws: BatonError.self) { try store.deleteProject("empty") }
    }
}
