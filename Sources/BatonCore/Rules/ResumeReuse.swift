extension FlowRunRecord {
    /// Whether executing this run reuses the task results its earlier attempts completed: true only
    /// for a run taken up by a resume, whose state is named `Resuming` when it is executed (pending
    /// after `baton run resume`, scheduled then claimed for `/resume` through a server; a claim keeps
    /// the name). Every executor (the local `baton run` and the worker) asks this one rule.
    ///
    /// The state decides, not `attempt > 1`: the attempt also grows when a crashed run whose flow
    /// retries is scheduled again (`AwaitingRetry`, claimed as `Pending`), and a retry runs every
    /// task again, as the engine's own retries of a failed flow do. A rerun is a new run (attempt 1)
    /// and reuses nothing either.
    public var reusesCompletedResults: Bool { state.name == StateName.resuming }
}
