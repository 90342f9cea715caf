import BatonCore
import Foundation

/// The fault suite's assertions over a settled store, each violation naming its run:
/// - lost: a run created (an API 201, a `baton run` that printed its id, an attempt's marker) that
///   is not in the store;
/// - stuck: a run not final, not held by a live supervisor or worker, and not waiting for a time
///   still to come;
/// - duplicated: a deployment's run that no schedule slot names, or an attempt that found another
///   process executing the same run (its marker's lock taken);
/// - a killed run that was not `crashed` afterwards, or not retried although its flow retries and it
///   had attempts left (runs of a pool only: a `baton run` run has no worker to retry it).
struct ChaosVerdict {
    var report: [String: JSONValue] = [:]
    var problems: [String] = []

    /// How many times `chaos-retrying` may be retried after its first attempt (see the fixture).
    static let flowRetries = ["chaos-retrying": 2, "chaos-once": 0]

    init(audit: ChaosAudit, stream: ChaosStream, kills: [ChaosKill], settleStart: Double) throws {
        let runs = try audit.runs()
        let states = try audit.states()
        let attempts = audit.attempts()
        let now = Date().timeIntervalSince1970

        var lost: [String] = []
        for (tag, id) in stream.apiIDs.sorted(by: { $0.key < $1.key }) where runs[id] == nil {
            lost.append("run \(id) (\(tag)): created through the API (201) but not in the store")
        }
        for (tag, id) in stream.runIDs.sorted(by: { $0.key < $1.key }) where runs[id] == nil {
            lost.append("run \(id) (\(tag)): printed by `baton run` but not in the store")
        }
        for id in Set(attempts.map(\.run)).sorted() where runs[id] == nil {
            lost.append("run \(id): executed (marker files) but not in the store")
        }

        var stuck: [String] = []
        for run in runs.values.sorted(by: { $0.createdAt < $1.createdAt }) where !run.isFinal && !run.isHeld {
            let waiting = run.state == "scheduled" && (run.scheduledTime ?? 0) > now - 60
            if !waiting {
                let holder = run.supervisor.map { "supervisor pid \($0.pid) is gone" } ?? run.worker.map { "worker pid \($0.pid) is gone" } ?? "nothing holds it"
                stuck.append("run \(run.id) (\(run.flow), \(run.tag ?? "-")): \(run.stateName), attempt \(run.attempt), and \(holder)")
            }
        }

        var duplicated: [String] = []
        for id in try audit.runsOutsideSlots() {
            duplicated.append("run \(id): a run of a deployment that no schedule slot names (a slot's second run)")
        }
        for attempt in attempts where attempt.overlapped {
            duplicated.append("run \(attempt.run): attempt \(attempt.attempt) in pid \(attempt.pid) began while another process executed it")
        }

        var notCrashed: [String] = []
        var notRetried: [String] = []
        var killedRuns = 0
        var crashedThenRetried = 0
        for kill in kills {
            for (id, attempt) in kill.runs.sorted(by: { $0.key < $1.key }) {
                guard let run = runs[id] else { continue }  // counted as lost
                killedRuns += 1
                let history = states[id] ?? []
                let what = "run \(id) (\(run.flow), attempt \(attempt)), executing when round \(kill.round) killed the \(kill.role.rawValue) (pid \(kill.pid))"
                // The first crash at or after the attempt that was killed (states record attempts only in
                // their messages, so the count of Running states stands for the attempt).
                let running = history.indices.filter { history[$0].type == "running" }
                let from = running.count >= attempt ? running[attempt - 1] : 0
                guard let crash = history[from...].firstIndex(where: { $0.type == "crashed" }) else {
                    notCrashed.append("\(what): never crashed; now \(run.stateName)")
                    continue
                }
                let retried = history[(crash + 1)...].contains { $0.name == StateName.awaitingRetry }
                let allowed = run.pool != nil && attempt <= (Self.flowRetries[run.flow] ?? 0)
                if allowed && !retried {
                    notRetried.append("\(what): crashed but never retried though its flow retries; now \(run.stateName)")
                } else if !allowed && retried && run.pool != nil {
                    notRetried.append("\(what): retried though its flow allows no more attempts")
                }
                if retried { crashedThenRetried += 1 }
            }
        }

        func count(_ state: String) -> JSONValue { .int(Int64(runs.values.filter { $0.state == state }.count)) }
        var killsByRole: [String: JSONValue] = [:]
        for role in ChaosFleet.Role.allCases { killsByRole[role.rawValue] = .int(Int64(kills.filter { $0.role == role }.count)) }
        report = [
            "runs_created": .int(Int64(runs.count)), "runs_completed": count("completed"), "runs_failed": count("failed"),
            "runs_crashed": count("crashed"), "runs_cancelled": count("cancelled"),
            "runs_open_held_or_waiting": .int(Int64(runs.values.filter { !$0.isFinal }.count - stuck.count)),
            "runs_retried": .int(Int64(runs.values.filter { run in (states[run.id] ?? []).contains { $0.name == StateName.awaitingRetry } }.count)),
            "crash_states": .int(Int64(states.values.reduce(0) { $0 + $1.filter { $0.type == "crashed" }.count })),
            "attempts_recorded": .int(Int64(attempts.count)), "baton_runs_started": .int(Int64(stream.tags.count)),
            "api_runs_created": .int(Int64(stream.apiIDs.count)), "api_requests_refused": .int(Int64(stream.apiRefused)),
            "kills": .object(killsByRole), "killed_runs": .int(Int64(killedRuns)), "killed_runs_crashed_then_retried": .int(Int64(crashedThenRetried)),
            "lost": .int(Int64(lost.count)), "stuck": .int(Int64(stuck.count)), "duplicated": .int(Int64(duplicated.count)),
            "killed_not_crashed": .int(Int64(notCrashed.count)), "killed_not_retried": .int(Int64(notRetried.count)),
        ]
        problems = lost.map { "lost: " + $0 } + stuck.map { "stuck: " + $0 } + duplicated.map { "duplicated: " + $0 }
            + notCrashed.map { "not crashed: " + $0 } + notRetried.map { "not retried: " + $0 }
    }
}
