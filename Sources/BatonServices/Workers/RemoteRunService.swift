import BatonCore
import BatonEngine
import BatonRunner
import BatonStore
import Foundation

extension Services {
    /// Workers on other hosts, which reach the store only through the API.
    public var remoteRuns: RemoteRunService { RemoteRunService(services: self) }
}

/// A run claimed by a worker on another host: the run, its version's library (fetched by hash), and
/// the results its earlier attempts completed that it reuses.
public struct RemoteAssignment: Codable, Sendable {
    public var run: FlowRunRecord
    /// The library's SHA-256, for `GET /api/libraries/{sha256}`.
    public var libraryHash: String
    /// The library's file name, as it was registered.
    public var libraryFileName: String
    public var librarySize: Int
    public var flowVersions: [String: Int]
    public var flowOptions: [String: FlowOptionsSpec]
    public var reuse: [String: ReusedResult]
}

/// What a claim through the API answers: a run, or when the next one is due.
public struct RemoteClaim: Codable, Sendable {
    public var assignment: RemoteAssignment?
    public var nextDue: Date?
}

/// How a remote worker's run ended, as the server recorded it.
public struct RemoteOutcome: Codable, Sendable {
    public var run: FlowRunRecord
    /// Whether it crashed and was scheduled again (its flow retries).
    public var retried: Bool
}

/// What a worker on another host asks of Baton through the API: the supervisor's questions
/// (``RunRecorder``), answered for the runs it claimed, in its key's project.
///
/// Every call names the worker and the run; a run of another project is not found, and a run that
/// is not the worker's (another claimed it, or it was taken for gone and retried) is a conflict, so a
/// worker cut off for a while cannot change what another now runs.
public struct RemoteRunService: Sendable {
    let services: Services
    var store: any Store { services.store }

    /// Claims the earliest due run of the worker's pool in the caller's project, with what running it
    /// needs; else says when the next is due.
    public func claim(workerID: String, lead: TimeInterval, _ caller: Caller) throws -> RemoteClaim {
        let worker = try liveWorker(workerID, caller)
        let dueBy = services.options.now().addingTimeInterval(lead)
        guard let run = try services.workers.claim(pool: worker.pool, workerID: worker.id, dueBy: dueBy, project: caller.project, caller) else {
            return RemoteClaim(assignment: nil, nextDue: try services.workers.nextDue(pool: worker.pool, project: caller.project, caller))
        }
        let library = try store.runLibrary(of: run)
        guard let record = try store.library(hash: library.hash) else {
            throw BatonError(.notFound, "the library \(library.hash) of \(run.flow) v\(run.version) is not in the store")
        }
        return RemoteClaim(
            assignment: RemoteAssignment(
                run: run, libraryHash: library.hash, libraryFileName: record.fileName, librarySize: record.size,
                flowVersions: library.flowVersions, flowOptions: library.flowOptions, reuse: try store.reusableResults(for: run)),
            nextDue: nil)
    }

    /// The file of the library with SHA-256 `hash` on this host, when a version of the caller's
    /// project was registered from it.
    public func libraryFile(hash: String, _ caller: Caller) throws -> String {
        try services.authorize(caller, .run)
        guard let record = try store.library(hash: hash), !(try store.flowVersions(libraryHash: hash, project: caller.project)).isEmpty else {
            throw BatonError(.notFound, "no library \(hash) in project '\(caller.project)'")
        }
        return try store.localLibraryPath(record)
    }

    /// Records the process on the worker's host that supervises the run.
    public func setSupervisor(workerID: String, flowRunID: String, process: ProcessIdentity, _ caller: Caller) throws {
        _ = try owned(workerID, flowRunID, caller)
        try store.setSupervisor(flowRunID: flowRunID, process: process)
    }

    /// Applies a numbered batch of the run's events once (see ``RunStore/apply(_:batch:)``).
    /// Every event must be of the run or of a subflow run under it: a worker's key reaches no other run.
    public func apply(workerID: String, flowRunID: String, attempt: Int, number: Int, events: [RunEvent], _ caller: Caller) throws -> EventBatch.Outcome {
        _ = try owned(workerID, flowRunID, caller, open: false)
        var within: Set<String> = [flowRunID]
        for event in events {
            let subject = event.flowRunID
            if !within.contains(subject) {
                try requireWithin(subject, of: flowRunID)
                within.insert(subject)
            }
            // A subflow run the batch creates is the run's from now on (its parent is checked above).
            if case .flowRunCreated(let child) = event {
                guard child.parentFlowRunID != nil else {
                    throw BatonError(.conflict, "a worker creates subflow runs of its run only, and flow run '\(child.id)' names no parent")
                }
                within.insert(child.id)
            }
        }
        let outcome = try store.apply(events, batch: EventBatch(flowRunID: flowRunID, attempt: attempt, number: number, workerID: workerID))
        if outcome == .applied, events.contains(where: { if case .flowRunState(let c) = $0 { c.flowRunID == flowRunID && c.state.type.isFinal } else { false } }) {
            store.ring(StoreTopic.finished)
        }
        return outcome
    }

