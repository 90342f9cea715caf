import BatonCore
import BatonServices
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// Limits, the cache, the dashboard, health, metrics and pruning through the application layer.
@Suite struct SystemServiceTests {
    @Test func limitsRefuseNegativeSlotsAndKeepTheRest() throws {
        let f = try ServiceFixture()
        try f.services.system.setLimit(tag: "db", slots: 2, f.caller)
        try f.services.system.setLimit(tag: "paused", slots: 0, f.caller)
        let error = #expect(throws: BatonError.self) { try f.services.system.setLimit(tag: "db", slots: -1, f.caller) }
        #expect(error?.code == .invalidInput)
        #expect(error?.message == "slots '-1' is not valid: expected a whole number of at least 0")
        #expect(try f.services.system.limits(f.caller).map { "\($0.tag)=\($0.slots)" } == ["db=2", "paused=0"])
        #expect(try f.services.system.removeLimit(tag: "db", f.caller))
        #expect(try !f.services.system.removeLimit(tag: "db", f.caller))
        #expect(try f.services.system.clearCache(task: nil, f.caller) == 0)
    }

    @Test func theDashboardMergesFailedAndCrashedRunsNewestFirst() throws {
        let f = try ServiceFixture()
        _ = try f.store.register(sampleRegistration("aaaa"))
        let now = Date()
        let old = try f.finishedRun(.failed, at: now.addingTimeInterval(-300))
        let crashed = try f.finishedRun(.crashed, at: now.addingTimeInterval(-200))
        let failed = try f.finishedRun(.failed, at: now.addingTimeInterval(-100))
        try f.finishedRun(.completed, at: now.addingTimeInterval(-50))
        let dashboard = try f.services.system.dashboard(now: now, f.caller)
        #expect(dashboard.recentFailures.map(\.id) == [failed.id, crashed.id, old.id])
        #expect(dashboard.countsByState["failed"] == 2)
        #expect(dashboard.countsByState["crashed"] == 1)
        #expect(dashboard.countsByState["completed"] == 1)
        #expect(dashboard.hourly.count == 24)
        #expect(dashboard.hourly.reduce(0) { $0 + $1.counts.values.reduce(0, +) } == 4)
        #expect(dashboard.since == Timestamps.wholeMilliseconds(dashboard.since))
        #expect(dashboard.upcomingCount == 0)
    }

    @Test func metricsCountWhatIsStored() throws {
        let f = try ServiceFixture()
        _ = try f.store.register(sampleRegistration("aaaa"))
        try f.finishedRun(.completed, at: Date())
        let metrics = try f.services.system.metrics(now: Date(), f.caller)
        #expect(metrics.runsByState["completed"] == 1)
        #expect(metrics.runsByState["failed"] == 0)
        #expect(metrics.sizeBytes > 0)
    }

    @Test func pruningRemovesOnlyRunsEndedBeforeTheCutoff() throws {
        let f = try ServiceFixture()
        _ = try f.store.register(sampleRegistration("aaaa"))
        let old = try f.finishedRun(.completed, at: Date().addingTimeInterval(-10 * 86_400))
        let recent = try f.finishedRun(.completed, at: Date())
        let report = try f.services.system.prune(PruneOptions(endedBefore: Date().addingTimeInterval(-86_400)), f.caller)
        #expect(report.runs == 1)
        #expect(throws: BatonError.self) { try f.store.flowRun(old.id) }
        #expect(try f.store.flowRun(recent.id).id == recent.id)
    }
}
