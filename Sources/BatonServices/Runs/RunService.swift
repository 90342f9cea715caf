import BatonCore
import BatonProcess
import BatonRunner
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension Services {
    /// Flow runs: made, rerun, resumed, cancelled, read, and recovered when their process died.
    public var runs: RunService { RunService(services: self) }
}

/// Where a new run (or a new attempt) goes.
public enum RunPlacement: Sendable, Hashable {
    /// `pending`, carried to its end by the calling process (`baton run`), which supervises it: this
    /// process takes the attempt's lock before the run exists and is recorded with it, so however it
    /// dies, the next sweep finds the run orphaned, never a `pending` run nobody watches.
    case here
    /// `scheduled`, due now, for the workers of a pool (the service's pool when nil).
    case queue(pool: String?)
}

/// A run made by ``RunService``: its view, and for a resume how many completed task results it may
/// reuse, when known.
public struct StartedRun: Sendable {
    public var run: RunView
    public var reusable: Int?

    public init(run: RunView, reusable: Int? = nil) {
        self.run = run
        self.reusable = reusable
    }
}

/// Making flow runs and their new attempts, and asking them to stop: the one place that resolves a
/// new run's parameters, decides where it goes, and moves a run outside its engine (each move by a
/// rule of ``RunTransitions``, written to the store as a guarded update).
public struct RunService: Sendable {
    let services: Services
    var store: any Store { services.store }

    /// A new run of `flow` at version `version` with the parameters `given` (checked, defaults filled
    /// in, once, here).
    public func create(
        flow: String, _ version: VersionChoice, given: [String: JSONValue], _ placement: RunPlacement, _ caller: Caller
    ) throws -> StartedRun {
        try services.audit.local("run create", target: flow, caller) {
            try services.authorize(caller, .run)
            let record = try store.version(of: flow, number: version.number, project: caller.project)
            let parameters = try record.resolveRunParameters(given)
            return try start(NewFlowRun(flow: record.flow, version: record.number, parameters: parameters, project: caller.project), placement, pool: nil)
        }
    }

    /// A new run with the parameters of the run `reference` names, on its version (`version` nil) or
    /// another; a refusal of its parameters says they are the original's.
    public func rerun(_ reference: String, _ version: VersionChoice?, _ placement: RunPlacement, _ caller: Caller) throws -> StartedRun {
        try services.audit.local("run rerun", target: reference, caller) {
            try services.authorize(caller, .run)
            let original = try store.flowRun(reference, project: caller.project)
            let record = try store.version(of: original.flow, number: version.map { $0.number } ?? original.version, project: caller.project)
            let parameters = try record.resolveRunParameters(original.parameters, rerunOf: original.name)
            return try start(
                NewFlowRun(flow: record.flow, version: record.number, parameters: parameters, rerunOf: original.id, project: caller.project), placement,
                pool: original.pool)
        }
    }

    /// The next attempt of a failed, crashed or cancelled run, reusing its completed task results.
    public func resume(_ reference: String, _ placement: RunPlacement, _ caller: Caller) throws -> StartedRun {
        try services.audit.local("run resume", target: reference, caller) {
            try services.authorize(caller, .run)
            let run = try store.flowRun(reference, project: caller.project)
            let now = services.options.now()
            switch placement {
            case .here:
                let transition = try RunTransitions.resume(run, queuedTo: nil, supervisor: .current, now: now)
                let reusable = try store.completedResults(flowRunID: run.id).count
                let lock = try RunLock.take(locks: services.home.locksPath, flowRunID: run.id, attempt: run.attempt + 1)
                let resumed: FlowRunRecord
                do {
                    guard let updated = try store.updateFlowRun(run.id, if: transition.guardedBy, transition.change) else {
                        throw RunTransitions.resumedMeanwhile(run)
                    }
                    resumed = updated
                } catch {
                    lock.release(over: true)
                    throw error
                }
                return StartedRun(run: RunView(resumed), reusable: reusable)
            case .queue(let pool):
                let transition = try RunTransitions.resume(run, queuedTo: pool ?? services.options.pool, now: now)
                guard let resumed = try store.updateFlowRun(run.id, if: transition.guardedBy, transition.change) else {
                    throw RunTransitions.resumedMeanwhile(run)
                }
                store.ring(StoreTopic.runs)
                return StartedRun(run: RunView(resumed))
            }
        }
    }

