import Foundation
import Testing

@testable import BatonCore

/// The rules every listing reads a run's time by: where it is placed, whether it is upcoming, and
/// when a scheduled run reads as Late.
@Suite struct RunTimingTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func shown(_ state: RunState, scheduled: Double, created: Double? = nil, ofDeployment: Bool = true) -> String {
        let scheduledTime = now.addingTimeInterval(scheduled)
        let createdAt = now.addingTimeInterval(created ?? min(scheduled, 0) - 3600)
        return RunTiming.shownState(state, scheduledTime: scheduledTime, createdAt: createdAt, ofDeployment: ofDeployment, now: now).name
    }

    @Test func aScheduledRunPastItsTimeByMoreThanTheGraceReadsAsLate() {
        #expect(shown(RunState(.scheduled), scheduled: -61) == "Late")
        #expect(shown(RunState(.scheduled), scheduled: -3 * 86_400) == "Late")
    }

    @Test func aScheduledRunWithinTheGraceOrAheadStaysScheduled() {
        #expect(shown(RunState(.scheduled), scheduled: -60) == "Scheduled")
        #expect(shown(RunState(.scheduled), scheduled: -5) == "Scheduled")
        #expect(shown(RunState(.scheduled), scheduled: 600) == "Scheduled")
    }

    @Test func onlyPlainlyScheduledRunsOfDeploymentsTurnLate() {
        #expect(shown(RunState(.scheduled, name: "AwaitingRetry"), scheduled: -600) == "AwaitingRetry")
        #expect(shown(RunState(.pending), scheduled: -600) == "Pending")
        #expect(shown(RunState(.completed), scheduled: -600) == "Completed")
        #expect(shown(RunState(.scheduled), scheduled: -600, ofDeployment: false) == "Scheduled")
    }

    @Test func aBackfilledRunMadeAfterItsTimeIsNotLate() {
        #expect(shown(RunState(.scheduled), scheduled: -86_400, created: -60) == "Scheduled")
        #expect(shown(RunState(.scheduled), scheduled: -600, created: -600 + 60) == "Late")
    }

    @Test func theLateStateSaysSinceWhenAndWhy() {
        let scheduled = now.addingTimeInterval(-600)
        let late = RunTiming.shownState(RunState(.scheduled), scheduledTime: scheduled, createdAt: scheduled.addingTimeInterval(-60), ofDeployment: true, now: now)
        #expect(late.type == .scheduled)
        #expect(late.timestamp == scheduled.addingTimeInterval(RunTiming.lateGrace))
        #expect(late.message == "not started within 60 s of its scheduled time \(Timestamps.iso(scheduled))")
    }

    @Test func upcomingMeansScheduledAheadAndNeverStarted() {
        let ahead = now.addingTimeInterval(60)
        #expect(RunTiming.isUpcoming(RunState(.scheduled), startTime: nil, scheduledTime: ahead, now: now))
        #expect(!RunTiming.isUpcoming(RunState(.scheduled), startTime: nil, scheduledTime: now, now: now))
        #expect(!RunTiming.isUpcoming(RunState(.scheduled, name: "AwaitingRetry"), startTime: now.addingTimeInterval(-5), scheduledTime: ahead, now: now))
        #expect(!RunTiming.isUpcoming(RunState(.pending), startTime: nil, scheduledTime: ahead, now: now))
        #expect(!RunTiming.isUpcoming(RunState(.scheduled), startTime: nil, scheduledTime: nil, now: now))
    }

    @Test func aRunIsListedAtItsStartElseItsScheduledTimeElseItsCreation() {
        let (a, b, c) = (now, now.addingTimeInterval(-10), now.addingTimeInterval(-20))
        #expect(RunTiming.listTime(startTime: a, scheduledTime: b, createdAt: c) == a)
        #expect(RunTiming.listTime(startTime: nil, scheduledTime: b, createdAt: c) == b)
        #expect(RunTiming.listTime(startTime: nil, scheduledTime: nil, createdAt: c) == c)
    }
}
