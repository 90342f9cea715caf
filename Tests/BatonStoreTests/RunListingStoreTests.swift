import BatonCore
import BatonSchedule
import BatonTestSupport
import Foundation
import Testing

@testable import BatonStore

/// Listing runs past and upcoming, with the time given by the tests: a deployment of a one-minute
/// schedule whose scheduler last ran ten minutes before `now`, and a few runs made by hand.
@Suite struct RunListingStoreTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// The store, and the ids of the hand-made runs (newest first) and of the scheduled run that ran.
    func populated() throws -> (StoreFile, SQLiteStore, manual: [String], ranScheduled: String) {
        let file = try StoreFile()
        let store = try file.open()
        _ = try store.register(sampleRegistration("aaa"))
        let then = now.addingTimeInterval(-600)
        let schedule = ScheduleSpec(kind: "interval", intervalSeconds: 60, anchor: then)
        _ = try store.insertDeployment(NewDeployment(name: "tick", flow: "etl", schedule: schedule), schedule: schedule, isDefault: false, now: then)
        _ = try Scheduler(store: store).pass(now: then)
        // Two runs by hand: one that ended, one still running; and one scheduled run that ran.
        func made(at offset: Double, ending: Bool) throws -> String {
            let run = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:], state: RunState(.pending, at: now.addingTimeInterval(offset))))
            try store.apply([.flowRunState(FlowRunStateChange(flowRunID: run.id, state: RunState(.running, at: now.addingTimeInterval(offset + 10))))])
            if ending {
                try store.apply([.flowRunState(FlowRunStateChange(flowRunID: run.id, state: RunState(.completed, at: now.addingTimeInterval(offset + 20))))])
            }
            return run.id
        }
        let ended = try made(at: -300, ending: true)
        let running = try made(at: -100, ending: false)
        let ran = try #require(try store.flowRuns(FlowRunQuery(deployment: "tick", limit: 1000), now: now).first {
            $0.scheduledTime == now.addingTimeInterval(-480)
        })
        try store.apply([
            .flowRunState(FlowRunStateChange(flowRunID: ran.id, state: RunState(.running, at: now.addingTimeInterval(-470)))),
            .flowRunState(FlowRunStateChange(flowRunID: ran.id, state: RunState(.completed, at: now.addingTimeInterval(-460)))),
        ])
        return (file, store, [running, ended], ran.id)
    }

    @Test func pastRunsAreThoseThatStartedEndedOrAreDueNewestFirstByStartTime() throws {
        let (_, store, manual, ran) = try populated()
        let past = try store.flowRuns(FlowRunQuery(when: .past, limit: 1000), now: now)
        // Nine minutes of fire times up to now (the one at `now` is due), and the two by hand.
        #expect(past.count == 12)
        #expect(past.allSatisfy { !RunTiming.isUpcoming($0.state, startTime: $0.startTime, scheduledTime: $0.scheduledTime, now: now) })
        let times = past.map(\.listTime)
        #expect(times == times.sorted(by: >), "\(times)")
        #expect(past.contains { $0.id == ran } && manual.allSatisfy { id in past.contains { $0.id == id } })
        // The run started 90 s ago comes after the fire time at `now` and the one a minute before.
        #expect(past.map(\.id).firstIndex(of: manual[0]) == 2)
    }

    @Test func upcomingRunsAreThoseScheduledAheadSoonestFirst() throws {
        let (_, store, _, _) = try populated()
        let upcoming = try store.flowRuns(FlowRunQuery(when: .upcoming, limit: 1000), now: now)
        #expect(upcoming.count == 50)
        let times = upcoming.compactMap(\.scheduledTime)
        #expect(times.count == 50 && times == times.sorted() && times.first == now.addingTimeInterval(60))
        #expect(upcoming.allSatisfy { $0.state.name == "Scheduled" && $0.startTime == nil })
        let all = try store.flowRuns(FlowRunQuery(when: .all, limit: 1000), now: now)
        #expect(all.count == 62)
        #expect(Set(all.map(\.id)) == Set(upcoming.map(\.id) + (try store.flowRuns(FlowRunQuery(when: .past, limit: 1000), now: now)).map(\.id)))
    }

    @Test func scheduledRunsPastTheGraceReadAsLateWithNoSchedulerRunning() throws {
        let (_, store, _, _) = try populated()
        let past = try store.flowRuns(FlowRunQuery(deployment: "tick", when: .past, limit: 1000), now: now)
        let byOffset = Dictionary(uniqueKeysWithValues: past.map { (Int($0.scheduledTime!.timeIntervalSince(now)), $0.state.name) })
        #expect(byOffset == [
            -540: "Late", -480: "Completed", -420: "Late", -360: "Late", -300: "Late", -240: "Late", -180: "Late", -120: "Late",
            -60: "Scheduled", 0: "Scheduled",
        ])
        // Nothing was stored: the history still ends in Scheduled.
        let late = try #require(past.first { $0.state.name == "Late" })
        #expect(try store.states(flowRunID: late.id).last?.state.name == "Scheduled")
        #expect(late.state.message?.contains("not started within 60 s of its scheduled time") == true)
        #expect(try store.lateRuns(limit: 100, now: now).map(\.id) == past.filter { $0.state.name == "Late" }.map(\.id))
        #expect(try store.metrics(now: now).lateRuns == 7)
        // A scheduler pass records the same runs as Late, once.
        #expect(try Scheduler(store: store).pass(now: now).late == 7)
        #expect(try Scheduler(store: store).pass(now: now).late == 0)
        #expect(try store.states(flowRunID: late.id).last?.state.name == "Late")
    }

    @Test func pagesFollowEachOtherWithoutGapsOrRepeats() throws {
        let (_, store, _, _) = try populated()
        for when in [RunWhen.past, .upcoming, .all] {
            let whole = try store.flowRuns(FlowRunQuery(when: when, limit: 1000), now: now).map(\.id)
            var paged: [String] = []
            var cursor: RunCursor?
            repeat {
                let page = try store.flowRuns(FlowRunQuery(after: cursor, when: when, limit: 7), now: now)
                paged += page.map(\.id)
                cursor = page.count == 7 ? RunCursor(page.last!, in: when) : nil
            } while cursor != nil
            #expect(paged == whole, "\(when)")
        }
    }

    @Test func sinceAndUntilAndTheDashboardCountRunsByWhenTheyRan() throws {
        let (_, store, _, _) = try populated()
        let recent = try store.flowRuns(FlowRunQuery(since: now.addingTimeInterval(-150), when: .past, limit: 1000), now: now)
        #expect(recent.map { Int($0.listTime.timeIntervalSince(now)) } == [0, -60, -90, -120])
        let before = try store.flowRuns(FlowRunQuery(until: now.addingTimeInterval(-420), when: .past, limit: 1000), now: now)
        #expect(before.map { Int($0.listTime.timeIntervalSince(now)) } == [-470, -540])

        let counts = try store.dashboardCounts(since: now.addingTimeInterval(-5400), hours: 3, now: now)
        #expect(counts.byState == ["completed": 2, "running": 1, "scheduled": 9])
        #expect(counts.hourly.map { $0.values.reduce(0, +) } == [0, 12, 0])
        let upcoming = try store.upcomingRuns(limit: 3, now: now)
        #expect(upcoming.count == 50 && upcoming.runs.count == 3)
    }

    @Test func theListingsWalkAnIndexInsteadOfSortingEveryRun() throws {
        let (_, store, _, _) = try populated()
        let plans = try store.withConnection { db in
            // As a project's listing asks: every one names the project.
            try ["", "f.name = 'etl' AND", "r.state_type = 'completed' AND", "d.name = 'tick' AND"].map { filter in
                try db.query(
                    """
                    EXPLAIN QUERY PLAN SELECT \(SQLiteStore.runColumns) WHERE r.project_id = \(SQLiteStore.projectIDSQL) AND \(filter)
                    NOT \(SQLiteStore.upcomingSQL) ORDER BY \(SQLiteStore.listTimeSQL) DESC, r.id DESC LIMIT 50
                    """, [.text(ProjectNames.default), now.sqlValue]
                ) { $0.text(3) }.joined(separator: "; ")
            }
        }
        for plan in plans {
            #expect(!plan.contains("TEMP B-TREE"), "\(plan)")
        }
    }
}
