import BatonCore
import BatonEngine
import BatonRunner
import BatonStore
import Foundation

/// How ``RunService/execute(_:_:observer:_:)`` carries a run.
public struct ExecutionOptions: @unchecked Sendable {
    // @unchecked: `control` is a RunControl, which guards its own state (see RunControl).
    /// Lets the caller cancel the run from another thread (a worker stopping).
    public var control: RunControl?
    /// With false, Ctrl-C and SIGTERM leave the run to the caller.
    public var interruptible: Bool
    /// Where the runner works; this process's directory when nil.
    public var workingDirectory: String?
    /// Whether a run that crashes is scheduled again when its flow retries (a worker's runs; `baton
    /// run` reports the crash, and its next sweep or a worker retries it).
    public var retryOnCrash: Bool

    public init(control: RunControl? = nil, interruptible: Bool = true, workingDirectory: String? = nil, retryOnCrash: Bool = false) {
        self.control = control
        self.interruptible = interruptible
        self.workingDirectory = workingDirectory
        self.retryOnCrash = retryOnCrash
    }
}

/// How an execution ended.
public struct ExecutionOutcome: Sendable {
    /// The run as stored when it was over.
    public var final: FlowRunRecord
    /// Whether it crashed and was scheduled again.
    public var retried: Bool
}

extension RunService {
    /// Carries the `pending` run `reference` names to a final state in a runner child of this
    /// process, as executing its record does.
    public func execute(
        _ reference: String, _ options: ExecutionOptions = ExecutionOptions(), observer: @escaping (RunEvent) -> Void = { _ in },
        _ caller: Caller
    ) throws -> ExecutionOutcome {
        try services.authorize(caller, .run)
        return try execute(try store.flowRun(reference, project: caller.project), options, observer: observer, caller)
    }

    /// Carries a `pending` run to a final state in a runner child of this process, which supervises it
    /// (adopting the attempt's lock when this process took it). The results its earlier attempts
    /// completed are reused by the one rule (``FlowRunRecord/reusesCompletedResults``), whoever executes.
    public func execute(
        _ run: FlowRunRecord, _ options: ExecutionOptions = ExecutionOptions(), observer: @escaping (RunEvent) -> Void = { _ in },
        _ caller: Caller
    ) throws -> ExecutionOutcome {
        try services.authorize(caller, .run, in: run.project)
        let reuse = try store.reusableResults(for: run)
        let final = try RunSupervisor(store: store, values: services.values.runReader(), locks: services.home.locksPath).execute(
            run, reuse: reuse, control: options.control, interruptible: options.interruptible,
            workingDirectory: options.workingDirectory, observer: observer)
        let retried = options.retryOnCrash && final.state.type == .crashed ? try retryIfAllowed(run.id) : false
        return ExecutionOutcome(final: final, retried: retried)
    }
}
