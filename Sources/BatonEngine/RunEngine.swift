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

    private struct State {
        /// Bodies running now, by context, with how to give each up.
        var active: [UInt: @Sendable () -> Void] = [:]
        var cancelReason: String?
        var options: [[UInt8]: TaskOptionsSpec] = [:]
    }
    private let state = Mutex(State())

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
        let active: [(UInt, @Sendable () -> Void)]? = state.withLock { state in
            guard state.cancelReason == nil else { return nil }
            state.cancelReason = reason
            return Array(state.active)
        }
        guard let active else { return }
        services.cancelWaits()
        for (context, _) in active { library.cancel(context: context) }
        let clock = self.clock
        let grace = cancelGrace
        Task {
            try? await clock.sleep(seconds: grace)
            let remaining = self.state.withLock { Array($0.active.values) }
            for abandon in remaining { abandon() }
        }
    }

    /// Why the run is being cancelled, once it is.
    var cancellation: String? { state.withLock { $0.cancelReason } }

    /// Remembers a running body, so that a cancellation reaches it and, after the grace period, gives
    /// it up with `abandon`.
    func track(context: UInt, abandon: @escaping @Sendable () -> Void) {
        let cancelled = state.withLock { state in
            state.active[context] = abandon
            return state.cancelReason != nil
        }
        if cancelled { library.cancel(context: context) }
    }

    func untrack(context: UInt) {
        _ = state.withLock { $0.active.removeValue(forKey: context) }
    }

    /// A task's options, decoded once per distinct options buffer (one per task declaration).
    func options(_ bytes: [UInt8]) -> TaskOptionsSpec {
        if let known = state.withLock({ $0.options[bytes] }) { return known }
        let decoded = (try? JSONDecoder().decode(TaskOptionsSpec.self, from: Data(bytes))) ?? TaskOptionsSpec()
        state.withLock { $0.options[bytes] = decoded }
        return decoded
    }

    func flowOptions(_ flow: String) -> FlowOptionsSpec {
        flowOptions[flow] ?? FlowOptionsSpec()
    }
}
