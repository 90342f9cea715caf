import BatonCore
import Foundation
import Testing

/// The rules for moving a run outside its engine: each gives a guard and a change, or a refusal.
@Suite struct RunTransitionsTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let process = ProcessIdentity(pid: 42, start: "100")

    func run(_ type: StateType, name: String? = nil, attempt: Int = 1, pool: String? = nil) -> FlowRunRecord {
        FlowRunRecord(
            id: "r1", name: "brave-otter", flow: "etl", version: 1, state: RunState(type, name: name, at: now), parameters: [:],
            result: nil, createdAt: now, startTime: nil, endTime: nil, attempt: attempt, rerunOf: nil, pool: pool)
    }

    @Test func aResumeHereIsPendingResumingSupervisedAndGuardedByItsAttempt() throws {
        let transition = try RunTransitions.resume(run(.failed, attempt: 2), queuedTo: nil, supervisor: process, now: now)
        #expect(transition.guardedBy == RunGuard(states: [.failed, .crashed, .cancelled], attempt: 2))
        #expect(transition.change.state == RunState(.pending, name: StateName.resuming, message: "attempt 3", at: now))
        #expect(transition.change.attempt == 3)
        #expect(transition.change.supervisor == .set(process))
        #expect(try RunTransitions.resume(run(.crashed), queuedTo: nil, now: now).change.supervisor == .clear)
    }

    @Test func aQueuedResumeIsScheduledNowForItsOwnPoolOrTheOneGiven() throws {
        let own = try RunTransitions.resume(run(.cancelled, pool: "gpu"), queuedTo: "default", now: now).change
        #expect(own.state?.type == .scheduled && own.state?.name == StateName.resuming)
        #expect(own.pool == "gpu" && own.scheduledTime == now && own.workerID == .clear && own.supervisor == .clear)
        #expect(try RunTransitions.resume(run(.crashed), queuedTo: "default", now: now).change.pool == "default")
    }

    @Test func onlyAFailedCrashedOrCancelledRunIsResumed() {
        for type in [StateType.completed, .running, .pending, .scheduled, .cancelling] {
            #expect(throws: BatonError.self) { try RunTransitions.resume(run(type), queuedTo: nil, now: now) }
        }
        do {
            _ = try RunTransitions.resume(run(.completed), queuedTo: nil, now: now)
        } catch let error as BatonError {
            #expect(error.code == .invalidInput)
            #expect(error.message == "flow run 'brave-otter' is completed; only a failed, crashed or cancelled run can be resumed")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aRunningRunWithALiveSupervisorIsCancellingElseCancelledAtOnce() throws {
        let asked = try RunTransitions.cancel(run(.running), supervisor: process, supervisorAlive: true, now: now)
        #expect(asked.change.state == RunState(.cancelling, message: "cancellation requested", at: now))
        #expect(!asked.change.releaseSlots)
        #expect(asked.guardedBy == RunGuard(states: [.running], attempt: 1, supervisor: .exactly(process)))

        for (state, supervisor, alive) in [(StateType.running, process, false), (.pending, process, true), (.scheduled, nil, false)] {
            let ended = try RunTransitions.cancel(run(state), supervisor: supervisor, supervisorAlive: alive, now: now)
            #expect(ended.change.state == RunState(.cancelled, message: "cancelled before its runner stopped by itself", at: now))
            #expect(ended.change.releaseSlots)
        }
        #expect(throws: BatonError.self) { try RunTransitions.cancel(run(.completed), supervisor: nil, supervisorAlive: false, now: now) }
    }

    @Test func aClaimKeepsResumingAndOtherwiseNamesThePendingState() {
        #expect(RunTransitions.claimed(RunState(.scheduled, name: StateName.resuming), now: now).name == StateName.resuming)
        for name in [StateName.scheduled, StateName.awaitingRetry, StateName.late] {
            let claimed = RunTransitions.claimed(RunState(.scheduled, name: name), now: now)
            #expect(claimed == RunState(.pending, name: StateName.pending, message: "claimed by a worker", at: now))
        }
    }

    @Test func aCrashedRunRetriesWhileItsFlowHasRetriesLeft() throws {
        let options = FlowOptionsSpec(retries: 1)
        let retry = try #require(RunTransitions.retry(run(.crashed, attempt: 1), options: options, pool: "default", now: now, random: 0.5))
        #expect(retry.guardedBy == RunGuard(states: [.crashed], attempt: 1))
        #expect(retry.change.state?.name == StateName.awaitingRetry)
        #expect(retry.change.state?.message?.hasPrefix("attempt 1 of 2 crashed") == true)
        #expect(retry.change.attempt == 2 && retry.change.pool == "default" && retry.change.workerID == .clear)
        #expect(RunTransitions.retry(run(.crashed, attempt: 2), options: options, pool: "default", now: now, random: 0.5) == nil)
        #expect(RunTransitions.retry(run(.failed), options: options, pool: "default", now: now, random: 0.5) == nil)
        #expect(RunTransitions.retry(run(.crashed), options: options, pool: nil, now: now, random: 0.5) == nil, "no pool to go to")
    }

    @Test func anOrphanIsTakenOnlyFromTheSupervisorThatDiedAtItsAttempt() {
        let supervised = SupervisedRun(flowRunID: "r1", attempt: 2, supervisor: process)
        let transition = RunTransitions.orphanCrash(supervised)
        #expect(transition.change == RunChange(supervisor: .clear))
        let guardedBy = transition.guardedBy
        #expect(guardedBy.admits(state: .running, stateName: "Running", attempt: 2, workerID: nil, supervisor: process))
        #expect(!guardedBy.admits(state: .running, stateName: "Running", attempt: 3, workerID: nil, supervisor: process))
        #expect(!guardedBy.admits(state: .completed, stateName: "Completed", attempt: 2, workerID: nil, supervisor: process))
        #expect(!guardedBy.admits(
            state: .running, stateName: "Running", attempt: 2, workerID: nil, supervisor: ProcessIdentity(pid: 42, start: "999")))
        #expect(RunTransitions.orphanMessage(supervised, workerGoneReason: nil).hasPrefix("its supervisor (pid 42) is gone"))
        #expect(RunTransitions.orphanMessage(supervised, workerGoneReason: "its worker stopped") == "its worker stopped")
    }
}