    /// Asks the run `reference` names to stop: `cancelling` (its supervisor, nudged, stops its runner)
    /// or `cancelled` at once when nothing lives to stop it. With `wait`, waits up to that many seconds
    /// for a cancelling run to be over, calling `waiting` once first; returns the run as it is then.
    public func cancel(
        _ reference: String, wait: TimeInterval? = nil, waiting: () -> Void = {}, _ caller: Caller
    ) throws -> FlowRunRecord {
        try services.audit.local("run cancel", target: reference, caller) {
            try services.authorize(caller, .run)
            var run = try store.flowRun(reference, project: caller.project)
            let doorbell = wait == nil ? nil : try store.doorbell()
            for attempt in 1...Self.cancelAttempts {
                let supervisor = try store.supervisor(of: run.id)
                let transition = try RunTransitions.cancel(
                    run, supervisor: supervisor, supervisorAlive: supervisor?.isAlive ?? false, now: services.options.now())
                if let updated = try store.updateFlowRun(run.id, if: transition.guardedBy, transition.change) {
                    run = updated
                    if run.state.type == .cancelling, let supervisor { Nudge.send(to: supervisor) }
                    break
                }
                // The run moved (it ended, or a supervisor took it up) between reading and writing: decide again.
                guard attempt < Self.cancelAttempts else {
                    throw BatonError(.conflict, "flow run '\(run.name)' kept changing while it was being cancelled; try again")
                }
                run = try store.flowRun(run.id, project: caller.project)
            }
            guard run.state.type == .cancelling, let doorbell, let wait else { return run }
            waiting()
            let deadline = Date().addingTimeInterval(wait)
            while !run.state.type.isFinal, Date() < deadline {
                var entry = pollfd(fd: doorbell.fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&entry, 1, Int32(max(1, min(1000, deadline.timeIntervalSinceNow * 1000))))
                _ = doorbell.drain()
                run = try store.flowRun(run.id, project: caller.project)
            }
            return run
        }
    }

    /// How often a cancellation reads a run that moves under it again before it gives up.
    static let cancelAttempts = 100

    private func start(_ new: NewFlowRun, _ placement: RunPlacement, pool original: String?) throws -> StartedRun {
        switch placement {
        case .here:
            let lock = try RunLock.take(locks: services.home.locksPath, flowRunID: new.id, attempt: 1)
            do {
                return StartedRun(run: RunView(try store.createFlowRun(new, supervisedBy: .current)))
            } catch {
                lock.release(over: true)
                throw error
            }
        case .queue(let requested):
            let pool = requested ?? original ?? services.options.pool
            try DeploymentNames.validate(pool, what: "pool name", field: "pool")
            let now = services.options.now()
            var queued = new
            queued.state = RunState(.scheduled, at: now)
            queued.scheduledTime = now
            queued.pool = pool
            let record = try store.createFlowRun(queued)
            store.ring(StoreTopic.runs)
            return StartedRun(run: RunView(record))
        }
    }
}

/// The topics runs and workers ring (see ``FeedStore/ring(_:)``).
public enum StoreTopic {
    /// Runs were queued for workers.
    public static let runs = "runs"
    /// A run ended, freeing a place under a deployment's `maxActive`.
    public static let finished = "finished"
    /// Concurrency slots were given back.
    public static let limits = "limits"
}

extension DeploymentNames {
    /// ``validate(_:what:)``, naming `field` as the input refused.
    static func validate(_ name: String, what: String, field: String) throws {
        do {
            try validate(name, what: what)
        } catch let error as BatonError {
            throw BatonError(error.code, error.message, field: field)
        }
    }
}
