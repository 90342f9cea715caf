import Foundation

/// A field a ``RunChange`` may leave alone, set, or clear.
public enum FieldUpdate<Value: Sendable & Hashable>: Sendable, Hashable {
    case keep
    case set(Value)
    case clear
}

/// Which supervisor a ``RunGuard`` expects a run to name.
public enum SupervisorGuard: Sendable, Hashable {
    /// Whichever, or none.
    case any
    /// None recorded.
    case none
    /// Exactly this process.
    case exactly(ProcessIdentity)
}

/// The conditions a flow run must meet, all of them, for a ``RunChange`` to apply: the store checks
/// them and applies the change in one transaction, so of two callers racing on one run, one wins
/// (compare and set). Written by the rules (``RunTransitions``), never inside a store.
public struct RunGuard: Sendable, Hashable {
    /// The state types the run may be in (empty: any).
    public var states: Set<StateType>
    /// The stored state name it must have, when given.
    public var stateName: String?
    /// The attempt it must be at, when given.
    public var attempt: Int?
    /// Whether no worker may have claimed it.
    public var unclaimed: Bool
    public var supervisor: SupervisorGuard

    public init(
        states: Set<StateType> = [], stateName: String? = nil, attempt: Int? = nil, unclaimed: Bool = false,
        supervisor: SupervisorGuard = .any
    ) {
        self.states = states
        self.stateName = stateName
        self.attempt = attempt
        self.unclaimed = unclaimed
        self.supervisor = supervisor
    }

    /// Whether a run with these stored values meets every condition.
    public func admits(
        state: StateType, stateName name: String, attempt current: Int, workerID: String?, supervisor recorded: ProcessIdentity?
    ) -> Bool {
        if !states.isEmpty && !states.contains(state) { return false }
        if let stateName, stateName != name { return false }
        if let attempt, attempt != current { return false }
        if unclaimed && workerID != nil { return false }
        switch supervisor {
        case .any: return true
        case .none: return recorded == nil
        case .exactly(let process): return recorded == process
        }
    }
}

/// What a guarded update writes to a flow run. A new `state` is appended to the run's history as
/// every state is; the rest are fields of the run.
public struct RunChange: Sendable, Hashable {
    public var state: RunState?
    public var attempt: Int?
    public var workerID: FieldUpdate<String>
    public var pool: String?
    public var scheduledTime: Date?
    public var supervisor: FieldUpdate<ProcessIdentity>
    /// Whether the run's concurrency slots are given back.
    public var releaseSlots: Bool

    public init(
        state: RunState? = nil, attempt: Int? = nil, workerID: FieldUpdate<String> = .keep, pool: String? = nil,
        scheduledTime: Date? = nil, supervisor: FieldUpdate<ProcessIdentity> = .keep, releaseSlots: Bool = false
    ) {
        self.state = state
        self.attempt = attempt
        self.workerID = workerID
        self.pool = pool
        self.scheduledTime = scheduledTime
        self.supervisor = supervisor
        self.releaseSlots = releaseSlots
    }
}

/// A guard and the change it protects: one transition of a run.
public struct RunTransition: Sendable, Hashable {
    public var guardedBy: RunGuard
    public var change: RunChange

    public init(_ guardedBy: RunGuard, _ change: RunChange) {
        self.guardedBy = guardedBy
        self.change = change
    }
}

/// A run that is not over and the process that supervises it, with the attempt it supervises (its
/// lock file is named after both).
public struct SupervisedRun: Sendable, Hashable {
    public var flowRunID: String
    public var attempt: Int
    public var supervisor: ProcessIdentity

    public init(flowRunID: String, attempt: Int, supervisor: ProcessIdentity) {
        self.flowRunID = flowRunID
        self.attempt = attempt
        self.supervisor = supervisor
    }
}
