import BatonCore
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// What every backend does with registrations.
@Suite struct RegistryStoreConformance {
    @Test(arguments: StoreBackend.all)
    func versionsAreConsecutivePerFlowAndIdenticalBytesKeepTheirNumber(_ backend: StoreBackend) throws {
        let subject = try backend.make()
        let store = subject.store
        let first = try store.register(sampleRegistration("aaaa", flows: ["etl", "report"]))
        #expect(first.map(\.version) == [1, 1])
        #expect(first.allSatisfy { $0.created })
        let again = try store.register(sampleRegistration("aaaa", flows: ["etl", "report"]))
        #expect(again.map(\.version) == [1, 1])
        #expect(again.allSatisfy { !$0.created })
        let second = try store.register(sampleRegistration("bbbb", flows: ["etl"]))
        #expect(second.map(\.version) == [2])
        #expect(try store.versions(of: "etl").map(\.number) == [1, 2])
        #expect(try store.version(of: "etl", number: nil).number == 2)
        #expect(try store.flowVersions(libraryHash: "aaaa") == ["etl": 1, "report": 1])
    }

    @Test(arguments: StoreBackend.all)
    func racingRegistrationsOnTwoConnectionsGetConsecutiveNumbers(_ backend: StoreBackend) throws {
        let subject = try backend.make()
        let stores = [subject.store, try subject.connect()]
        let group = DispatchGroup()
        let failures = Locked<[String]>([])
        for (index, store) in stores.enumerated() {
            DispatchQueue.global().async(group: group) {
                for round in 0..<10 {
                    do { _ = try store.register(sampleRegistration("h\(index)-\(round)")) } catch { failures.withLock { $0.append("\(error)") } }
                }
            }
        }
        group.wait()
        #expect(failures.withLock { $0 } == [])
        #expect(try subject.store.versions(of: "etl").map(\.number) == Array(1...20))
    }

    @Test(arguments: StoreBackend.all)
    func unknownFlowsAndVersionsAreRefusedAsNotFound(_ backend: StoreBackend) throws {
        let store = try backend.make().store
        _ = try store.register(sampleRegistration("aaaa"))
        #expect(throws: BatonError.self) { try store.version(of: "nope", number: nil) }
        #expect(throws: BatonError.self) { try store.version(of: "etl", number: 9) }
        #expect(try store.library(hash: "zzzz") == nil)
        #expect(try store.flows().map(\.name) == ["etl"])
    }

    @Test(arguments: StoreBackend.all)
    func unknownFlowsAndVersionsNameWhatExists(_ backend: StoreBackend) throws {
        let store = try backend.make().store
        let none = #expect(throws: BatonError.self) { try store.versions(of: "etl") }
        #expect(none?.message == "unknown flow 'etl'; no flows are registered yet (register one with `baton register <package-or-library>`)")
        #expect(try store.versionRecords(of: "etl").isEmpty)
        for hash in ["aaa", "bbb", "ccc"] { _ = try store.register(sampleRegistration(hash)) }
        _ = try store.register(sampleRegistration("ddd", flows: ["report"]))
        #expect(try store.flowNames() == ["etl", "report"])
        #expect(try store.versionRecord(of: "etl", number: 7) == nil)
        #expect(try store.versionRecord(of: "etl", number: nil)?.number == 3)
        let error = #expect(throws: BatonError.self) { try store.version(of: "etl", number: 7) }
        #expect(error?.code == .notFound)
        #expect(error?.message == "flow 'etl' has no version 7; its versions are 1–3")
        let unknown = #expect(throws: BatonError.self) { try store.version(of: "elt", number: nil) }
        #expect(unknown?.message == "unknown flow 'elt'; registered flows: etl, report")
    }

    @Test(arguments: StoreBackend.all)
    func aLibraryWithSeveralFlowsVersionsEach(_ backend: StoreBackend) throws {
        let store = try backend.make().store
        _ = try store.register(sampleRegistration("aaaa", flows: ["etl"]))
        let both = try store.register(sampleRegistration("bbbb", flows: ["etl", "report"]))
        #expect(both.map { "\($0.flow) \($0.version)" }.sorted() == ["etl 2", "report 1"])
        #expect(try store.flowVersions(libraryHash: "bbbb") == ["etl": 2, "report": 1])
        #expect(try store.library(hash: "bbbb")?.manifest.flows.map(\.name) == ["etl", "report"])
        #expect(try store.versionRecord(of: "report", number: 1)?.libraryHash == "bbbb")
    }

    @Test(arguments: StoreBackend.all)
    func flowsAreListedByNameWithLatestVersionAndLastRun(_ backend: StoreBackend) throws {
        let store = try backend.make().store
        _ = try store.register(sampleRegistration("aaaa", flows: ["report", "etl"]))
        _ = try store.register(sampleRegistration("bbbb", flows: ["etl"]))
        let ran = Date().addingTimeInterval(-60)
        let run = try store.createFlowRun(NewFlowRun(flow: "etl", version: 2, parameters: [:], state: RunState(.running, at: ran)))
        try store.finish(flowRunID: run.id, state: RunState(.failed, at: ran.addingTimeInterval(1)))
        // A run made ahead of its time is not a last run.
        let due = Date().addingTimeInterval(3600)
        _ = try store.createFlowRun(NewFlowRun(flow: "report", version: 1, parameters: [:], state: RunState(.scheduled), scheduledTime: due))
        let flows = try store.flows()
        #expect(flows.map(\.name) == ["etl", "report"])
        #expect(flows.map(\.latestVersion) == [2, 1])
        #expect(flows.map(\.versionCount) == [2, 1])
        #expect(flows[0].lastRunState == .failed)
        #expect(flows[1].lastRunState == nil)
        let next = try store.nextScheduledRuns()
        #expect(next.keys.sorted() == ["report"])
        #expect(abs((next["report"] ?? .distantPast).timeIntervalSince(due)) < 0.001)
    }
}
