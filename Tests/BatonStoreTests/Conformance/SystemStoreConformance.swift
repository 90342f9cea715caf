import BatonCore
import BatonProcess
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// What every backend does for limits, the cache, the dashboard, metrics and pruning.
@Suite struct SystemStoreConformance {
    @Test(arguments: StoreBackend.all)
    func limitSlotsAreAllOrNoneAndDeadHoldersAreReclaimed(_ backend: StoreBackend) throws {
        let store = try backend.make().store
        try store.setLimit(tag: "db", slots: 1)
        try store.setLimit(tag: "api", slots: 2)
        let me = ProcessIdentity.current
        #expect(try store.acquireSlots(tags: ["db", "api", "free"], taskRunID: "t1", flowRunID: "r1", holder: me))
        // db is full: neither slot is taken.
        #expect(try !store.acquireSlots(tags: ["api", "db"], taskRunID: "t2", flowRunID: "r1", holder: me))
        #expect(try store.limits().map { "\($0.tag):\($0.active)/\($0.slots)" } == ["api:1/2", "db:1/1"])
        #expect(try store.releaseSlots(taskRunID: "t1"))
        #expect(try !store.releaseSlots(taskRunID: "t1"))
        #expect(try store.acquireSlots(tags: ["api", "db"], taskRunID: "t2", flowRunID: "r2", holder: me))
        #expect(try store.releaseSlots(flowRunID: "r2"))
        // A holder that is gone does not keep its slot.
        let gone = ProcessIdentity(pid: me.pid, start: "not " + me.start)
        #expect(try store.acquireSlots(tags: ["db"], taskRunID: "t3", flowRunID: "r3", holder: gone))
        #expect(try store.acquireSlots(tags: ["db"], taskRunID: "t4", flowRunID: "r4", holder: me))
        #expect(try store.removeLimit(tag: "db"))
        #expect(try !store.removeLimit(tag: "db"))
        #expect(try store.limits().map(\.tag) == ["api"])
    }

    @Test(arguments: StoreBackend.all)
    func cachedResultsExpireAndClearByTask(_ backend: StoreBackend) throws {
        let store = try backend.make().store
        _ = try store.register(sampleRegistration("aaaa"))
        let run = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:]))
        let now = Date()
        try store.apply([
            .cacheStore(CacheEntry(key: "k1", taskName: "extract", result: "1", flowRunID: run.id, taskRunID: "t1", createdAt: now, expiresAt: now.addingTimeInterval(60))),
            .cacheStore(CacheEntry(key: "k2", taskName: "extract", result: "2", flowRunID: run.id, taskRunID: "t2", createdAt: now, expiresAt: nil)),
            .cacheStore(CacheEntry(key: "k3", taskName: "load", result: "3", flowRunID: run.id, taskRunID: "t3", createdAt: now, expiresAt: nil)),
        ])
        #expect(try store.cachedResult(key: "k1", forRun: run.id, now: now)?.result == "1")
        #expect(try store.cachedResult(key: "k1", forRun: run.id, now: now.addingTimeInterval(61)) == nil)
        #expect(try store.cachedResult(key: "nope", forRun: run.id, now: now) == nil)
        #expect(try store.clearCache(task: "extract") == 2)
        #expect(try store.cachedResult(key: "k2", forRun: run.id, now: now) == nil)
        #expect(try store.cachedResult(key: "k3", forRun: run.id, now: now)?.result == "3")
        #expect(try store.clearCache(task: nil) == 1)
    }

    @Test(arguments: StoreBackend.all)
    func dashboardCountsByHourAndState(_ backend: StoreBackend) throws {
        let store = try backend.make().store
        _ = try store.register(sampleRegistration("aaaa"))
        let now = Date()
        let since = now.addingTimeInterval(-3 * 3600)
        for (offset, state) in [(-2.5, StateType.completed), (-2.4, .failed), (-0.5, .completed), (-10.0, .completed)] {
            let time = now.addingTimeInterval(offset * 3600)
            let run = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:], state: RunState(.scheduled, at: time), scheduledTime: time))
            try store.apply([.flowRunState(FlowRunStateChange(flowRunID: run.id, state: RunState(.running, at: time)))])
            try store.finish(flowRunID: run.id, state: RunState(state, at: time.addingTimeInterval(1)))
        }
        // Ahead of time: not counted, but upcoming.
        _ = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:], state: RunState(.scheduled), scheduledTime: now.addingTimeInterval(3600)))
        let counts = try store.dashboardCounts(since: since, hours: 3, now: now)
        #expect(counts.byState == ["completed": 2, "failed": 1])
        #expect(counts.hourly == [["completed": 1, "failed": 1], [:], ["completed": 1]])
        let upcoming = try store.upcomingRuns(limit: 10, now: now)
        #expect(upcoming.count == 1)
        #expect(try store.lateRuns(limit: 10, now: now).isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func pruneRemovesOnlyWhollyFinalTreesOlderThanTheCutoff(_ backend: StoreBackend) throws {
        let store = try backend.make().store
        _ = try store.register(sampleRegistration("aaaa"))
        let old = Date().addingTimeInterval(-30 * 86_400)
        func run(endingAt time: Date?, parent: String? = nil) throws -> String {
            let run = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:], state: RunState(.running, at: old), parentFlowRunID: parent))
            if let time { try store.finish(flowRunID: run.id, state: RunState(.completed, at: time)) }
            return run.id
        }
        let oldDone = try run(endingAt: old)
        let recent = try run(endingAt: Date())
        let parent = try run(endingAt: old)
        let runningChild = try run(endingAt: nil, parent: parent)
        let cutoff = Date().addingTimeInterval(-86_400)
        let dry = try store.prune(PruneOptions(endedBefore: cutoff, dryRun: true))
        #expect(dry.runs == 1)
        #expect(try store.flowRun(oldDone).id == oldDone)
        let report = try store.prune(PruneOptions(endedBefore: cutoff))
        #expect(report.runs == 1)
        #expect(throws: BatonError.self) { try store.flowRun(oldDone) }
        for kept in [recent, parent, runningChild] { #expect(try store.flowRun(kept).id == kept) }
    }

    @Test(arguments: StoreBackend.all)
    func metricsCountWhatIsStored(_ backend: StoreBackend) throws {
        let subject = try backend.make()
        let store = subject.store
        _ = try store.register(sampleRegistration("aaaa"))
        let now = Date()
        for state in [StateType.completed, .completed, .failed] {
            let run = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:]))
            try store.finish(flowRunID: run.id, state: RunState(state))
        }
        _ = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:], state: RunState(.scheduled), scheduledTime: now.addingTimeInterval(-5), pool: "etl-pool"))
        let metrics = try subject.connect().metrics(now: now)
        #expect(metrics.runsByState["completed"] == 2)
        #expect(metrics.runsByState["failed"] == 1)
        #expect(metrics.runsByState["scheduled"] == 1)
        #expect(metrics.runsByState["cancelled"] == 0)
        #expect(metrics.queueDepth == ["etl-pool": 1])
        #expect(metrics.sizeBytes > 0)
        #expect(store.kind == backend.name)
        #expect(!store.location.isEmpty)
    }
}
