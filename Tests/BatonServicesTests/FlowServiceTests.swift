import BatonCore
import BatonServices
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// Reading flows and versions through the application layer.
@Suite struct FlowServiceTests {
    @Test func flowsAreListedByNameWithTheirNextScheduledRun() throws {
        let f = try ServiceFixture()
        _ = try f.store.register(sampleRegistration("aaaa", flows: ["report", "etl"]))
        let due = Date().addingTimeInterval(3600)
        _ = try f.store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:], state: RunState(.scheduled), scheduledTime: due))
        let flows = try f.services.flows.flows(f.caller)
        #expect(flows.map(\.name) == ["etl", "report"])
        #expect(flows[0].nextScheduledRun == Timestamps.wholeMilliseconds(due))
        #expect(flows[1].nextScheduledRun == nil)
        #expect(flows[0].summary.latestVersion == 1)
    }

    @Test func aFlowPageListsItsVersionsNewestFirstAndAnUnknownFlowIsNotFound() throws {
        let f = try ServiceFixture()
        _ = try f.store.register(sampleRegistration("aaaa"))
        _ = try f.store.register(sampleRegistration("bbbb", label: "second"))
        let page = try f.services.flows.flow("etl", f.caller)
        #expect(page.versions?.map(\.version.version) == [2, 1])
        #expect(try f.services.flows.versions(of: "etl", f.caller).map(\.version.version) == [1, 2])
        let error = #expect(throws: BatonError.self) { try f.services.flows.flow("nope", f.caller) }
        #expect(error?.code == .notFound)
        #expect(error?.message == "no flow named 'nope'; GET /api/flows lists them")
        #expect(throws: BatonError.self) { try f.services.flows.versions(of: "nope", f.caller) }
    }

    @Test func aVersionIsChosenByNumberOrLatestAndInspectionNamesTheLatest() throws {
        let f = try ServiceFixture()
        _ = try f.store.register(sampleRegistration("aaaa"))
        _ = try f.store.register(sampleRegistration("bbbb", label: "second"))
        #expect(try f.services.flows.version(of: "etl", .latest, f.caller).version.label == "second")
        let first = try f.services.flows.version(of: "etl", .number(1), full: true, f.caller)
        #expect(first.version.version == 1)
        #expect(first.manifest?.name == "etl")
        let inspection = try f.services.flows.inspect(flow: "etl", .number(1), f.caller)
        #expect(inspection.version.version == 1)
        #expect(inspection.latest == 2)
        #expect(inspection.manifest?.description == "the etl flow")
        let missing = #expect(throws: BatonError.self) { try f.services.flows.version(of: "etl", .number(9), f.caller) }
        #expect(missing?.code == .notFound)
    }

    @Test func aDiffNamesWhatChangedBetweenTwoVersions() throws {
        let f = try ServiceFixture()
        _ = try f.store.register(sampleRegistration("aaaa", label: "one"))
        _ = try f.store.register(sampleRegistration("bbbb", label: "two"))
        let diff = try f.services.flows.diff(flow: "etl", .number(1), .latest, f.caller)
        #expect(diff.from == 1 && diff.to == 2)
        #expect(diff.changes.map(\.path).contains("label"))
        #expect(diff.changes.map(\.path).contains("hash"))
    }

    @Test func viewsCarryTheDatesAClientReadsBack() throws {
        let f = try ServiceFixture()
        _ = try f.store.register(sampleRegistration("aaaa"))
        let record = try f.store.version(of: "etl", number: 1)
        let view = try f.services.flows.version(of: "etl", .latest, f.caller).version
        let sent = try BatonCoding.decoder().decode(VersionView.self, from: BatonCoding.encoder().encode(VersionView(record)))
        #expect(view.registeredAt == sent.registeredAt)
        #expect(Timestamps.iso(view.registeredAt) == Timestamps.iso(record.registeredAt))
    }
}
