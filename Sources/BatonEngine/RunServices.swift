import BatonCore
import Foundation

/// What the engine needs from outside its process: somewhere to report events, and the store's
/// answers for caching and global concurrency limits. In a runner child these go over the pipe to
/// the parent, which owns the store; tests and benchmarks may answer them in-process.
public protocol RunServices: Sendable {
    /// Reports an event; events are delivered in the order they are emitted.
    func emit(_ event: RunEvent)
    /// The cached result for `key`, unless there is none or it expired.
    func cachedResult(key: String) async -> CacheHit?
    /// Takes a slot of each limited tag for a task run, waiting as long as a limit is full; calls
    /// `waiting` once before it starts to wait. Returns false when the wait was given up (the run is
    /// stopping).
    func acquireSlots(tags: [String], taskRunID: String, flowRunID: String, waiting: @escaping @Sendable () -> Void) async -> Bool
    /// Gives back the slots of a task run.
    func releaseSlots(taskRunID: String)
    /// Makes every `acquireSlots` wait in progress give up (the run is being cancelled).
    func cancelWaits()
    /// Returns once every event emitted so far has been delivered.
    func flush() async
    /// A secret or variable of the project of `flowRunID`, as the store (or the server) answers:
    /// throws `notFound` when there is none, `forbidden` when the run may not read it.
    func readValue(_ kind: NamedValueKind, name: String, flowRunID: String) async throws -> String
}

extension RunServices {
    /// Services that answer no value (benchmarks, in-process tests) say so.
    public func readValue(_ kind: NamedValueKind, name: String, flowRunID: String) async throws -> String {
        throw BatonError(.notFound, "no \(kind.rawValue) '\(name)': this run has no store to read \(kind.rawValue)s from")
    }
}

/// The engine's clock, injectable so that tests of delays and timeouts need not sleep.
public protocol EngineClock: Sendable {
    func now() -> Date
    func sleep(seconds: Double) async throws
    /// A random number in 0..<1, for retry jitter.
    func random() -> Double
}

/// Wall-clock time and real sleeps.
public struct SystemClock: EngineClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return }
        try await Task.sleep(for: .seconds(seconds))
    }
    public func random() -> Double { Double.random(in: 0..<1) }
}

/// What one flow run is: the engine runs exactly this.
public struct FlowRunSpec: Codable, Sendable {
    public var flowRunID: String
    public var flowRunName: String
    public var flow: String
    public var version: Int
    public var parameters: [String: JSONValue]
    public var attempt: Int
    /// The library's SHA-256, part of cache keys that include the version.
    public var libraryHash: String
    /// The version of each flow of the library, for subflow runs.
    public var flowVersions: [String: Int]
    /// On resume: results of the earlier attempts' completed task runs, by input key.
    public var reuse: [String: ReusedResult]
    /// The options of the library's flows, from its stored manifest: the runner need not ask the
    /// library for its whole manifest (every flow's parameter schema) to run one flow.
    public var flowOptions: [String: FlowOptionsSpec]?
    /// A run of a deployment does not begin before its scheduled time: a worker starts its runner a
    /// moment early, so that loading the library does not make the run late.
    public var notBefore: Date?

    public init(
        flowRunID: String, flowRunName: String, flow: String, version: Int, parameters: [String: JSONValue], attempt: Int,
        libraryHash: String = "", flowVersions: [String: Int] = [:], reuse: [String: ReusedResult] = [:],
        flowOptions: [String: FlowOptionsSpec]? = nil, notBefore: Date? = nil
    ) {
        self.notBefore = notBefore
        self.flowRunID = flowRunID
        self.flowRunName = flowRunName
        self.flow = flow
        self.version = version
        self.parameters = parameters
        self.attempt = attempt
        self.libraryHash = libraryHash
        self.flowVersions = flowVersions
        self.reuse = reuse
        self.flowOptions = flowOptions
    }
}

/// A completed task run's result that a resumed run may return instead of running the task again.
public struct ReusedResult: Codable, Sendable, Hashable {
    public var taskRunID: String
    public var taskRunName: String?
    public var attempt: Int?
    public var result: String

    public init(taskRunID: String, taskRunName: String? = nil, attempt: Int? = nil, result: String) {
        self.taskRunID = taskRunID
        self.taskRunName = taskRunName
        self.attempt = attempt
        self.result = result
    }
}
