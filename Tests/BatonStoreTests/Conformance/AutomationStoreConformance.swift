import BatonCore
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// What every backend does with channels, automations, firings and deliveries: a firing once per
/// automation and event however many processes record it, a delivery claimed by one process at a time.
@Suite struct AutomationStoreConformance {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func subject(_ backend: StoreBackend) throws -> StoreUnderTest {
        let subject = try backend.make()
        _ = try subject.store.register(sampleRegistration("aaaa"))
        return subject
    }

    func automation(_ store: any Store, _ name: String = "page") throws -> AutomationRecord {
        try #require(try store.insertAutomation(AutomationRecord(
            id: 0, project: ProjectNames.default, name: name, trigger: AutomationTrigger(kind: .state, states: ["failed"]),
            actions: [AutomationAction(kind: .webhook, url: "http://127.0.0.1:9/x"), AutomationAction(kind: .cancelRun)], cooldown: 0, paused: false,
            armedSince: t0, lastFiredAt: nil, memory: nil, createdBy: "ada", createdAt: t0)))
    }

    func firing(_ automation: AutomationRecord, key: String, actions: Bool = true) -> NewFiring {
        NewFiring(
            automationID: automation.id, event: AutomationEvent(kind: .flowRunState, key: key, at: t0, project: ProjectNames.default, text: "event \(key)"),
            firedAt: t0, suppressed: nil, actions: actions ? automation.actions : [])
    }

    @Test(arguments: StoreBackend.all)
    func aFiringIsRecordedOncePerAutomationAndEventHoweverManyRecordIt(_ backend: StoreBackend) throws {
        let subject = try subject(backend)
        let page = try automation(subject.store)
        #expect(try subject.store.insertAutomation(page) == nil, "a name is taken once per project")
        let stores = [subject.store] + (try (1..<4).map { _ in try subject.connect() })
        let recorded = Locked(0)
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: stores.count) { index in
            do {
                for batch in 0..<10 {
                    let firings = (0..<20).map { firing(page, key: "state:\(batch * 20 + $0)") }
                    let ids = try stores[index].recordFirings(firings, memories: [page.id: "seen"], cursor: Int64(batch * 20 + 19 + index))
                    recorded.withLock { $0 += ids.count }
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(recorded.withLock { $0 } == 200)
        let history = try subject.store.firings(automationID: page.id, limit: 1000)
        #expect(history.count == 200 && history.allSatisfy { $0.deliveries.count == 2 && $0.deliveries.allSatisfy { $0.status == .pending } })
        #expect(try subject.store.automationCursor() == 199 + 3, "the cursor only moves forward")
        let stored = try #require(try subject.store.automation(named: "page", project: ProjectNames.default))
        #expect(stored.memory == "seen" && stored.lastFiredAt == t0)
        // Deleting it takes its history.
        #expect(try subject.store.deleteAutomation(id: page.id))
        #expect(try subject.store.firings(automationID: page.id, limit: 10).isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func aDeliveryIsClaimedByOneProcessAtATimeAndRetriedWhenItsClaimerDied(_ backend: StoreBackend) throws {
        let subject = try subject(backend)
        let page = try automation(subject.store)
        _ = try subject.store.recordFirings((0..<50).map { firing(page, key: "k\($0)") }, memories: [:], cursor: nil)
        let stores = [subject.store] + (try (1..<4).map { _ in try subject.connect() })
        let claimed = Locked<[Int64]>([])
        DispatchQueue.concurrentPerform(iterations: stores.count) { index in
            let me = ProcessIdentity(pid: Int32(1000 + index), start: "s\(index)", host: "h")
            while let items = try? stores[index].claimDeliveries(now: t0, until: t0.addingTimeInterval(60), claimer: me, limit: 7), !items.isEmpty {
                claimed.withLock { $0 += items.map(\.delivery.id) }
            }
        }
        let all = claimed.withLock { $0 }
        #expect(all.count == 100 && Set(all).count == 100, "each of the 100 deliveries claimed once")
        #expect(try subject.store.claimDeliveries(now: t0.addingTimeInterval(59), until: t0.addingTimeInterval(120), claimer: .current, limit: 10).isEmpty)

        // Outcomes: delivered, retried later, failed; only the retried one comes due again.
        let ids = all.sorted()
        try subject.store.finishDelivery(id: ids[0], .delivered("HTTP 200"), at: t0)
        try subject.store.finishDelivery(id: ids[1], .retry(at: t0.addingTimeInterval(5), error: "connection refused"), at: t0)
        try subject.store.finishDelivery(id: ids[2], .failed("HTTP 404"), at: t0)
        let due = try subject.store.claimDeliveries(now: t0.addingTimeInterval(6), until: t0.addingTimeInterval(60), claimer: .current, limit: 10)
        #expect(due.map(\.delivery.id) == [ids[1]] && due.first?.delivery.attempts == 2 && due.first?.delivery.lastError == "connection refused")
        #expect(due.first?.automation == "page" && due.first?.event.key != nil)

        // The claims of a process seen dead are due at once; those of a live one wait for their lease.
        let released = try subject.store.releaseDeliveryClaims(now: t0.addingTimeInterval(7)) { $0 == ProcessIdentity.current }
        #expect(released == 97, "all but the one this process holds")
        let again = try subject.store.claimDeliveries(now: t0.addingTimeInterval(7), until: t0.addingTimeInterval(60), claimer: .current, limit: 100)
        #expect(again.count == 97 && again.allSatisfy { $0.delivery.attempts == 2 })
        #expect(try subject.store.nextDeliveryDue() != nil)
        let history = try subject.store.firings(automationID: page.id, limit: 100).flatMap(\.deliveries)
        #expect(history.first { $0.id == ids[0] }?.status == .delivered && history.first { $0.id == ids[2] }?.status == .failed)
    }

    @Test(arguments: StoreBackend.all)
    func stateEventsComeInOrderWithTheirRunsAndTheQuestionsOfTheTriggersAreAnswered(_ backend: StoreBackend) throws {
        let store = try subject(backend).store
        let run = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:], state: RunState(.running, at: t0)))
        try store.finish(flowRunID: run.id, state: RunState(.failed, message: "boom", at: t0.addingTimeInterval(3)))
        let before = try store.latestStateID(before: t0)
        let events = try store.stateEvents(after: before, limit: 10)
        #expect(events.map(\.state.type) == [.running, .failed])
        #expect(events.last?.runName == run.name && events.last?.flow == "etl" && events.last?.version == 1 && events.last?.state.message == "boom")
        #expect(try store.latestStateID(before: nil) == events.last?.id)
        #expect(try store.stateEvents(after: events.last!.id, limit: 10).isEmpty)
        #expect(try store.lastStateTime(words: ["failed"], flow: "etl", deployment: nil, project: ProjectNames.default) == t0.addingTimeInterval(3))
        #expect(try store.lastStateTime(words: ["completed"], flow: "etl", deployment: nil, project: ProjectNames.default) == nil)
        #expect(try store.lastStateTime(words: ["failed"], flow: "other", deployment: nil, project: ProjectNames.default) == nil)

        // Channels by project, webhooks by name across the store.
        let config = ChannelConfig(kind: .webhook, url: "http://127.0.0.1:9/x")
        #expect(try store.insertChannel(project: ProjectNames.default, name: "ops", config: config, createdBy: nil, at: t0) != nil)
        #expect(try store.insertChannel(project: ProjectNames.default, name: "ops", config: config, createdBy: nil, at: t0) == nil)
        #expect(try store.channel(named: "ops", project: ProjectNames.default)?.config == config)
        #expect(try store.insertProject("other", at: t0))
        let hook = WebhookRecord(
            id: 0, project: ProjectNames.default, name: "push", deployment: "d", sealedToken: "v1.x", mapping: ["a": "$.b"], createdBy: nil, createdAt: t0)
        #expect(try store.insertWebhook(hook)?.mapping == ["a": "$.b"])
        var elsewhere = hook
        elsewhere.project = "other"
        #expect(try store.insertWebhook(elsewhere) == nil, "a webhook's name is the store's")
        #expect(try store.webhook(named: "push")?.project == ProjectNames.default)
        #expect(try !store.deleteWebhook(named: "push", project: "other"))
        #expect(try store.deleteWebhook(named: "push", project: ProjectNames.default))
    }
}
