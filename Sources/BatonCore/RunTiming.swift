import Foundation

/// Which runs a listing holds.
public enum RunWhen: String, Sendable, CaseIterable {
    /// Runs that started, ended or are due: everything but `upcoming`. Newest first by ``RunTiming/listTime``.
    case past
    /// Runs scheduled for a time still ahead that have not started. Soonest first by scheduled time.
    case upcoming
    /// Both, newest first by ``RunTiming/listTime``.
    case all
}

/// The rules of a run's time as every listing reads it: when it is placed, whether it is still
/// ahead, and when a scheduled run reads as `Late`. The store's queries, the API, the CLI and the UI
/// use these (the store's SQL spells `listTime` once, next to its queries).
public enum RunTiming {
    /// How long after its scheduled time a deployment's run may wait to start before it reads as
    /// `Late`, unless a scheduler is given another grace.
    public static let lateGrace: TimeInterval = 60

    /// The time a listing shows a run at and orders it by: when it started; before that, when it
    /// was scheduled for; for a run with neither, when it was made.
    public static func listTime(startTime: Date?, scheduledTime: Date?, createdAt: Date) -> Date {
        startTime ?? scheduledTime ?? createdAt
    }

    /// Whether a run is upcoming at `now`: scheduled for a later time and never started (a run
    /// awaiting a retry has started, so it is past).
    public static func isUpcoming(_ state: RunState, startTime: Date?, scheduledTime: Date?, now: Date) -> Bool {
        guard state.type == .scheduled, startTime == nil, let scheduledTime else { return false }
        return scheduledTime > now
    }

    /// The state a run reads as at `now`: a deployment's run still plainly `Scheduled` more than
    /// `grace` after its time reads as `Late`, whether or not a scheduler has marked it so yet. A run
    /// made after its time (a backfill) was asked for late and is not late.
    public static func shownState(
        _ state: RunState, scheduledTime: Date?, createdAt: Date, ofDeployment: Bool, now: Date, grace: TimeInterval = lateGrace
    ) -> RunState {
        guard let scheduledTime, isLate(state, scheduledTime: scheduledTime, createdAt: createdAt, ofDeployment: ofDeployment, now: now, grace: grace)
        else { return state }
        return lateState(scheduledTime: scheduledTime, grace: grace, at: scheduledTime.addingTimeInterval(grace))
    }

    /// Whether `shownState` turns this run `Late`.
    public static func isLate(
        _ state: RunState, scheduledTime: Date, createdAt: Date, ofDeployment: Bool, now: Date, grace: TimeInterval = lateGrace
    ) -> Bool {
        state.type == .scheduled && state.name == StateType.scheduled.defaultName && ofDeployment
            && now.timeIntervalSince(scheduledTime) > grace && createdAt.timeIntervalSince(scheduledTime) <= grace
    }

    /// The `Late` state of a run scheduled for `scheduledTime`, entered at `at`.
    public static func lateState(scheduledTime: Date, grace: TimeInterval, at: Date) -> RunState {
        RunState(
            .scheduled, name: StateName.late,
            message: "not started within \(Int(grace)) s of its scheduled time \(Timestamps.iso(scheduledTime))", at: at)
    }
}

extension FlowRunRecord {
    /// See ``RunTiming/listTime(startTime:scheduledTime:createdAt:)``.
    public var listTime: Date { RunTiming.listTime(startTime: startTime, scheduledTime: scheduledTime, createdAt: createdAt) }

    /// The run as it reads at `now`: its state through ``RunTiming/shownState``.
    public func shown(now: Date = Date()) -> FlowRunRecord {
        var run = self
        run.state = RunTiming.shownState(state, scheduledTime: scheduledTime, createdAt: createdAt, ofDeployment: deployment != nil, now: now)
        return run
    }
}

extension RunView {
    /// See ``RunTiming/listTime(startTime:scheduledTime:createdAt:)``.
    public var listTime: Date { RunTiming.listTime(startTime: startTime, scheduledTime: scheduledTime, createdAt: createdAt) }
}
