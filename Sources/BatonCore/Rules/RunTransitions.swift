import Foundation

/// The transitions a flow run makes outside its engine (resumed, cancelled, claimed, retried after a
/// crash, crashed when its supervisor died), each written once: a guard the stored run must still
/// meet and the change to make, or a refusal with the message a user sees. The application layer
/// hands the pair to `RunStore.updateFlowRun(_:if:_:)`; no store decides a transition itself.
public enum RunTransitions {
    /// The states a run can be resumed from.
    public static let resumable: Set<StateType> = [.failed, .crashed, .cancelled]

    /// Takes a failed, crashed or cancelled run up again as its next attempt, named `Resuming` so that
    /// its executor reuses the completed task results (``FlowRunRecord/reusesCompletedResults``).
    /// Here (`queuedTo` nil) it becomes `pending`, supervised by `supervisor` (a process that already
    /// holds the new attempt's lock) or by nobody yet; queued it becomes `scheduled`, due `now`, for
    /// the workers of its pool (or of `queuedTo` when it had none). Guarded by its attempt, so of two
    /// resumes of one run one wins.
    public static func resume(
        _ run: FlowRunRecord, queuedTo pool: String?, supervisor: ProcessIdentity? = nil, now: Date
    ) throws -> RunTransition {
        guard resumable.contains(run.state.type) else {
            throw BatonError(
                .invalidInput,
                "flow run '\(run.name)' is \(run.state.type.rawValue); only a failed, crashed or cancelled run can be resumed")
        }
        let message = "attempt \(run.attempt + 1)"
        let guardedBy = RunGuard(states: resumable, attempt: run.attempt)
        guard let pool else {
            // The earlier attempt's supervisor is no one to watch for this one.
            return RunTransition(
                guardedBy,
                RunChange(
                    state: RunState(.pending, name: StateName.resuming, message: message, at: now), attempt: run.attempt + 1,
                    supervisor: supervisor.map { .set($0) } ?? .clear))
        }
        return RunTransition(
            guardedBy,
            RunChange(
                state: RunState(.scheduled, name: StateName.resuming, message: message, at: now), attempt: run.attempt + 1,
                workerID: .clear, pool: run.pool ?? pool, scheduledTime: now, supervisor: .clear))
    }

    /// The refusal when another process resumed a run between reading and resuming it.
    public static func resumedMeanwhile(_ run: FlowRunRecord) -> BatonError {
        BatonError(.conflict, "flow run '\(run.name)' was resumed by another process meanwhile")
    }

    /// Asks a run to stop: `cancelling` when it runs (or is already cancelling) and its supervisor
    /// lives to stop its runner, else `cancelled` at once with its slots given back. Guarded by the
    /// state and supervisor read, so a run that moved meanwhile is read again and decided again.
    public static func cancel(
        _ run: FlowRunRecord, supervisor: ProcessIdentity?, supervisorAlive: Bool, now: Date
    ) throws -> RunTransition {
        guard !run.state.type.isFinal else {
            throw BatonError(.invalidInput, "flow run '\(run.name)' is already \(run.state.type.rawValue)")
        }
        let guardedBy = RunGuard(
            states: [run.state.type], attempt: run.attempt, supervisor: supervisor.map { .exactly($0) } ?? .none)
        if run.state.type == .running || run.state.type == .cancelling, supervisor != nil, supervisorAlive {
            return RunTransition(guardedBy, RunChange(state: RunState(.cancelling, message: "cancellation requested", at: now)))
        }
        return RunTransition(
            guardedBy,
            RunChange(state: RunState(.cancelled, message: "cancelled before its runner stopped by itself", at: now), releaseSlots: true))
    }

    /// The state a queued run takes when a worker claims it: `pending`, keeping the name `Resuming` of
    /// a resumed run (so its executor reuses completed results), else named `Pending`.
    public static func claimed(_ state: RunState, now: Date) -> RunState {
        RunState(
            .pending, name: state.name == StateName.resuming ? StateName.resuming : StateName.pending, message: "claimed by a worker",
            at: now)
    }

    /// Schedules a crashed run again as its next attempt when its flow's retries allow (`options`):
    /// `scheduled`, named `AwaitingRetry`, due after the flow's retry delay, for the workers of its
    /// pool (or of `pool` when it had none: a `baton run` that died). Nil when it may not retry.
    /// Guarded by the crash's attempt, so of two callers for one crash, one retries it.
    public static func retry(
        _ run: FlowRunRecord, options: FlowOptionsSpec, pool: String?, now: Date, random: Double
    ) -> RunTransition? {
        guard run.state.type == .crashed, let target = run.pool ?? pool, run.attempt <= options.retries else { return nil }
        let delay = options.retryPolicy.delay(beforeRetry: run.attempt, random: random)
        let message = "attempt \(run.attempt) of \(options.retries + 1) crashed (\(run.state.message ?? "no message")); retrying"
        return RunTransition(
            RunGuard(states: [.crashed], attempt: run.attempt),
            RunChange(
                state: RunState(.scheduled, name: StateName.awaitingRetry, message: message, at: now), attempt: run.attempt + 1,
                workerID: .clear, pool: target, scheduledTime: now.addingTimeInterval(delay), supervisor: .clear))
    }

    /// Takes a run whose supervisor died away from that supervisor, if it still names it at the same
    /// attempt and is not over: the caller that wins then crashes it (of several finding one death,
    /// one does).
    public static func orphanCrash(_ supervised: SupervisedRun) -> RunTransition {
        RunTransition(
            RunGuard(
                states: Set(StateType.allCases.filter { !$0.isFinal }), attempt: supervised.attempt,
                supervisor: .exactly(supervised.supervisor)),
            RunChange(supervisor: .clear))
    }

    /// Why an orphaned run crashed: its worker's reason when a worker ran it (as that worker's reaping
    /// would say, whichever notices first), else its supervisor's.
    public static func orphanMessage(_ supervised: SupervisedRun, workerGoneReason: String?) -> String {
        workerGoneReason
            ?? "its supervisor (pid \(supervised.supervisor.pid)) is gone: the process that ran it died or could not write the store"
    }
}
