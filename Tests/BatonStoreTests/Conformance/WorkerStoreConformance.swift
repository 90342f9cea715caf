import BatonCore
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// What every backend does with workers and their claims on queued runs, including a deployment's
/// `maxActive` holding claims back.
@Suite struct WorkerStoreConformance {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func subject(_ backend: StoreBackend) throws -> StoreUnderTest {
        let subject = try backend.make()
        _ = try subject.store.register(sampleRegistration("aaaa"))
        return subject
    }

    @discardableResult
    func queued(_ store: any Store, pool: String = "default", due: Date) throws -> FlowRunRecord {
        try store.createFlowRun(NewFlowRun(
            flow: "etl", version: 1, parameters: [:], state: RunState(.scheduled, at: t0), scheduledTime: due, pool: pool))
    }

    func worker(_ store: any Store, _ name: String, pool: String = "default", at now: Date? = nil) throws -> WorkerRecord {
        try store.insertWorker(NewWorker(
            id: RunID.random(), name: name, pool: pool, limit: 10, process: ProcessIdentity(pid: 1, start: name), now: now ?? t0))
    }

    func claim(_ store: any Store, _ worker: WorkerRecord, pool: String = "default", by due: Date) throws -> FlowRunRecord? {
        let now = t0
        return try store.claimRun(RunClaim(pool: pool, workerID: worker.id, dueBy: due, now: now) { RunTransitions.claimed($0, now: now) })
    }

