import BatonCore
import BatonSchedule
import BatonTestSupport
import Foundation
import Testing

@testable import BatonServices
@testable import BatonStore

/// Deployments through the application layer over a real SQLite store, with time given by the
/// tests: `t0` is a fixed instant, and `at(_:)` moves the services' clock.
@Suite struct DeploymentServiceTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z
    let caller = Caller.storeOwner()

    /// A store with flow `etl` registered, its services, and their clock.
    struct Subject {
        let file: StoreFile
        let store: SQLiteStore
        let services: Services
        let clock: Locked<Date>

        func at(_ time: Date) -> DeploymentService {
            clock.withLock { $0 = time }
            return services.deployments
        }
    }

    func subject() throws -> Subject {
        let file = try StoreFile()
        let store = try file.open()
        _ = try store.register(sampleRegistration("aaa"))
        let clock = Locked(t0)
        let services = Services(store: store, home: BatonHome(path: file.folder), options: ServiceOptions(now: { clock.withLock { $0 } }))
        return Subject(file: file, store: store, services: services, clock: clock)
    }

    func every(_ seconds: Double, anchor: Date) -> ScheduleSpec {
        ScheduleSpec(kind: "interval", intervalSeconds: seconds, anchor: anchor)
    }

    func runs(_ store: SQLiteStore, _ deployment: String) throws -> [FlowRunRecord] {
        try store.flowRuns(FlowRunQuery(deployment: deployment, limit: 100_000), now: t0).sorted { ($0.scheduledTime ?? .distantPast) < ($1.scheduledTime ?? .distantPast) }
    }

    func offsets(_ runs: [FlowRunRecord]) -> [Int] {
        runs.compactMap { $0.scheduledTime.map { Int($0.timeIntervalSince(t0)) } }
    }

    @Test func pausingRemovesWaitingRunsAndResumingReplaysOnlyWithCatchup() throws {
        let s = try subject()
        let store = s.store
        for (name, catchup) in [("plain", false), ("replaying", true)] {
            _ = try s.at(t0).create(NewDeployment(name: name, flow: "etl", schedule: every(600, anchor: t0), catchup: catchup), caller)
        }
        let policy = SchedulingPolicy(grace: 60, lookahead: 1200, minimumAhead: 1)
        let scheduler = Scheduler(store: store, policy: policy)
        _ = try scheduler.pass(now: t0.addingTimeInterval(1))
        #expect(offsets(try runs(store, "plain")) == [600, 1200])

        for name in ["plain", "replaying"] { _ = try s.at(t0.addingTimeInterval(2)).setPaused(name, true, caller) }
        #expect(try runs(store, "plain").isEmpty, "waiting runs of a paused deployment are removed")
        _ = try scheduler.pass(now: t0.addingTimeInterval(3000))
        #expect(try runs(store, "plain").isEmpty, "a paused deployment makes nothing")

        for name in ["plain", "replaying"] { _ = try s.at(t0.addingTimeInterval(3600)).setPaused(name, false, caller) }
        _ = try scheduler.pass(now: t0.addingTimeInterval(3600))
        #expect(offsets(try runs(store, "plain")) == [3600, 4200, 4800])
        #expect(offsets(try runs(store, "replaying")) == [600, 1200, 1800, 2400, 3000, 3600, 4200, 4800])
    }

    @Test func aNewVersionMovesLatestDeploymentsButNotPinnedOnes() throws {
        let s = try subject()
        let store = s.store
        _ = try s.at(t0).create(NewDeployment(name: "follows", flow: "etl", parameters: ["n": .int(7)]), caller)
        _ = try s.at(t0).create(NewDeployment(name: "pinned", flow: "etl", version: 1), caller)
        let follows = try s.at(t0).runNow("follows", caller)
        let pinned = try s.at(t0).runNow("pinned", caller)
        _ = try s.services.registration.record(sampleRegistration("bbb"), caller)
        #expect(try store.flowRun(follows.id).version == 2)
        #expect(try store.flowRun(follows.id).parameters["n"] == .int(7))
        #expect(try store.flowRun(pinned.id).version == 1)
    }

    @Test func followingARegistrationThroughTheServiceMovesRunsOnceAndIsIdempotent() throws {
        let s = try subject()
        let store = s.store
        _ = try s.at(t0).create(NewDeployment(name: "follows", flow: "etl", parameters: ["n": .int(7)]), caller)
        _ = try s.at(t0).create(NewDeployment(name: "pinned", flow: "etl", version: 1), caller)
        let follows = try s.at(t0).runNow("follows", overrides: ["n": .int(8)], caller)
        let pinned = try s.at(t0).runNow("pinned", caller)
        // Version 2 declares a schedule: recording it follows it once, and following again changes nothing.
        var registration = sampleRegistration("bbb")
        registration.manifest.flows[0].schedule = every(60, anchor: t0)
        let note = try s.services.registration.record(registration, caller)[0].deploymentNote
        #expect(note == "default deployment 'etl' created: every 1 minute, pool default")
        for _ in 0..<2 {
            #expect(try s.services.deployments.followRegistration(flows: ["etl"], project: ProjectNames.default, now: t0) == [:])
        }
        #expect(try store.flowRun(follows.id).version == 2)
        #expect(try store.flowRun(follows.id).parameters["n"] == .int(8), "the run's own given parameters")
        #expect(try store.flowRun(pinned.id).version == 1)
        #expect(try store.deployments().map(\.name) == ["etl", "follows", "pinned"])

        // On a store where nothing followed yet (the store records a version and follows nothing), the
        // service moves the waiting run.
        let other = try subject()
        _ = try other.at(t0).create(NewDeployment(name: "follows", flow: "etl"), caller)
        let waiting = try other.at(t0).runNow("follows", caller)
        _ = try other.store.register(sampleRegistration("bbb"))
        try other.store.withConnection { db in
            try db.run("UPDATE flow_runs SET version_id = (SELECT id FROM versions WHERE number = 1)")
        }
        #expect(try other.store.flowRun(waiting.id).version == 1)
        #expect(try other.services.deployments.followRegistration(flows: ["etl"], project: ProjectNames.default, now: t0) == [:])
        #expect(try other.store.flowRun(waiting.id).version == 2)
    }

    @Test func aDeclaredScheduleMakesAndUpdatesTheDefaultDeploymentThroughTheService() throws {
        let s = try subject()
        let store = s.store
        let services = s.services
        try store.withConnection { db in
            // Version 2 declares a schedule, recorded as if registering had not followed it.
            var manifest = sampleManifest(["etl"]).flows[0]
            manifest.schedule = every(60, anchor: t0)
            let text = String(decoding: try BatonCoding.encoder().encode(manifest), as: UTF8.self)
            try db.run("UPDATE versions SET manifest = ?", [.text(text)])
        }
        #expect(try services.deployments.followRegistration(flows: ["etl"], project: ProjectNames.default, now: t0) == ["etl": "default deployment 'etl' created: every 1 minute, pool default"])
        #expect(try services.deployments.followRegistration(flows: ["etl"], project: ProjectNames.default, now: t0) == [:])
        #expect(try store.deployment(named: "etl").isDefault)
    }

    @Test func aDeclaredScheduleMakesAndUpdatesTheDefaultDeployment() throws {
        let file = try StoreFile()
        let store = try file.open()
        let registration = Services(store: store, home: BatonHome(path: file.folder)).registration
        var declared = sampleRegistration("aaa")
        declared.manifest.flows[0].schedule = every(60, anchor: t0)
        let note = try registration.record(declared, caller)[0].deploymentNote
        #expect(note == "default deployment 'etl' created: every 1 minute, pool default")
        #expect(try store.deployment(named: "etl").isDefault)

        var changed = sampleRegistration("bbb")
        changed.manifest.flows[0].schedule = every(300, anchor: t0)
        #expect(try registration.record(changed, caller)[0].deploymentNote == "default deployment 'etl' now runs every 5 minutes")
        #expect(try store.deployment(named: "etl").schedule?.intervalSeconds == 300)
        #expect(try store.deployments().count == 1)

        // Registering the same bytes again records no version and changes no deployment.
        #expect(try registration.record(changed, caller)[0].deploymentNote == nil)
        #expect(try registration.record(changed, caller)[0].created == false)
    }

    @Test func theStoreRecordsAVersionAndFollowsNothing() throws {
        let file = try StoreFile()
        let store = try file.open()
        var declared = sampleRegistration("aaa")
        declared.manifest.flows[0].schedule = every(60, anchor: t0)
        #expect(try store.register(declared)[0].deploymentNote == nil)
        #expect(try store.deployments().isEmpty, "what a registration changes is the application layer's rule")
    }

    @Test func aFollowThatReadAnOlderVersionLeavesTheNewestOnesScheduleLast() throws {
        // Two registrations race: version 2 (which declares a schedule) was recorded and followed
        // while the registration of version 1 (which declares none) had read version 1 as latest and
        // had not written yet. Following version 1 late must leave version 2's schedule.
        let s = try subject()
        let first = try s.store.version(of: "etl", number: 1)
        var second = sampleRegistration("bbb")
        second.manifest.flows[0].schedule = every(300, anchor: t0)
        _ = try s.services.registration.record(second, caller)
        #expect(try s.store.deployment(named: "etl").schedule?.intervalSeconds == 300)
        _ = try s.at(t0).follow("etl", from: first, now: t0)
        #expect(try s.store.deployment(named: "etl").schedule?.intervalSeconds == 300)
        #expect(try s.store.deployments().count == 1)
    }

    @Test func badDeploymentsAreRefusedWithOneLine() throws {
        let s = try subject()
        let deployments = s.services.deployments
        let unknownParameter = #expect(throws: BatonError.self) {
            try deployments.create(NewDeployment(name: "bad", flow: "etl", parameters: ["m": .int(1)]), caller)
        }
        #expect(unknownParameter?.message == "unknown parameter 'm' for flow 'etl'; its parameters are: n")
        _ = try deployments.create(NewDeployment(name: "taken", flow: "etl"), caller)
        let duplicate = #expect(throws: BatonError.self) { try deployments.create(NewDeployment(name: "taken", flow: "etl"), caller) }
        #expect(duplicate?.message == "a deployment named 'taken' exists already (of flow 'etl'); choose another name")
        let badName = #expect(throws: BatonError.self) { try deployments.create(NewDeployment(name: "no spaces", flow: "etl"), caller) }
        #expect(badName?.message.hasPrefix("deployment name 'no spaces' is not valid") == true)
        let missing = #expect(throws: BatonError.self) { try deployments.get("nope", caller) }
        #expect(missing?.message == "no deployment 'nope'; deployments: taken")
        #expect(try s.store.deployments().map(\.name) == ["taken"], "nothing half-made was stored")
        let backwards = #expect(throws: BatonError.self) {
            try BackfillRange(from: t0, through: t0.addingTimeInterval(-1), naming: ("--from", "--to"))
        }
        #expect(backwards?.message == "--from 2027-01-15T08:00:00.000Z is after --to 2027-01-15T07:59:59.000Z: expected a range that moves forward")
        #expect(backwards?.field == "from")
        let unscheduled = #expect(throws: BatonError.self) { try deployments.backfill("taken", BackfillRange(from: t0, through: t0), caller) }
        #expect(unscheduled?.message.contains("has no schedule to backfill") == true)
    }

    @Test func aViewCountsRunsAndShowsTheNextFireTimes() throws {
        let s = try subject()
        _ = try s.at(t0).create(NewDeployment(name: "tick", flow: "etl", schedule: every(60, anchor: t0)), caller)
        _ = try s.at(t0).runNow("tick", caller)
        let view = try s.at(t0).get("tick", caller)
        #expect(view.next.count == DeploymentService.fireTimesShown)
        #expect(view.scheduledRuns == 1)
        #expect(try s.at(t0).list(flow: nil, nextCount: DeploymentService.fireTimesListed, caller).map(\.next.count) == [1])
        try s.at(t0).delete("tick", caller)
        #expect(try s.at(t0).list(flow: "etl", caller).isEmpty)
    }
}
