import BatonCore
import Foundation

/// What the supervisor of a run needs of whoever records it: the store itself on a host that has it,
/// or, for a worker on another host, the server's API (`baton worker start --api`). The names are
/// the store's, so a store is a recorder as it is.
public protocol RunRecorder: AnyObject, Sendable {
    /// The library of a run's version, on this host, and what its runner must know of it.
    func runLibrary(of run: FlowRunRecord) throws -> RunLibrary
    /// Records which process supervises a run, so that a cancellation reaches it and its death is seen.
    func setSupervisor(flowRunID: String, process: ProcessIdentity) throws
    /// Records what the runner reported, in order.
    func apply(_ events: [RunEvent]) throws
    func cachedResult(key: String, forRun flowRunID: String, now: Date) throws -> CacheHit?
    func acquireSlots(tags: [String], taskRunID: String, flowRunID: String, holder: ProcessIdentity) throws -> Bool
    func releaseSlots(taskRunID: String) throws -> Bool
    func releaseSlots(flowRunID: String) throws -> Bool
    func markCrashed(flowRunID: String, message: String) throws
    func finish(flowRunID: String, state: RunState) throws
    func flowRun(_ reference: String, project: String?) throws -> FlowRunRecord
    /// Wakes whoever waits on `topic`.
    func ring(_ topic: String)
    /// A watch on the wake-ups, for a run whose tasks wait for concurrency slots.
    func doorbell() throws -> any StoreDoorbell
}

/// Where a supervisor gets the secrets and variables its run reads: the application layer of this
/// host (which holds the secret key, checks the run's project and audits each read), or the server,
/// for a worker on another host.
public protocol RunValueReader: Sendable {
    /// The value of `name` in the project of `flowRunID`: `notFound` when there is none.
    func readValue(_ kind: NamedValueKind, name: String, flowRunID: String) throws -> String
}

/// A run version's library where this host keeps it, and the version's facts its runner needs.
public struct RunLibrary: Sendable, Codable, Hashable {
    /// The library file on this host (checked against `hash` when it is loaded).
    public var path: String
    /// Its SHA-256, hex.
    public var hash: String
    /// The version of each flow of the library in the run's project, for subflow runs.
    public var flowVersions: [String: Int]
    /// The options of the library's flows, from the stored manifest.
    public var flowOptions: [String: FlowOptionsSpec]

    public init(path: String, hash: String, flowVersions: [String: Int], flowOptions: [String: FlowOptionsSpec]) {
        self.path = path
        self.hash = hash
        self.flowVersions = flowVersions
        self.flowOptions = flowOptions
    }
}

extension Store {
    /// The library of a run's version, as this store recorded it.
    public func runLibrary(of run: FlowRunRecord) throws -> RunLibrary {
        let version = try version(of: run.flow, number: run.version, project: run.project)
        let record = try library(hash: version.libraryHash)
        let flows = record?.manifest.flows ?? [version.manifest]
        return RunLibrary(
            path: try record.map(localLibraryPath) ?? version.libraryPath, hash: version.libraryHash,
            flowVersions: try flowVersions(libraryHash: version.libraryHash, project: run.project),
            flowOptions: Dictionary(flows.map { ($0.name, $0.options ?? FlowOptionsSpec()) }, uniquingKeysWith: { a, _ in a }))
    }
}
