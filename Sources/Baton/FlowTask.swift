import CBatonABI
import FoundationEssentials
import Synchronization

/// A named unit of work that Baton records, retries and reports: an async throwing function from a
/// `Codable` input to a `Codable` output.
///
/// Make one with `task(_:description:retries:retryDelay:timeout:tags:_:)`, shape it with modifiers,
/// and call it like a function. Inside a flow run each call goes through the engine and is recorded
/// as a task run with its states and attempts; outside a run (a unit test, say) the call runs the
/// body directly.
///
/// ```swift
/// let extract = task("extract", retries: 3, timeout: .seconds(30), tags: ["api"]) { (city: String) in
///     try await fetchReading(for: city)
/// }
/// .retry(delays: .exponential(base: .seconds(1), cap: .seconds(60)), jitter: 0.2)
/// .retry(when: { !($0 is ValidationError) })
/// .cache(.inputs, expiration: .seconds(600))
/// .onFailure { state in await page("extract failed: \(state.message ?? "")") }
///
/// let windspeed = Flow("windspeed") { (params: Params) in
///     let reading = try await extract(params.city)             // a task run
///     let all = try await extract.map(["Oslo", "Lima"])      // one task run per city, in order
///     …
/// }
/// ```
public struct FlowTask<Input: Codable & Sendable, Output: Codable & Sendable>: Sendable {
    /// The task's name, unique within its library; task runs are named after it (`extract-0`).
    public let name: String
    /// The options the engine applies to each call.
    public let options: TaskOptions
    let body: @Sendable (Input) async throws -> Output
    let behaviour: TaskBehaviour<Input>
    let optionsJSON: [UInt8]

    init(name: String, options: TaskOptions, body: @escaping @Sendable (Input) async throws -> Output) {
        self.init(name: name, options: options, body: body, behaviour: TaskBehaviour(), register: true)
    }

    private init(
        name: String, options: TaskOptions, body: @escaping @Sendable (Input) async throws -> Output,
        behaviour: TaskBehaviour<Input>, register: Bool
    ) {
        var options = options
        options.hooks = behaviour.hooks.keys.sorted()
        self.name = name
        self.options = options
        self.body = body
        self.behaviour = behaviour
        optionsJSON = (try? BatonJSON.encode(options)) ?? []
        if register { Registry.shared.register(task: ExportedTask(self)) }
    }

    /// A copy with other options and behaviour. Declaration modifiers replace the registered task, so
    /// that the library runs what was declared; `with(…)` only changes the calls made through it.
    private func changed(register: Bool, _ change: (inout TaskOptions, inout TaskBehaviour<Input>) -> Void) -> FlowTask {
        var options = self.options
        var behaviour = self.behaviour
        change(&options, &behaviour)
        return FlowTask(name: name, options: options, body: body, behaviour: behaviour, register: register)
    }

    /// The same task with other options for the calls made through the copy.
    ///
    /// ```swift
    /// let patient = extract.with(retries: 10, retryDelay: .seconds(30))
    /// ```
    public func with(
        retries: Int? = nil, retryDelay: Duration? = nil, timeout: Duration?? = nil, tags: [String]? = nil
    ) -> FlowTask {
        changed(register: false) { options, _ in
            if let retries { options.retries = max(0, retries) }
            if let retryDelay {
                options.retryDelaySeconds = retryDelay == .zero ? [] : [retryDelay.seconds]
                options.retryBackoff = nil
            }
            if let timeout { options.timeoutSeconds = timeout?.seconds }
            if let tags { options.tags = tags }
        }
    }

    /// How long to wait before each retry, and how much to spread it at random (0.2 is ±20%).
    public func retry(delays: RetryDelays, jitter: Double? = nil) -> FlowTask {
        changed(register: true) { options, _ in
            switch delays {
            case .fixed(let delay):
                options.retryDelaySeconds = delay == .zero ? [] : [delay.seconds]
                options.retryBackoff = nil
            case .list(let list):
                options.retryDelaySeconds = list.map(\.seconds)
                options.retryBackoff = nil
            case .exponential(let base, let cap):
                options.retryDelaySeconds = []
                options.retryBackoff = TaskOptions.Backoff(baseSeconds: base.seconds, factor: 2, capSeconds: cap?.seconds)
            }
            options.retryJitter = jitter.map { min(max($0, 0), 1) }
        }
    }

    /// Retries only errors for which `condition` returns true; the others fail the task run at once.
    public func retry(when condition: @escaping @Sendable (any Error) -> Bool) -> FlowTask {
        changed(register: true) { _, behaviour in behaviour.retryIf = condition }
    }

    /// Caches results under `policy`, for `expiration` (for ever when nil). `refresh` runs the task
    /// anyway and replaces the cached result.
    public func cache(_ policy: CachePolicy<Input>, expiration: Duration? = nil, refresh: Bool = false) -> FlowTask {
        changed(register: true) { options, behaviour in
            options.cache = TaskOptions.CacheSettings(policy: policy.name, expirationSeconds: expiration?.seconds, refresh: refresh)
            behaviour.cacheKey = policy.key
        }
    }

    /// Whether `print` in the body becomes log lines of the task run (the default) or goes to the
    /// runner's output.
    public func logPrints(_ enabled: Bool) -> FlowTask {
        changed(register: true) { options, _ in options.logPrints = enabled }
    }

