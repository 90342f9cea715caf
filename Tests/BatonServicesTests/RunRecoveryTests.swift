import BatonCore
import BatonProcess
import BatonServices
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// Runs whose process died: crashed by whoever notices first, and retried when their flow retries.
@Suite struct RunRecoveryTests {
    let t0 = RunFixture.t0

    @Test func anOrphanedRunIsCrashedOnceAndRetriedForThePoolWhenItsFlowRetries() throws {
        let fixture = try RunFixture(retries: 1)
        let orphan = try fixture.run(.running, supervisor: RunFixture.gone)
        let watched = try fixture.run(.running, supervisor: .current)
        let recovered = try fixture.services.runs.sweepOrphans(pool: "default", fixture.caller)
        #expect(recovered.map(\.run.id) == [orphan.id])
        #expect(recovered.first?.retried == true)
        let retried = try fixture.store.flowRun(orphan.id)
        #expect(retried.state.type == .scheduled && retried.state.name == StateName.awaitingRetry)
        #expect(retried.attempt == 2 && retried.pool == "default")
        let history = try fixture.store.states(flowRunID: orphan.id).filter { $0.taskRunID == nil }.map(\.state)
        #expect(history.map(\.name) == ["Running", "Crashed", "AwaitingRetry"])
        #expect(history[1].message?.hasPrefix("its supervisor (pid \(RunFixture.gone.pid)) is gone") == true)
        #expect(try fixture.services.runs.sweepOrphans(pool: "default", fixture.caller).isEmpty, "a second sweep finds nothing")
        #expect(try fixture.store.flowRun(watched.id).state.type == .running, "a run whose supervisor lives is left alone")
        #expect(RunService.summary(recovered) == "1 run(s) whose supervisor is gone crashed: '\(orphan.name)' (retried)")
    }

    @Test func ofTwoProcessesSweepingAtOnceEachOrphanIsCrashedAndRetriedByOne() throws {
        let fixture = try RunFixture(retries: 3)
        let orphans = try (0..<20).map { _ in try fixture.run(.running, supervisor: RunFixture.gone) }
        let sweepers = [fixture.services, try fixture.secondServices(), try fixture.secondServices()]
        let recovered = Locked<[String]>([])
        let failures = Locked<[String]>([])
        let start = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        let caller = fixture.caller
        for services in sweepers {
            DispatchQueue.global().async(group: group) {
                start.wait()
                do {
                    let mine = try services.runs.sweepOrphans(pool: "default", caller)
                    recovered.withLock { $0 += mine.map(\.run.id) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        for _ in sweepers { start.signal() }
        group.wait()
        #expect(failures.withLock { $0 } == [])
        #expect(recovered.withLock { $0 }.sorted() == orphans.map(\.id).sorted())
        for orphan in orphans {
            let history = try fixture.store.states(flowRunID: orphan.id).filter { $0.taskRunID == nil }.map(\.state.name)
            #expect(history == ["Running", "Crashed", "AwaitingRetry"])
        }
    }

    @Test func aDeadWorkersRunsCrashAndAreRetriedWhenTheFlowAllows() throws {
        let fixture = try RunFixture(retries: 1)
        let workers = fixture.services.workers
        let run = try fixture.run(.scheduled, pool: "default")
        let doomed = try workers.register(id: RunID.random(), name: "doomed", pool: "default", limit: 1, fixture.caller)
        #expect(try workers.claim(pool: "default", workerID: doomed.id, dueBy: t0, fixture.caller)?.id == run.id)
        try fixture.store.apply([.flowRunState(FlowRunStateChange(flowRunID: run.id, state: RunState(.running, at: t0)))])

        fixture.clock.withLock { $0 = t0.addingTimeInterval(5) }
        #expect(try workers.reap(doomed.id, reason: "its process is gone", fixture.caller) == [run.id])
        var retried = try fixture.store.flowRun(run.id)
        #expect(retried.state.type == .scheduled)
        #expect(retried.state.name == "AwaitingRetry")
        #expect(retried.attempt == 2)
        #expect(retried.workerID == nil)
        #expect(try workers.record(doomed.id, fixture.caller)?.stoppedAt != nil)

        // The second attempt crashes too: no retries are left.
        let next = try workers.register(id: RunID.random(), name: "next", pool: "default", limit: 1, fixture.caller)
        _ = try workers.claim(pool: "default", workerID: next.id, dueBy: t0.addingTimeInterval(10), fixture.caller)
        _ = try workers.reap(next.id, reason: "its process is gone", fixture.caller)
        retried = try fixture.store.flowRun(run.id)
        #expect(retried.state.type == .crashed)
        let history = try fixture.store.states(flowRunID: run.id).filter { $0.taskRunID == nil }.map(\.state.name)
        #expect(history == ["Scheduled", "Pending", "Running", "Crashed", "AwaitingRetry", "Pending", "Crashed"])
    }

    @Test func aResumedRunKeepsItsNameWhenClaimedSoItsResultsAreReused() throws {
        let fixture = try RunFixture()
        let failed = try fixture.run(.failed)
        _ = try fixture.services.runs.resume(failed.id, .queue(pool: "default"), fixture.caller)
        let worker = try fixture.services.workers.register(id: RunID.random(), name: "w", pool: "default", limit: 1, fixture.caller)
        let claimed = try #require(try fixture.services.workers.claim(pool: "default", workerID: worker.id, dueBy: t0, fixture.caller))
        #expect(claimed.state.type == .pending && claimed.state.name == StateName.resuming && claimed.reusesCompletedResults)
    }

    @Test func aWorkerOfABadPoolIsRefused() throws {
        let fixture = try RunFixture()
        #expect(throws: BatonError.self) {
            try fixture.services.workers.register(id: RunID.random(), name: "w", pool: "bad pool", limit: 1, fixture.caller)
        }
        #expect(try fixture.services.workers.list(fixture.caller).isEmpty)
    }
}
