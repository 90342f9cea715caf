import BatonCore
import BatonServices
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// What fires, when, and how often: the evaluator over a real SQLite store, with the services' clock
/// moved by the test (no sleeps, no waiting for windows to run out).
@Suite struct AutomationEvaluatorTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// A store with flow `etl` registered and a deployment `nightly` of it, its services, and their clock.
    final class Subject: Sendable {
        let fixture: ServiceFixture
        let clock: Locked<Date>
        let services: Services
        var store: SQLiteStore { fixture.store }

        init(_ t0: Date) throws {
            fixture = try ServiceFixture()
            _ = try fixture.store.register(sampleRegistration("aaa"))
            let clock = Locked(t0)
            self.clock = clock
            services = Services(store: fixture.store, home: fixture.home, options: ServiceOptions(now: { clock.withLock { $0 } }))
            _ = try services.deployments.create(NewDeployment(name: "nightly", flow: "etl"), .storeOwner())
        }

        @discardableResult
        func at(_ time: Date) -> Services {
            clock.withLock { $0 = time }
            return services
        }

        func pass(at time: Date) throws -> AutomationEvaluator.Report { try AutomationEvaluator(services: at(time)).pass(now: time) }

        /// A run of `etl` (of the deployment `nightly` when `deployed`) that ended in `state` at `time`.
        @discardableResult
        func finished(_ state: StateType, at time: Date, deployed: Bool = false) throws -> FlowRunRecord {
            let deployment = deployed ? try store.deployment(named: "nightly", project: ProjectNames.default).id : nil
            let run = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:], state: RunState(.running, at: time), deploymentID: deployment))
            try store.finish(flowRunID: run.id, state: RunState(state, message: "over", at: time))
            return run
        }

        func history(_ name: String) throws -> [FiringRecord] { try services.automations.history(name, limit: 100, .storeOwner()) }
    }

    func notify(_ name: String = "ops") -> [AutomationAction] { [AutomationAction(kind: .webhook, url: "http://127.0.0.1:9/\(name)")] }

    @Test func anAbsenceFiresOnceWhenItsWindowRunsOutAndAgainAfterTheNextWindow() throws {
        let s = try Subject(t0)
        let trigger = AutomationTrigger(kind: .absent, expected: "completed", within: 1800, deployment: "nightly")
        _ = try s.at(t0).automations.create(NewAutomation(name: "slo", trigger: trigger, actions: notify()), .storeOwner())

        var report = try s.pass(at: t0.addingTimeInterval(600))
        #expect(report.fired == 0)
        #expect(report.nextDue == t0.addingTimeInterval(1800), "it wakes when the window ends, not before")
        // A completed run of the deployment restarts the window; one of another run of the flow does not count.
        try s.finished(.completed, at: t0.addingTimeInterval(1200), deployed: true)
        try s.finished(.completed, at: t0.addingTimeInterval(1500), deployed: false)
        report = try s.pass(at: t0.addingTimeInterval(2700))
        #expect(report.fired == 0, "the window began again at 20 minutes")
        #expect(report.nextDue == t0.addingTimeInterval(3000))
        report = try s.pass(at: t0.addingTimeInterval(3060))
        #expect(report.fired == 1)
        #expect(try s.pass(at: t0.addingTimeInterval(3100)).fired == 0, "once per window")
        #expect(try s.pass(at: t0.addingTimeInterval(3060 + 1799)).fired == 0)
        #expect(try s.pass(at: t0.addingTimeInterval(3060 + 1800)).fired == 1, "the next window, from the firing")
        let history = try s.history("slo")
        #expect(history.count == 2)
        #expect(history.last?.event.text.contains("no run of deployment 'nightly' entered completed within 30m") == true, "\(history)")
        #expect(history.allSatisfy { $0.deliveries.count == 1 && $0.deliveries[0].status == .pending })
    }

    @Test func aStateTriggerFiresOncePerRunStateOnlyForWhatItWatchesAndItsCooldownSuppresses() throws {
        let s = try Subject(t0)
        let trigger = AutomationTrigger(kind: .state, states: ["failed", "crashed"], deployment: "nightly")
        _ = try s.at(t0).automations.create(NewAutomation(name: "page", trigger: trigger, actions: notify(), cooldown: 600), .storeOwner())
        try s.finished(.failed, at: t0.addingTimeInterval(-10), deployed: true)  // before it was made: nothing
        try s.finished(.failed, at: t0.addingTimeInterval(1), deployed: true)
        try s.finished(.completed, at: t0.addingTimeInterval(2), deployed: true)
        try s.finished(.failed, at: t0.addingTimeInterval(3), deployed: false)  // not the deployment's
        try s.finished(.crashed, at: t0.addingTimeInterval(4), deployed: true)
        #expect(try s.pass(at: t0.addingTimeInterval(5)).fired == 2)
        #expect(try s.pass(at: t0.addingTimeInterval(6)).fired == 0, "each state once, however many passes")
        var history = try s.history("page")
        #expect(history.map { $0.event.state } == ["crashed", "failed"])
        #expect(history[1].suppressed == nil && history[1].deliveries.count == 1)
        #expect(history[0].suppressed?.contains("cooldown of 10m") == true && history[0].deliveries.isEmpty, "within the cooldown: recorded, nothing sent")
        // After the cooldown, it sends again.
        try s.finished(.failed, at: t0.addingTimeInterval(700), deployed: true)
        #expect(try s.pass(at: t0.addingTimeInterval(701)).fired == 1)
        history = try s.history("page")
        #expect(history[0].suppressed == nil && history[0].deliveries.count == 1)
        // Paused, it fires for nothing, and resumed it does not fire for what happened meanwhile.
        _ = try s.at(t0.addingTimeInterval(800)).automations.setPaused("page", true, .storeOwner())
        try s.finished(.failed, at: t0.addingTimeInterval(900), deployed: true)
        #expect(try s.pass(at: t0.addingTimeInterval(901)).fired == 0)
        _ = try s.at(t0.addingTimeInterval(1000)).automations.setPaused("page", false, .storeOwner())
        #expect(try s.pass(at: t0.addingTimeInterval(1001)).fired == 0)
        #expect(try s.history("page").count == 3)
    }

    @Test func aSuccessRateFiresWhenItFallsUnderItsThresholdAndNotAgainUntilItRecovered() throws {
        let s = try Subject(t0)
        let trigger = AutomationTrigger(kind: .successRate, deployment: "nightly", runs: 4, threshold: 0.75)
        _ = try s.at(t0).automations.create(NewAutomation(name: "rate", trigger: trigger, actions: notify()), .storeOwner())
        var time = t0
        func run(_ state: StateType) throws -> Int {
            time = time.addingTimeInterval(10)
            try s.finished(state, at: time, deployed: true)
            return try s.pass(at: time).fired
        }
        #expect(try [run(.completed), run(.completed), run(.failed)] == [0, 0, 0], "fewer than 4 runs: no rate yet")
        #expect(try run(.completed) == 0, "3 of 4: 75%, not under")
        #expect(try run(.failed) == 1, "2 of 4: under 75%")
        #expect(try run(.failed) == 0, "still under: fired already")
        #expect(try [run(.completed), run(.completed), run(.completed)] == [0, 0, 0], "back at 75%")
        #expect(try run(.crashed) == 0, "3 of 4 again")
        #expect(try run(.failed) == 1, "under again after it recovered")
        #expect(try s.history("rate").first?.event.text.contains("fell to 50% over its last 4 runs") == true)
    }

    @Test func aRunOfADeploymentThatTurnsLateFiresOnceByTimeAlone() throws {
        let s = try Subject(t0)
        let trigger = AutomationTrigger(kind: .state, states: ["late"], deployment: "nightly")
        _ = try s.at(t0).automations.create(NewAutomation(name: "late", trigger: trigger, actions: notify(), cooldown: 600), .storeOwner())
        let deployment = try s.store.deployment(named: "nightly", project: ProjectNames.default)
        let due = t0.addingTimeInterval(60)
        let run = try s.store.createFlowRun(NewFlowRun(
            flow: "etl", version: 1, parameters: [:], state: RunState(.scheduled, at: t0.addingTimeInterval(30)), deploymentID: deployment.id,
            scheduledTime: due, pool: "default"))
        #expect(try s.pass(at: due).fired == 0, "on time")
        #expect(try s.pass(at: due.addingTimeInterval(RunTiming.lateGrace - 1)).fired == 0, "within the grace period")
        #expect(try s.pass(at: due.addingTimeInterval(RunTiming.lateGrace + 1)).fired == 1)
        #expect(try s.pass(at: due.addingTimeInterval(RunTiming.lateGrace + 60)).fired == 0, "once")
        let firing = try #require(try s.history("late").first)
        #expect(firing.event.flowRunID == run.id && firing.event.text.contains("is late"), "\(firing)")
        // Still late when another turns late after the cooldown: the new one is sent, the old one not again.
        let due2 = due.addingTimeInterval(700)
        let second = try s.store.createFlowRun(NewFlowRun(
            flow: "etl", version: 1, parameters: [:], state: RunState(.scheduled, at: due2.addingTimeInterval(-30)), deploymentID: deployment.id,
            scheduledTime: due2, pool: "default"))
        #expect(try s.pass(at: due2.addingTimeInterval(RunTiming.lateGrace + 1)).fired == 1)
        let latest = try #require(try s.history("late").first)
        #expect(latest.event.flowRunID == second.id && latest.suppressed == nil && latest.deliveries.count == 1, "\(latest)")
    }

    @Test func aTriggerNamingTagsWatchesOnlyRunsOfFlowsThatDeclareThem() throws {
        let s = try Subject(t0)
        var registration = sampleRegistration("bbb", flows: ["load"])
        registration.manifest.flows[0].options = FlowOptionsSpec(tags: ["nightly", "warehouse"])
        _ = try s.store.register(registration)
        let trigger = AutomationTrigger(kind: .state, states: ["failed"], tags: ["nightly"])
        _ = try s.at(t0).automations.create(NewAutomation(name: "nightly", trigger: trigger, actions: notify()), .storeOwner())
        for flow in ["load", "etl"] {
            let run = try s.store.createFlowRun(NewFlowRun(flow: flow, version: 1, parameters: [:], state: RunState(.running, at: t0)))
            try s.store.finish(flowRunID: run.id, state: RunState(.failed, at: t0.addingTimeInterval(1)))
        }
        #expect(try s.pass(at: t0.addingTimeInterval(2)).fired == 1)
        #expect(try s.history("nightly").map { $0.event.flow } == ["load"])
    }

    @Test func messagesNameTheFlowVersionRunStateMessageAndLinkInEveryFormat() throws {
        let event = AutomationEvent(
            kind: .flowRunState, key: "state:7", at: t0, project: "analytics", flowRunID: "a1b2", flowRunName: "calm-falcon", flow: "etl", version: 3,
            deployment: "nightly", state: "failed", stateName: "Failed", message: "boom <here> & there", text: "flow run 'calm-falcon' of etl v3 entered Failed: boom")
        let message = NotificationMessage(automation: "page", event: event, publicURL: "https://baton.example.com/")
        #expect(message.subject == "[Baton] etl v3: run 'calm-falcon' Failed")
        for line in ["Flow: etl (version 3)", "Run: calm-falcon (a1b2)", "Deployment: nightly", "State: Failed", "Message: boom <here> & there",
            "Link: https://baton.example.com/#/runs/a1b2", "Project: analytics"] {
            #expect(message.text.contains(line), "\(line) in \(message.text)")
        }
        let json = message.json(delivery: 12)
        #expect(json["delivery"] == .int(12) && json["event"]?["flowRunName"] == .string("calm-falcon") && json["link"] == .string("https://baton.example.com/#/runs/a1b2"))
        let slack = try #require(message.slack["text"]?.stringValue)
        #expect(slack.hasPrefix("*<https://baton.example.com/#/runs/a1b2|[Baton] etl v3: run 'calm-falcon' Failed>*"), "\(slack)")
        #expect(slack.contains("> boom &lt;here&gt; &amp; there"), "Slack's markup is escaped: \(slack)")
        var absent = event
        absent.kind = .absent
        absent.flowRunID = nil
        absent.text = "no run of deployment 'nightly' entered completed within 30m"
        #expect(NotificationMessage(automation: "slo", event: absent, publicURL: "http://h:1").link == "http://h:1/#/automations/slo")
    }

    @Test func evaluatorsRacingOnOneStoreFireEachEventOnce() throws {
        let s = try Subject(t0)
        _ = try s.at(t0).automations.create(
            NewAutomation(name: "all", trigger: AutomationTrigger(kind: .state, states: ["failed"]), actions: notify()), .storeOwner())
        _ = try s.pass(at: t0)
        for index in 0..<300 { try s.finished(.failed, at: t0.addingTimeInterval(Double(index) / 100)) }
        let now = t0.addingTimeInterval(10)
        let fired = Locked(0)
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                let store = try SQLiteStore(home: s.fixture.home)
                let services = Services(store: store, home: s.fixture.home, options: ServiceOptions(now: { now }))
                for _ in 0..<3 {
                    let count = try AutomationEvaluator(services: services).pass(now: now).fired
                    fired.withLock { $0 += count }
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(fired.withLock { $0 } == 300)
        #expect(try s.history("all").count == 100, "the history shows the newest 100")
        #expect(try s.services.automations.history("all", limit: 1000, .storeOwner()).count == 300)
    }

    @Test func badAutomationsAreRefusedNamingWhatIsWrong() throws {
        let s = try Subject(t0)
        let cases: [(NewAutomation, String)] = [
            (NewAutomation(name: "x", trigger: AutomationTrigger(kind: .state, states: ["exploded"]), actions: notify()), "state 'exploded' is not valid"),
            (NewAutomation(name: "x", trigger: AutomationTrigger(kind: .state, states: ["failed"]), actions: []), "needs an action"),
            (NewAutomation(name: "x", trigger: AutomationTrigger(kind: .absent, expected: "completed", within: 10, flow: "etl"), actions: notify()), "--within"),
            (NewAutomation(name: "x", trigger: AutomationTrigger(kind: .absent, expected: "completed", within: 600), actions: notify()), "needs --flow or --deployment"),
            (NewAutomation(name: "x", trigger: AutomationTrigger(kind: .state, states: ["failed"]), actions: [AutomationAction(kind: .notify, channel: "nope")]), "no channel 'nope'"),
            (NewAutomation(name: "x", trigger: AutomationTrigger(kind: .state, states: ["failed"], deployment: "nope"), actions: notify()), "deployment"),
            (NewAutomation(name: "x", trigger: AutomationTrigger(kind: .workerOffline), actions: [AutomationAction(kind: .cancelRun)]), "--cancel-run"),
            (NewAutomation(name: "x", trigger: AutomationTrigger(kind: .state, states: ["failed"]), actions: [AutomationAction(kind: .webhook, url: "ftp://x")]), "--webhook 'ftp://x'"),
        ]
        for (automation, expected) in cases {
            let error = #expect(throws: BatonError.self) { try s.services.automations.create(automation, .storeOwner()) }
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "") should say \(expected)")
        }
        #expect(try s.services.automations.list(.storeOwner()).isEmpty)
    }
}