    @Test(arguments: StoreBackend.all)
    func twoWorkersClaimingAtOnceNeverGetTheSameRun(_ backend: StoreBackend) throws {
        let subject = try subject(backend)
        for _ in 0..<200 { try queued(subject.store, due: t0) }
        let stores = [subject.store] + (try (1..<4).map { _ in try subject.connect() })
        let claims = Locked<[String]>([])
        let failures = Locked<[String]>([])
        let start = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for (index, store) in stores.enumerated() {
            let me = try worker(store, "w\(index)")
            DispatchQueue.global().async(group: group) {
                start.wait()
                do {
                    while let run = try self.claim(store, me, by: self.t0) {
                        claims.withLock { $0.append(run.id) }
                        if run.workerID != me.id { failures.withLock { $0.append("\(run.id) claimed for \(run.workerID ?? "nobody")") } }
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        for _ in stores { start.signal() }
        group.wait()
        #expect(failures.withLock { $0 } == [])
        let all = claims.withLock { $0 }
        #expect(all.count == 200, "each run is claimed once")
        #expect(Set(all).count == 200, "no run is claimed twice")
    }

    @Test(arguments: StoreBackend.all)
    func aClaimTakesTheEarliestDueRunOfItsPoolOnly(_ backend: StoreBackend) throws {
        let store = try subject(backend).store
        let later = try queued(store, due: t0.addingTimeInterval(20))
        let earliest = try queued(store, due: t0.addingTimeInterval(10))
        try queued(store, pool: "gpu", due: t0)
        try queued(store, due: t0.addingTimeInterval(100))
        let me = try worker(store, "w")
        #expect(try store.nextDueTime(pool: "default", project: nil) == t0.addingTimeInterval(10))
        #expect(try claim(store, me, by: t0.addingTimeInterval(5)) == nil, "nothing of the pool is due yet")
        let first = try #require(try claim(store, me, by: t0.addingTimeInterval(30)))
        #expect(first.id == earliest.id)
        #expect(first.workerID == me.id && first.state.type == .pending)
        #expect(try claim(store, me, by: t0.addingTimeInterval(30))?.id == later.id)
        #expect(try claim(store, me, by: t0.addingTimeInterval(30)) == nil)
        #expect(try store.nextDueTime(pool: "default", project: nil) == t0.addingTimeInterval(100))
        #expect(try store.openRuns(workerID: me.id).sorted() == [earliest.id, later.id].sorted())
    }

    @Test(arguments: StoreBackend.all)
    func theClaimFunctionNamesThePendingState(_ backend: StoreBackend) throws {
        let store = try subject(backend).store
        let run = try store.createFlowRun(NewFlowRun(
            flow: "etl", version: 1, parameters: [:], state: RunState(.scheduled, name: StateName.resuming, at: t0), scheduledTime: t0,
            pool: "default"))
        let me = try worker(store, "w")
        let seen = Locked<[RunState]>([])
        let claimed = try #require(try store.claimRun(RunClaim(pool: "default", workerID: me.id, dueBy: t0, now: t0) { stored in
            seen.withLock { $0.append(stored) }
            return RunState(.pending, name: "Chosen", message: "by the caller", at: self.t0)
        }))
        #expect(seen.withLock { $0.map(\.name) } == [StateName.resuming], "the claim function is given the stored state")
        #expect(claimed.id == run.id && claimed.state.name == "Chosen" && claimed.state.message == "by the caller")
        #expect(try store.states(flowRunID: run.id).filter { $0.taskRunID == nil }.map(\.state.name) == [StateName.resuming, "Chosen"])
    }

    @Test(arguments: StoreBackend.all)
    func aHeartbeatRevivesAWorkerRecordedStopped(_ backend: StoreBackend) throws {
        let store = try subject(backend).store
        let me = try worker(store, "w")
        #expect(try store.heartbeat(workerID: me.id, now: t0.addingTimeInterval(1)) == false)
        try store.stopWorker(workerID: me.id, now: t0.addingTimeInterval(2))
        #expect(try store.workerRecord(me.id)?.stoppedAt == t0.addingTimeInterval(2))
        try store.stopWorker(workerID: me.id, now: t0.addingTimeInterval(3))
        #expect(try store.workerRecord(me.id)?.stoppedAt == t0.addingTimeInterval(2), "stopping again keeps the first time")
        #expect(try store.heartbeat(workerID: me.id, now: t0.addingTimeInterval(4)) == true)
        let revived = try #require(try store.workerRecord(me.id))
        #expect(revived.stoppedAt == nil && revived.heartbeatAt == t0.addingTimeInterval(4))
        #expect(try store.workerRecord("nobody") == nil)
    }

    @Test(arguments: StoreBackend.all)
    func workersAreListedRunningFirst(_ backend: StoreBackend) throws {
        let store = try subject(backend).store
        let old = try worker(store, "old", at: t0)
        _ = try worker(store, "new", at: t0.addingTimeInterval(10))
        let stopped = try worker(store, "stopped", at: t0.addingTimeInterval(20))
        try store.stopWorker(workerID: stopped.id, now: t0.addingTimeInterval(30))
        #expect(try store.workers(includeStopped: true, limit: 10).map(\.name) == ["new", "old", "stopped"])
        #expect(try store.workers(includeStopped: false, limit: 10).map(\.name) == ["new", "old"])
        #expect(try store.workers(includeStopped: true, limit: 1).map(\.name) == ["new"])
        _ = old
    }

    @Test(arguments: StoreBackend.all)
    func aDeploymentsMaxActiveHoldsBackClaimsUntilARunFinishes(_ backend: StoreBackend) throws {
        let store = try subject(backend).store
        let deployment = try #require(try store.insertDeployment(
            NewDeployment(name: "one-at-a-time", flow: "etl", maxActive: 1), schedule: nil, isDefault: false, now: t0))
        func runNow(at time: Date) throws -> FlowRunRecord {
            try store.insertDeploymentRun(
                NewFlowRun(
                    flow: "etl", version: 1, parameters: ["n": .int(1)], state: RunState(.scheduled, at: time),
                    deploymentID: deployment.id, scheduledTime: time, pool: deployment.pool),
                given: [:])
        }
        let a = try runNow(at: t0)
        let b = try runNow(at: t0.addingTimeInterval(1))
        let w = try worker(store, "w")
        #expect(try claim(store, w, by: t0.addingTimeInterval(2))?.id == a.id)
        #expect(try claim(store, w, by: t0.addingTimeInterval(2)) == nil)
        #expect(try store.nextDueTime(pool: "default", project: nil) == nil, "a held-back run is not due")
        try store.finish(flowRunID: a.id, state: RunState(.completed))
        #expect(try claim(store, w, by: t0.addingTimeInterval(3))?.id == b.id)
        let states = try store.states(flowRunID: b.id).filter { $0.taskRunID == nil }.map(\.state.name)
        #expect(states == ["Scheduled", "Pending"])
    }

    /// A worker on another host works in its key's project: its claims, and the next due time it
    /// sleeps until, see that project's runs only.
    @Test(arguments: StoreBackend.all)
    func aClaimNamingAProjectTakesThatProjectsRunsOnly(_ backend: StoreBackend) throws {
        let store = try subject(backend).store
        #expect(try store.insertProject("analytics", at: t0))
        var theirs = sampleRegistration("bbbb")
        theirs.project = "analytics"
        _ = try store.register(theirs)
        let ours = try queued(store, due: t0)
        let analytics = try store.createFlowRun(NewFlowRun(
            flow: "etl", version: 1, parameters: [:], state: RunState(.scheduled, at: t0), scheduledTime: t0.addingTimeInterval(-5),
            pool: "default", project: "analytics"))
        let w = try worker(store, "remote")
        #expect(try store.nextDueTime(pool: "default", project: ProjectNames.default) == t0)
        #expect(try store.nextDueTime(pool: "default", project: "analytics") == t0.addingTimeInterval(-5))
        let claimed = try store.claimRun(RunClaim(pool: "default", project: ProjectNames.default, workerID: w.id, dueBy: t0, now: t0) {
            RunTransitions.claimed($0, now: self.t0)
        })
        #expect(claimed?.id == ours.id, "the earlier run of another project is not taken")
        #expect(try claim(store, w, by: t0)?.id == analytics.id, "a claim naming no project takes any")
    }

    /// The numbered batches of a remote worker's events: each applied once and in order, only while
    /// the attempt is the worker's, and once the run is over only its log lines.
    @Test(arguments: StoreBackend.all)
    func aNumberedBatchIsAppliedOnceInOrderAndOnlyByItsWorker(_ backend: StoreBackend) throws {
        let store = try subject(backend).store
        try queued(store, due: t0)
        let w = try worker(store, "remote")
        let other = try worker(store, "other")
        let run = try #require(try claim(store, w, by: t0))
        func log(_ text: String) -> RunEvent {
            .log(LogRecord(flowRunID: run.id, taskRunID: nil, taskRunName: nil, timestamp: t0, level: .info, message: text))
        }
        func batch(_ number: Int, worker: WorkerRecord? = nil, attempt: Int = 1) -> EventBatch {
            EventBatch(flowRunID: run.id, attempt: attempt, number: number, workerID: (worker ?? w).id)
        }
        let running = RunEvent.flowRunState(FlowRunStateChange(flowRunID: run.id, state: RunState(.running, at: t0)))
        #expect(try store.apply([running, log("one")], batch: batch(1)) == .applied)
        #expect(try store.apply([running, log("one")], batch: batch(1)) == .duplicate, "sent again after a lost answer")
        #expect(try store.apply([log("three")], batch: batch(3)) == .gap(expected: 2))
        if case .refused = try store.apply([log("two")], batch: batch(2, worker: other)) {} else { Issue.record("another worker's batch") }
        if case .refused = try store.apply([log("two")], batch: batch(2, attempt: 2)) {} else { Issue.record("another attempt's batch") }
        let done = RunEvent.flowRunState(FlowRunStateChange(flowRunID: run.id, state: RunState(.completed, at: t0.addingTimeInterval(1))))
        #expect(try store.apply([log("two"), done], batch: batch(2)) == .applied)
        if case .refused = try store.apply([running], batch: batch(3)) {} else { Issue.record("a state after the end") }
        #expect(try store.apply([log("trailing")], batch: batch(3)) == .applied, "log lines after the end are kept")
        #expect(try store.logs(flowRunID: run.id, afterID: 0, limit: 10).map(\.message) == ["one", "two", "trailing"])
        #expect(try store.flowRun(run.id, project: nil).state.type == .completed)
    }

    /// A process is stored with its host; one of another host is never judged by a pid of this one.
    @Test(arguments: StoreBackend.all)
    func aSupervisorIsRecordedWithItsHost(_ backend: StoreBackend) throws {
        let store = try subject(backend).store
        let run = try queued(store, due: t0)
        let elsewhere = ProcessIdentity(pid: 1, start: "12345", host: "gpu-7")
        try store.setSupervisor(flowRunID: run.id, process: elsewhere)
        #expect(try store.supervisor(of: run.id) == elsewhere)
        let w = try store.insertWorker(NewWorker(id: RunID.random(), name: "far", pool: "default", limit: 1, process: elsewhere, heartbeat: 2, now: t0))
        #expect(w.host == "gpu-7")
        #expect(w.heartbeatSeconds == 2)
        #expect(w.silentAfter() == t0.addingTimeInterval(6))
        #expect(w.silentAfter(watchedSince: t0.addingTimeInterval(100)) == t0.addingTimeInterval(106), "a new scheduler waits three periods")
    }

    /// A run cancelled between its claim and its supervisor's start (ended directly, having no
    /// supervisor to tell) takes no supervisor afterwards: its worker learns it is over and runs nothing.
    @Test(arguments: StoreBackend.all)
    func aRunCancelledBeforeItsSupervisorStartedTakesNone(_ backend: StoreBackend) throws {
        let store = try subject(backend).store
        let me = try worker(store, "w")
        try queued(store, due: t0)
        let run = try #require(try claim(store, me, by: t0))
        let cancel = try RunTransitions.cancel(run, supervisor: nil, supervisorAlive: false, now: t0)
        #expect(try store.updateFlowRun(run.id, if: cancel.guardedBy, cancel.change)?.state.type == .cancelled)
        #expect(throws: BatonError.self) { try store.setSupervisor(flowRunID: run.id, process: ProcessIdentity(pid: 1, start: "1", host: "far")) }
        #expect(try store.supervisor(of: run.id) == nil)
        #expect(try store.flowRun(run.id, project: nil).state.type == .cancelled)
        #expect(throws: BatonError.self) { try store.setSupervisor(flowRunID: "no-such-run", process: .current) }
    }
}
