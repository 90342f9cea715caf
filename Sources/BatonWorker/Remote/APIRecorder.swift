import BatonCore
import BatonHTTP
import BatonLoader
import BatonProcess
import BatonServices
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Records one run a worker on another host executes through the server's API: the supervisor's
/// questions (``RunRecorder``) as requests about the run, on a connection of the run's own.
///
/// Events go to the run's `EventSpool` first and are then delivered in order, each batch numbered;
/// while the server cannot be reached they wait on disk and the run goes on. A question (a cached
/// result, a concurrency slot) is asked only after every batch before it is delivered, since its
/// answer may depend on them; while the server is away it fails as a store out of reach does, and the
/// supervisor asks again later (see `StoreOutage`).
final class APIRecorder: RunRecorder, RunValueReader, @unchecked Sendable {
    // @unchecked: one supervisor thread uses it (the worker hands each run its own recorder).
    let link: ServerLink
    let client: HTTPClient
    let workerID: String
    let assignment: RemoteAssignment
    let libraries: LibraryStore
    let spool: EventSpool
    let say: @Sendable (String) -> Void
    /// Held while a library is looked for and fetched, so that runs of one version starting together
    /// fetch it once.
    let fetching: NSLock
    /// Rings when the server says concurrency slots were given back.
    let slots: SlotBroadcast
    /// When the server was first found out of reach, while it is.
    private var awaySince: Date?

    init(
        link: ServerLink, workerID: String, assignment: RemoteAssignment, home: BatonHome, fetching: NSLock, slots: SlotBroadcast,
        say: @escaping @Sendable (String) -> Void
    ) throws {
        self.fetching = fetching
        self.slots = slots
        self.link = link
        client = try link.connection()
        self.workerID = workerID
        self.assignment = assignment
        libraries = LibraryStore(home: home)
        spool = try EventSpool(home: home, flowRunID: assignment.run.id, attempt: assignment.run.attempt)
        self.say = say
    }

    private var runPath: String { "/api/workers/\(workerID)/runs/\(assignment.run.id)" }

    /// The version's library from this host's library store, fetched from the server by its hash
    /// (and checked against it) the first time.
    func runLibrary(of run: FlowRunRecord) throws -> RunLibrary {
        let hash = assignment.libraryHash
        let path: String
        fetching.lock()
        defer { fetching.unlock() }
        if let stored = try libraries.stored(hash: hash) {
            path = stored
        } else {
            let bytes = try link.send(client, "GET", "/api/libraries/\(hash)")
            path = try libraries.store(bytes: bytes, fileName: assignment.libraryFileName, hash: hash)
            say("fetched the library of \(run.flow) v\(run.version) (\(bytes.count) bytes, SHA-256 \(hash.prefix(12))…) from the server")
        }
        return RunLibrary(path: path, hash: hash, flowVersions: assignment.flowVersions, flowOptions: assignment.flowOptions)
    }

    func setSupervisor(flowRunID: String, process: ProcessIdentity) throws {
        try link.send(
            client, "POST", runPath + "/supervisor",
            json: .object(["pid": .int(Int64(process.pid)), "processStart": .string(process.start), "host": .string(process.host ?? ProcessIdentity.localHost)]))
    }

    /// Spools the events, then delivers what waits; a server out of reach leaves them on disk.
    func apply(_ events: [RunEvent]) throws {
        guard !events.isEmpty else { return }
        try spool.append(events)
        do {
            try deliver()
        } catch let error as BatonError where error.code == .storeUnavailable {
            // Safe on disk, in order: delivered with the next batch or question once the server is back.
        }
    }

    /// Sends every waiting batch, oldest first, and forgets each the server applied (or had).
    func deliver() throws {
        while let number = spool.waiting.first {
            do {
                let target = "\(runPath)/events?attempt=\(assignment.run.attempt)&batch=\(number)"
                try link.send(client, "POST", target, bytes: try spool.bytes(number))
            } catch let error as BatonError where error.code == .storeUnavailable {
                if awaySince == nil {
                    awaySince = Date()
                    say("run '\(assignment.run.name)': the server is out of reach (\(error.message)); its events wait on disk in \(spool.directory)")
                }
                throw error
            }
            spool.delivered(number)
        }
        if let since = awaySince {
            awaySince = nil
            say("run '\(assignment.run.name)': the server is back after \(Int(Date().timeIntervalSince(since))) s; the events that waited are delivered")
        }
    }

    func cachedResult(key: String, forRun flowRunID: String, now: Date) throws -> CacheHit? {
        try deliver()
        let body = try link.send(client, "POST", runPath + "/cache", json: .object(["key": .string(key)]))
        return try link.decode(CacheAnswer.self, from: body, runPath + "/cache").hit
    }

