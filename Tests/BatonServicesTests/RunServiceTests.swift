import BatonCore
import BatonProcess
import BatonServices
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// Making runs and their new attempts, and cancelling them, through a real SQLite store.
@Suite struct RunServiceTests {
    let t0 = RunFixture.t0

    func expectRefusal(_ code: BatonError.Code, saying text: String, field: String? = nil, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected a refusal saying \(text)")
        } catch let error as BatonError {
            #expect(error.code == code)
            #expect(error.message.contains(text), "\(error.message)")
            if let field { #expect(error.field == field) }
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aNewRunHereIsPendingSupervisedByThisProcessWithItsParametersResolved() throws {
        let fixture = try RunFixture()
        let started = try fixture.services.runs.create(flow: "etl", .latest, given: [:], .here, fixture.caller)
        let run = try fixture.store.flowRun(started.run.id)
        #expect(run.state.type == .pending && run.pool == nil)
        #expect(run.parameters == ["n": .int(1)], "defaults are filled in")
        #expect(try fixture.store.supervisor(of: run.id) == .current)
        #expect(ProcessLock.isHeld(path: fixture.home.locksPath + "/run-\(run.id)-1.lock") == true, "its lock is taken before it exists")
    }

    @Test func aQueuedRunIsScheduledNowForItsPoolAndWakesTheWorkers() throws {
        let fixture = try RunFixture(pool: "main")
        let doorbell = try fixture.store.doorbell()
        let mine = try fixture.services.runs.create(flow: "etl", .number(1), given: ["n": .int(5)], .queue(pool: nil), fixture.caller)
        #expect(mine.run.state == "scheduled" && mine.run.pool == "main" && mine.run.parameters == ["n": .int(5)])
        #expect(mine.run.scheduledTime == t0)
        #expect(doorbell.drain().contains("runs"))
        let gpu = try fixture.services.runs.create(flow: "etl", .latest, given: [:], .queue(pool: "gpu"), fixture.caller)
        #expect(gpu.run.pool == "gpu")
    }

    @Test func badInputIsRefusedBeforeAnythingIsStored() throws {
        let fixture = try RunFixture()
        expectRefusal(.notFound, saying: "nope") { _ = try fixture.services.runs.create(flow: "nope", .latest, given: [:], .here, fixture.caller) }
        expectRefusal(.notFound, saying: "no version 9") {
            _ = try fixture.services.runs.create(flow: "etl", .number(9), given: [:], .here, fixture.caller)
        }
        expectRefusal(.invalidParameter, saying: "n") {
            _ = try fixture.services.runs.create(flow: "etl", .latest, given: ["n": .string("three")], .queue(pool: nil), fixture.caller)
        }
        expectRefusal(.invalidInput, saying: "pool name 'bad pool' is not valid", field: "pool") {
            _ = try fixture.services.runs.create(flow: "etl", .latest, given: [:], .queue(pool: "bad pool"), fixture.caller)
        }
        #expect(try fixture.store.flowRuns(FlowRunQuery(when: .all)).isEmpty)
    }

    @Test func aRerunTakesTheOriginalsParametersOnItsVersionOrAnotherAndSaysWhenTheyDoNotFit() throws {
        let fixture = try RunFixture()
        let original = try fixture.run(.completed, pool: "gpu", parameters: ["n": .int(3)])
        let again = try fixture.services.runs.rerun(original.name, nil, .queue(pool: nil), fixture.caller).run
        #expect(again.version == 1 && again.parameters == ["n": .int(3)] && again.rerunOf == original.id && again.pool == "gpu")

        var strict = sampleRegistration("bbbb")
        strict.manifest.flows[0].parameters = try JSONValue(json: #"{"type":"object","properties":{"m":{"type":"string"}}}"#)
        _ = try fixture.store.register(strict)
        expectRefusal(.invalidParameter, saying: "the parameters of run '\(original.name)' do not fit version 2") {
            _ = try fixture.services.runs.rerun(original.id, .latest, .here, fixture.caller)
        }
        let onOne = try fixture.services.runs.rerun(original.id, .number(1), .here, fixture.caller).run
        #expect(onOne.version == 1 && onOne.state == "pending")
    }

    @Test func aResumeIsTheNextAttemptNamedResumingHereOrQueued() throws {
        let fixture = try RunFixture()
        let failed = try fixture.run(.failed)
        let here = try fixture.services.runs.resume(failed.id, .here, fixture.caller)
        #expect(here.run.attempt == 2 && here.run.state == "pending" && here.run.stateName == StateName.resuming)
        #expect(here.reusable == 0)
        #expect(try fixture.store.supervisor(of: failed.id) == .current)
        #expect(try fixture.store.flowRun(failed.id).reusesCompletedResults)

        let crashed = try fixture.run(.crashed, supervisor: RunFixture.gone, pool: "gpu")
        let queued = try fixture.services.runs.resume(crashed.id, .queue(pool: nil), fixture.caller).run
        #expect(queued.attempt == 2 && queued.state == "scheduled" && queued.stateName == StateName.resuming && queued.pool == "gpu")
        #expect(try fixture.store.supervisor(of: crashed.id) == nil, "the earlier attempt's supervisor is no one to watch")

        expectRefusal(.invalidInput, saying: "is pending; only a failed, crashed or cancelled run can be resumed") {
            _ = try fixture.services.runs.resume(failed.id, .here, fixture.caller)
        }
    }

    @Test func cancellingStopsARunThroughItsLiveSupervisorOrEndsItAtOnce() throws {
        let fixture = try RunFixture()
        // This process is the live supervisor; listening for nudges makes it ignore the one sent.
        let token = Nudge.add {}
        defer { Nudge.remove(token) }
        let running = try fixture.run(.running, supervisor: .current)
        #expect(try fixture.services.runs.cancel(running.id, fixture.caller).state.type == .cancelling)
        #expect(try fixture.services.runs.cancel(running.id, fixture.caller).state.type == .cancelling, "asking again keeps it cancelling")

        let orphan = try fixture.run(.running, supervisor: RunFixture.gone)
        let ended = try fixture.services.runs.cancel(orphan.id, fixture.caller)
        #expect(ended.state == RunState(.cancelled, message: "cancelled before its runner stopped by itself", at: t0))
        let pending = try fixture.run(.pending)
        #expect(try fixture.services.runs.cancel(pending.name, wait: 60, fixture.caller).state.type == .cancelled)

        expectRefusal(.invalidInput, saying: "is already cancelled") { _ = try fixture.services.runs.cancel(pending.id, fixture.caller) }
    }

    @Test func listingPagesCarryTheCursorOfTheNextPage() throws {
        let fixture = try RunFixture()
        for _ in 0..<3 { _ = try fixture.run(.completed) }
        let first = try fixture.services.runs.list(FlowRunQuery(limit: 2), fixture.caller)
        #expect(first.runs.count == 2)
        let cursor = try #require(first.nextCursor.flatMap(RunCursor.init(text:)))
        var query = FlowRunQuery(limit: 2)
        query.after = cursor
        let second = try fixture.services.runs.list(query, fixture.caller)
        #expect(second.runs.count == 1 && second.nextCursor == nil)
        #expect(Set(first.runs.map(\.id) + second.runs.map(\.id)).count == 3)
    }
}
