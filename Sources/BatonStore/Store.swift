import BatonCore
import Foundation

/// Everything Baton records: libraries, flows and their versions, flow runs, task runs, their state
/// history and logs. SQLite by default (``SQLiteStore``).
///
/// Every method is safe to call from any thread, and from several processes on one store: writes
/// queue on the store's lock instead of failing.
public protocol Store: AnyObject, Sendable {
    /// Records a library and a version of each of its flows, in one transaction. A flow whose
    /// library content is already registered keeps its version (`created` is false). Version numbers
    /// per flow are consecutive, also when registrations race.
    func register(_ registration: LibraryRegistration) throws -> [RegisteredVersion]

    /// Every flow with its latest version and last run, by name.
    func flows() throws -> [FlowSummary]
    /// The versions of a flow, oldest first; throws `notFound` for an unknown flow.
    func versions(of flow: String) throws -> [VersionRecord]
    /// A version of a flow (`nil`: the latest); throws `notFound` naming what exists.
    func version(of flow: String, number: Int?) throws -> VersionRecord
    /// A registered library.
    func library(hash: String) throws -> LibraryRecord?

    /// Records a new flow run.
    func createFlowRun(_ run: NewFlowRun) throws -> FlowRunRecord
    /// Applies what an engine reported, in order, in one transaction.
    func apply(_ events: [RunEvent]) throws
    /// Ends a flow run that is not final as `crashed`, with its unfinished task runs.
    func markCrashed(flowRunID: String, message: String) throws
    /// Ends a flow run that is not final in `state` (cancelled, say), with its unfinished task runs.
    func finish(flowRunID: String, state: RunState) throws

    /// A flow run by id, unique id prefix, or unique name; throws `notFound` or `invalidInput`.
    func flowRun(_ reference: String) throws -> FlowRunRecord
    /// Flow runs past, upcoming or all, in the order `RunWhen` gives each (newest first by start time;
    /// upcoming ones soonest first), as they read now (overdue ones `Late`).
    func flowRuns(_ query: FlowRunQuery) throws -> [FlowRunRecord]
    /// The task runs of a flow run, in the order they were created.
    func taskRuns(flowRunID: String) throws -> [TaskRunRecord]
    /// The state history of a flow run and its task runs, oldest first.
    func states(flowRunID: String) throws -> [StateRecord]
    /// Log lines of a flow run after `afterID`, oldest first.
    func logs(flowRunID: String, afterID: Int64, limit: Int) throws -> [LogRecord]
    /// How many task runs are stored, for one flow run or all.
    func countTaskRuns(flowRunID: String?) throws -> Int
    /// The edges of a flow run's graph: which task run fed which.
    func edges(flowRunID: String) throws -> [TaskRunEdge]
    /// The subflow runs a flow run started.
    func subflowRuns(of flowRunID: String) throws -> [FlowRunRecord]
    /// The version of each flow that a library registered.
    func flowVersions(libraryHash: String) throws -> [String: Int]

    /// The cached result for a key, unless there is none or it expired at `now`.
    func cachedResult(key: String, now: Date) throws -> CacheHit?
    /// Removes cached results, of one task or all; returns how many.
    func clearCache(task: String?) throws -> Int

    /// Sets a global concurrency limit on a tag.
    func setLimit(tag: String, slots: Int) throws
    /// Removes a limit and its slots; returns whether there was one.
    func removeLimit(tag: String) throws -> Bool
    /// Every limit with how many of its slots are taken.
    func limits() throws -> [ConcurrencyLimit]
    /// Takes a slot of every limited tag for a task run, all or none; false when a limit is full.
    func acquireSlots(tags: [String], taskRunID: String, flowRunID: String, holder: ProcessIdentity) throws -> Bool
    /// Gives back a task run's slots; returns whether it held any.
    func releaseSlots(taskRunID: String) throws -> Bool
    /// Gives back every slot of a flow run's task runs; returns whether there were any.
    func releaseSlots(flowRunID: String) throws -> Bool

    /// Artifacts, newest first: of one flow run, of one key, or all.
    func artifacts(flowRunID: String?, key: String?, limit: Int) throws -> [ArtifactRecord]

    /// Completed task runs' results of a flow run by input key, for resume.
    func completedResults(flowRunID: String) throws -> [String: CompletedResult]
    /// Starts a new attempt of a failed, crashed or cancelled flow run.
    func beginResume(flowRunID: String) throws -> FlowRunRecord
    /// Asks a run to stop; returns the run as it is now.
    func requestCancellation(flowRunID: String) throws -> (run: FlowRunRecord, supervisor: ProcessIdentity?)
    /// Records which process supervises a run.
    func setSupervisor(flowRunID: String, process: ProcessIdentity) throws

    /// Wakes every process watching this store for `topic`.
    func ring(_ topic: String)
    /// Starts watching this store's topics.
    func doorbell() throws -> Doorbell
}

/// What registering one library records.
public struct LibraryRegistration: Sendable {
    public var hash: String
    public var fileName: String
    public var path: String
    public var size: Int
    public var manifest: LibraryManifest
    public var sourcePath: String?
    public var label: String?
    public var registeredBy: String?

    public init(
        hash: String, fileName: String, path: String, size: Int, manifest: LibraryManifest, sourcePath: String?,
        label: String?, registeredBy: String?
    ) {
        self.hash = hash
        self.fileName = fileName
        self.path = path
        self.size = size
        self.manifest = manifest
        self.sourcePath = sourcePath
        self.label = label
        self.registeredBy = registeredBy
    }
}
