import BatonCore
import BatonLoader
import CBatonABI
import Foundation
import Synchronization

/// Runs one flow run of one loaded library version, with the subflow runs it starts: every task and
/// flow option is applied here, once, for every library. Everything it does is reported through its
/// services as events.
public final class RunEngine: Sendable {
    let library: DynamicLibrary
    let spec: FlowRunSpec
    let services: any RunServices
    let clock: any EngineClock
    /// Flow options: given with the run, else read from the library's manifest.
    let flowOptions: [String: FlowOptionsSpec]
    /// How long a cancelled body may take to stop before the engine gives it up.
    let cancelGrace: Double

    /// Bodies running now, by context, with how to give each up.
    private let active = ShardedMap<@Sendable () -> Void>()
    /// Why the run is being cancelled, once it is; `cancelled` says so without taking the lock.
    private let cancelReason = Locked<String?>(nil)
    private let cancelled = Atomic<Bool>(false)
    /// The secret values this run has read: hidden in every event it reports.
    let secrets = SecretMask()
    /// Decoded task options, by their bytes.
    private let knownOptions = Locked<[OptionsKey: TaskOptionsSpec]>([:])

    public init(
        library: DynamicLibrary, spec: FlowRunSpec, services: any RunServices, clock: any EngineClock = SystemClock(),
        cancelGrace: Double = 5
    ) {
        self.library = library
        self.spec = spec
        self.services = services
        self.clock = clock
        self.cancelGrace = cancelGrace
        if let options = spec.flowOptions {
            flowOptions = options
        } else {
            let manifest = try? LibraryManifest.decode(library.manifestData, library: library.path)
            flowOptions = Dictionary((manifest?.flows ?? []).map { ($0.name, $0.options ?? FlowOptionsSpec()) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// Loads the library at `path` into this process with the host's table.
    public static func load(libraryPath path: String) throws -> DynamicLibrary {
        try DynamicLibrary(path: path, host: HostTable.pointer)
    }

    /// Runs the flow run to its final state, which it also reports, and returns it.
    @discardableResult
    public func run() async -> RunState {
        if let notBefore = spec.notBefore {
            try? await clock.sleep(seconds: notBefore.timeIntervalSince(clock.now()))
        }
        let flow = FlowExecution(
            engine: self, flowRunID: spec.flowRunID, flowRunName: spec.flowRunName, flow: spec.flow, version: spec.version,
            parameters: Array(JSONValue.object(spec.parameters).jsonData), attempt: spec.attempt, parentTaskRunID: nil,
            reuse: spec.reuse)
        let (final, _) = await flow.run()
        await services.flush()
        return final
    }

    /// Stops the run: tasks not started do not start, running bodies are asked to stop, and bodies
    /// that have not stopped after the grace period are given up. The run ends `cancelled`.
    public func cancel(reason: String) {
        let first = cancelReason.withLock { current in
            guard current == nil else { return false }
            current = reason
            return true
        }
        guard first else { return }
        // Set before the bodies are listed: a body tracked after the listing sees it and is asked
        // to stop by `track` itself.
        cancelled.store(true, ordering: .sequentiallyConsistent)
        services.cancelWaits()
        for (context, _) in active.all { library.cancel(context: context) }
        let clock = self.clock
        let grace = cancelGrace
        Task {
            try? await clock.sleep(seconds: grace)
            for (_, abandon) in self.active.all { abandon() }
        }
    }

    /// Why the run is being cancelled, once it is.
    var cancellation: String? {
        cancelled.load(ordering: .acquiring) ? cancelReason.withLock { $0 } : nil
    }

    /// Remembers a running body, so that a cancellation reaches it and, after the grace period, gives
    /// it up with `abandon`.
    func track(context: UInt, abandon: @escaping @Sendable () -> Void) {
        active[context] = abandon
        if cancelled.load(ordering: .sequentiallyConsistent) { library.cancel(context: context) }
    }

    func untrack(context: UInt) {
        active.remove(context)
    }

    /// A task's options, decoded once per distinct options buffer (one per task declaration).
    func options(_ bytes: [UInt8]) -> TaskOptionsSpec {
        let key = OptionsKey(bytes)
        if let known = knownOptions.withLock({ $0[key] }) { return known }
        let decoded = (try? JSONDecoder().decode(TaskOptionsSpec.self, from: Data(bytes))) ?? TaskOptionsSpec()
        knownOptions.withLock { $0[key] = decoded }
        return decoded
    }

    func flowOptions(_ flow: String) -> FlowOptionsSpec {
        flowOptions[flow] ?? FlowOptionsSpec()
    }
}

/// Options bytes as a dictionary key whose hash is computed once, outside any lock, over the whole
/// buffer at a time (an array of bytes hashes byte by byte).
struct OptionsKey: Hashable, Sendable {
    let bytes: [UInt8]
    let hash: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var hasher = Hasher()
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        hash = hasher.finalize()
    }

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    static func == (a: OptionsKey, b: OptionsKey) -> Bool { a.hash == b.hash && a.bytes == b.bytes }
}