    /// Runs `hook` when a task run of this task completes. A hook that throws is logged and changes
    /// no state.
    public func onCompletion(_ hook: @escaping @Sendable (FinalState) async throws -> Void) -> FlowTask {
        changed(register: true) { _, behaviour in behaviour.hooks["onCompletion"] = hook }
    }

    /// Runs `hook` when a task run of this task fails for good (after its retries).
    public func onFailure(_ hook: @escaping @Sendable (FinalState) async throws -> Void) -> FlowTask {
        changed(register: true) { _, behaviour in behaviour.hooks["onFailure"] = hook }
    }

    /// Runs `hook` when a task run of this task is cancelled.
    public func onCancellation(_ hook: @escaping @Sendable (FinalState) async throws -> Void) -> FlowTask {
        changed(register: true) { _, behaviour in behaviour.hooks["onCancellation"] = hook }
    }

    /// Runs the task with `input`: through the engine inside a run, directly outside one.
    @discardableResult
    public func callAsFunction(_ input: Input) async throws -> Output {
        guard let scope = RunScope.current else { return try await body(input) }
        let (status, output) = await scope.host.submitCall(
            caller: scope.caller, task: name, input: try BatonJSON.encode(input), options: optionsJSON,
            call: callJSON(id: TaskRunIDs.make(), input: input, upstream: []))
        return try outcome(status, output)
    }

    func callJSON(id: String, input: Input, upstream: [(id: String, kind: String)]) -> [UInt8] {
        var text = "{\"id\":\"\(id)\""
        if !upstream.isEmpty {
            text += ",\"upstream\":[" + upstream.map { "{\"id\":\"\($0.id)\",\"kind\":\"\($0.kind)\"}" }.joined(separator: ",") + "]"
        }
        if let key = behaviour.cacheKey?(input), let encoded = try? BatonJSON.encode(key) {
            text += ",\"cacheKey\":" + String(decoding: encoded, as: UTF8.self)
        }
        return Array((text + "}").utf8)
    }

    func outcome(_ status: Int32, _ output: [UInt8]) throws -> Output {
        switch status {
        case BATON_STATUS_OK:
            do {
                return try BatonJSON.decode(Output.self, from: output)
            } catch {
                throw TaskRunFailure(task: name, type: "DecodingError", message: "its result did not decode: \(error)")
            }
        case BATON_STATUS_CANCELLED:
            throw CancellationError()
        default:
            let info = ErrorInfo.decode(output)
            throw TaskRunFailure(task: name, type: info.type, message: info.message)
        }
    }
}

/// The closures a task declaration carries: they run in the library, next to the task's body.
struct TaskBehaviour<Input: Sendable>: Sendable {
    var retryIf: (@Sendable (any Error) -> Bool)?
    var cacheKey: (@Sendable (Input) -> String)?
    var hooks: [String: @Sendable (FinalState) async throws -> Void] = [:]
}

extension FlowTask where Input == NoInput {
    /// Runs a task that takes no input.
    @discardableResult
    public func callAsFunction() async throws -> Output { try await self(NoInput()) }
}

extension FlowTask {
    /// Runs a task of two arguments.
    @discardableResult
    public func callAsFunction<A, B>(_ a: A, _ b: B) async throws -> Output
    where Input == TaskArguments2<A, B> {
        try await self(TaskArguments2(a, b))
    }

    /// Runs a task of three arguments.
    @discardableResult
    public func callAsFunction<A, B, C>(_ a: A, _ b: B, _ c: C) async throws -> Output
    where Input == TaskArguments3<A, B, C> {
        try await self(TaskArguments3(a, b, c))
    }
}

/// The error a flow sees when a task it called ended `failed` after all its retries.
public struct TaskRunFailure: Error, CustomStringConvertible, Sendable {
    /// The task's name.
    public let task: String
    /// The Swift type of the error the task threw, for example `MyFlows.FetchError`.
    public let type: String
    /// The error's description.
    public let message: String

    /// "task 'extract' failed: …", as the flow run's state message shows it when the flow lets it through.
    public var description: String { "task '\(task)' failed: \(message)" }
}

/// Task run ids made by the library, so that a future knows its task run at once: UUID version 7,
/// time-ordered like the host's.
enum TaskRunIDs {
    /// The random bits of ids: a random seed per process mixed with a counter through splitmix64's
    /// finalizer (a bijection, so no two ids of one process get the same bits). A system random
    /// number per id cost a system call each.
    private static let seed: UInt64 = {
        var random = SystemRandomNumberGenerator()
        return random.next()
    }()
    private static let counter = Atomic<UInt64>(0)

    static func make() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        let bits = mix(seed &+ n &* 0x9E37_79B9_7F4A_7C15)
        let milliseconds = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
        let high = (milliseconds << 16) | 0x7000 | (mix(bits ^ seed) & 0x0FFF)
        let low = (bits & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { out in
            let digits: StaticString = "0123456789abcdef"
            var position = 0
            for (index, value) in [high, low].enumerated() {
                for shift in stride(from: 60, through: 0, by: -4) {
                    let nibble = index * 16 + (60 - shift) / 4
                    if nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20 {
                        out[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    out[position] = digits.utf8Start[Int((value >> UInt64(shift)) & 0xF)]
                    position += 1
                }
            }
            return position
        }
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
