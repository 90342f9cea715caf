import BatonCore
import BatonStore
import BatonTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What every backend does for the live-events feed and wake-ups.
@Suite struct FeedStoreConformance {
    @Test(arguments: StoreBackend.all)
    func theFeedReturnsEveryStateLogAndVersionPastAPositionOnceInOrder(_ backend: StoreBackend) throws {
        let subject = try backend.make()
        let store = subject.store
        _ = try store.register(sampleRegistration("aaaa"))
        let start = try store.feedPosition()
        #expect(try store.changes(after: start, limit: 100).flowRunIDs.isEmpty)

        let a = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:]))
        let b = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:]))
        try store.apply([.flowRunState(FlowRunStateChange(flowRunID: a.id, state: RunState(.running)))])
        for line in 1...7 {
            try store.apply([.log(LogRecord(flowRunID: b.id, taskRunID: nil, taskRunName: nil, timestamp: Date(), level: .info, message: "line \(line)"))])
        }
        _ = try store.register(sampleRegistration("bbbb"))

        // Read in small pages from another connection: every change once, in order.
        let reader = try subject.connect()
        var position = start
        var runs: [String] = []
        var lines: [String] = []
        var versions: [Int] = []
        for _ in 0..<20 {
            let page = try reader.changes(after: position, limit: 2)
            runs += page.flowRunIDs
            lines += page.logs.map(\.message)
            versions += page.versions.map(\.number)
            if page.position == position { break }
            position = page.position
        }
        #expect(lines == (1...7).map { "line \($0)" })
        #expect(versions == [2])
        // A run appears once per page it changed in; its latest change is last.
        #expect(Set(runs) == [a.id, b.id])
        #expect(runs.last == a.id)
        #expect(try reader.changes(after: position, limit: 100).logs.isEmpty)
        #expect(try store.activeFlowRunIDs().sorted() == [a.id, b.id].sorted())
        try store.finish(flowRunID: a.id, state: RunState(.completed))
        #expect(try store.activeFlowRunIDs() == [b.id])
    }

    @Test(arguments: StoreBackend.all)
    func aPageFullOfStatesOfFewRunsSaysMoreFollow(_ backend: StoreBackend) throws {
        // Six state changes of two runs: a page of four names at most two runs, yet more follow.
        // (The live-events feed stopped reading at such a page, so a run's last states waited for
        // the next write to the store, which might never come.)
        let store = try backend.make().store
        _ = try store.register(sampleRegistration("aaaa"))
        let start = try store.feedPosition()
        let runs = try (0..<2).map { _ in try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:])) }
        for run in runs {
            try store.apply([.flowRunState(FlowRunStateChange(flowRunID: run.id, state: RunState(.running)))])
            try store.finish(flowRunID: run.id, state: RunState(.completed))
        }
        let first = try store.changes(after: start, limit: 4)
        #expect(first.flowRunIDs.count <= 2)
        #expect(first.more, "a full page of states")
        let second = try store.changes(after: first.position, limit: 4)
        #expect(!second.more)
        #expect(Set(second.flowRunIDs).isSubset(of: Set(runs.map(\.id))) && !second.flowRunIDs.isEmpty, "the last states, read")
        #expect(try store.changes(after: second.position, limit: 4).flowRunIDs.isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func aRingWakesADoorbellOfAnotherConnection(_ backend: StoreBackend) throws {
        let subject = try backend.make()
        let watcher = try subject.connect()
        let bell = try watcher.doorbell()
        let changes = try watcher.changeDoorbell()
        subject.store.ring("limits")
        #expect(Self.waitForRing(bell))
        #expect(bell.drain().contains("limits"))
        // Every committed write rings the change bell.
        _ = try subject.store.register(sampleRegistration("aaaa"))
        #expect(Self.waitForRing(changes))
        _ = changes.drain()
    }

    /// Waits (up to 120 s) for the doorbell's descriptor to become readable.
    static func waitForRing(_ bell: any StoreDoorbell) -> Bool {
        var entry = pollfd(fd: bell.fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 120_000) == 1
    }
}