    public func cachedResult(workerID: String, flowRunID: String, key: String, _ caller: Caller) throws -> CacheHit? {
        _ = try owned(workerID, flowRunID, caller)
        return try store.cachedResult(key: key, forRun: flowRunID, now: services.options.now())
    }

    /// A secret or variable of the run's project, for its runner (each secret read audited by name).
    public func readValue(_ kind: NamedValueKind, name: String, workerID: String, flowRunID: String, _ caller: Caller) throws -> String {
        _ = try owned(workerID, flowRunID, caller)
        return try services.values.read(kind, name: name, forRun: flowRunID, caller)
    }

    /// Takes the slots of a task run of the run (or of one of its subflows), held in the name of the
    /// run's supervisor.
    public func acquireSlots(workerID: String, flowRunID: String, tags: [String], taskRunID: String, taskFlowRunID: String, _ caller: Caller) throws -> Bool {
        _ = try owned(workerID, flowRunID, caller)
        try requireWithin(taskFlowRunID, of: flowRunID)
        let holder = try store.supervisor(of: flowRunID) ?? .current
        return try store.acquireSlots(tags: tags, taskRunID: taskRunID, flowRunID: taskFlowRunID, holder: holder)
    }

    /// Gives back the slots of one task run, or of a flow run of the run's tree.
    public func releaseSlots(workerID: String, flowRunID: String, taskRunID: String?, of slotFlowRunID: String?, _ caller: Caller) throws -> Bool {
        _ = try owned(workerID, flowRunID, caller, open: false)
        let released: Bool
        if let taskRunID {
            released = try store.releaseSlots(taskRunID: taskRunID)
        } else {
            let target = slotFlowRunID ?? flowRunID
            try requireWithin(target, of: flowRunID)
            released = try store.releaseSlots(flowRunID: target)
        }
        if released { store.ring(StoreTopic.limits) }
        return released
    }

    /// Ends a run its runner could not finish: crashed, or cancelled; a run already over is left as it is.
    public func end(workerID: String, flowRunID: String, state: RunState, _ caller: Caller) throws {
        _ = try owned(workerID, flowRunID, caller, open: false)
        guard state.type == .crashed || state.type == .cancelled else {
            throw BatonError(.invalidInput, "a worker ends a run crashed or cancelled, not \(state.type.rawValue)", field: "state")
        }
        try store.finish(flowRunID: flowRunID, state: state)
        store.ring(StoreTopic.finished)
    }

    /// The run as recorded once its worker is done with it; one that crashed is scheduled again
    /// when its flow retries.
    public func done(workerID: String, flowRunID: String, _ caller: Caller) throws -> RemoteOutcome {
        let run = try owned(workerID, flowRunID, caller, open: false)
        let retried = run.state.type == .crashed ? try services.runs.retryIfAllowed(run.id) : false
        return RemoteOutcome(run: try store.flowRun(run.id, project: nil), retried: retried)
    }

    /// The run as recorded, when it is the worker's.
    public func run(workerID: String, flowRunID: String, _ caller: Caller) throws -> FlowRunRecord {
        try owned(workerID, flowRunID, caller, open: false)
    }

    // MARK: Checks

    /// A worker that is recorded and not stopped.
    func liveWorker(_ workerID: String, _ caller: Caller) throws -> WorkerRecord {
        try services.authorize(caller, .run)
        guard let worker = try store.workerRecord(workerID) else { throw BatonError(.notFound, "no worker '\(workerID)'") }
        guard worker.stoppedAt == nil else {
            throw BatonError(
                .conflict, "worker '\(worker.name)' is recorded as stopped (silent too long, or stopped): it claims nothing until it heartbeats again")
        }
        return worker
    }

    /// The run `flowRunID` of the caller's project, claimed by `workerID`; with `open`, also not over.
    @discardableResult
    func owned(_ workerID: String, _ flowRunID: String, _ caller: Caller, open: Bool = true) throws -> FlowRunRecord {
        try services.authorize(caller, .run)
        let run = try store.flowRun(flowRunID, project: caller.project)
        guard run.id == flowRunID else { throw BatonError(.notFound, "no flow run '\(flowRunID)'") }
        guard run.workerID == workerID else {
            throw BatonError(.conflict, "flow run '\(run.name)' is not worker \(workerID)'s: it was taken for gone, or the run was retried elsewhere")
        }
        if open && run.state.type.isFinal {
            throw BatonError(.conflict, "flow run '\(run.name)' is over (\(run.state.type.rawValue))")
        }
        return run
    }

    /// Refuses a flow run that is not `root` or a subflow run under it.
    func requireWithin(_ flowRunID: String, of root: String) throws {
        var current: String? = flowRunID
        for _ in 0..<64 {
            guard let id = current else { break }
            if id == root { return }
            guard let run = try? store.flowRun(id, project: nil), run.id == id else { break }
            current = run.parentFlowRunID
        }
        throw BatonError(.conflict, "flow run '\(flowRunID)' is not part of flow run '\(root)'")
    }
}