    /// A secret or variable of the run's project, from the server (which audits each secret read).
    /// Asked after the batches before it, like every question.
    func readValue(_ kind: NamedValueKind, name: String, flowRunID: String) throws -> String {
        try deliver()
        let body = try link.send(client, "POST", runPath + "/values", json: .object(["kind": .string(kind.rawValue), "name": .string(name)]))
        guard let value = (try? JSONValue(json: Data(body)))?["value"]?.stringValue else {
            throw BatonError(.runner, "the server's answer to a \(kind.rawValue) read is not one")
        }
        return value
    }

    func acquireSlots(tags: [String], taskRunID: String, flowRunID: String, holder: ProcessIdentity) throws -> Bool {
        try deliver()
        let body = try link.send(
            client, "POST", runPath + "/slots",
            json: .object(["tags": .array(tags.map { .string($0) }), "taskRun": .string(taskRunID), "flowRun": .string(flowRunID)]))
        return (try? JSONValue(json: Data(body)))?.objectValue?["granted"]?.boolValue ?? false
    }

    func releaseSlots(taskRunID: String) throws -> Bool {
        try release(["taskRun": .string(taskRunID)])
    }

    func releaseSlots(flowRunID: String) throws -> Bool {
        try release(["flowRun": .string(flowRunID)])
    }

    private func release(_ fields: [String: JSONValue]) throws -> Bool {
        try deliver()
        let body = try link.send(client, "POST", runPath + "/slots/release", json: .object(fields))
        return (try? JSONValue(json: Data(body)))?.objectValue?["released"]?.boolValue ?? false
    }

    func markCrashed(flowRunID: String, message: String) throws {
        try finish(flowRunID: flowRunID, state: RunState(.crashed, message: message))
    }

    func finish(flowRunID: String, state: RunState) throws {
        try deliver()
        var fields: [String: JSONValue] = ["state": .string(state.type == .cancelled ? "cancelled" : "crashed")]
        if let message = state.message { fields["message"] = .string(message) }
        try link.send(client, "POST", runPath + "/end", json: .object(fields))
    }

    func flowRun(_ reference: String, project: String?) throws -> FlowRunRecord {
        try deliver()
        return try link.decode(FlowRunRecord.self, from: try link.send(client, "GET", runPath), runPath)
    }

    /// The run is over and every batch delivered: its spool goes, and the server says whether it
    /// retries a crash.
    func done() throws -> RemoteOutcome {
        try deliver()
        let outcome = try link.decode(RemoteOutcome.self, from: try link.send(client, "POST", runPath + "/done"), runPath + "/done")
        spool.remove()
        return outcome
    }

    /// Nobody on this host waits on the server's wake-ups.
    func ring(_ topic: String) {}

    /// Slots given back anywhere reach this host as the server's `limits` events.
    func doorbell() throws -> any StoreDoorbell { try slots.bell() }
}

/// A cache look-up's answer as the server sends it.
struct CacheAnswer: Decodable {
    var hit: CacheHit?
}

/// The `limits` events of the server, handed to every run of this worker whose tasks wait for a
/// concurrency slot: each such run watches a bell of its own.
final class SlotBroadcast: @unchecked Sendable {
    // @unchecked: `bells` is only touched under `lock`.
    private let lock = NSLock()
    private var bells: [ObjectIdentifier: WakeupPipe] = [:]

    /// A bell that rings `limits` until it is let go.
    func bell() throws -> SlotBell {
        let bell = try SlotBell(self)
        lock.withLock { bells[ObjectIdentifier(bell)] = bell.pipe }
        return bell
    }

    /// Slots were given back (or the stream was opened again, and some may have been meanwhile).
    func ring() {
        for pipe in lock.withLock({ Array(bells.values) }) { pipe.ring(1) }
    }

    fileprivate func forget(_ bell: SlotBell) {
        lock.withLock { bells[ObjectIdentifier(bell)] = nil }
    }
}

/// One run's bell of a `SlotBroadcast`.
final class SlotBell: StoreDoorbell, @unchecked Sendable {
    // @unchecked: the pipe is safe to ring from any thread; `drain` is the owner's.
    fileprivate let pipe: WakeupPipe
    private weak var broadcast: SlotBroadcast?

    fileprivate init(_ broadcast: SlotBroadcast) throws {
        pipe = try WakeupPipe()
        self.broadcast = broadcast
    }

    deinit { broadcast?.forget(self) }

    var fd: Int32 { pipe.fd }

    func drain() -> Set<String> { pipe.drain().isEmpty ? [] : ["limits"] }
}
