import CBatonABI
import FoundationEssentials

/// A flow: an async function that calls tasks with ordinary Swift control flow, takes typed
/// parameters with defaults, and may declare a schedule.
///
/// Declare flows and tasks as top-level constants: the BatonEntryPoint plugin finds them and
/// exports them from the library. One library may export several flows, and a flow may call
/// another: inside a run that call is a subflow run linked to its parent.
///
/// ```swift
/// import Baton
///
/// struct Params: FlowParameters {
///     var city = "Boston"
/// }
///
/// let extract = task("extract", retries: 3) { (city: String) in try await fetch(city) }
/// let transform = task("transform") { (reading: Reading) in reading.knots }
///
/// let windspeed = Flow(
///     "windspeed", description: "Track the wind", schedule: .every(minutes: 1),
///     retries: 1, timeout: .seconds(300), taskConcurrency: 8
/// ) { (params: Params) in
///     let reading = try await extract(params.city)
///     let knots = try await transform(reading)
///     logger.info("\(params.city): \(knots) kn")
///     return knots
/// }
/// .onFailure { state in print("windspeed failed: \(state.message ?? "")") }
/// ```
public struct Flow<Parameters: FlowParameters, Result: Codable & Sendable>: Sendable {
    /// The flow's name, the one `baton run <flow>` takes. Letters, digits, `-`, `_` and `.`.
    public let name: String
    /// A sentence on what the flow does.
    public let description: String?
    /// When the flow runs by itself, if it declares a schedule.
    public let schedule: Schedule?
    /// Retries, timeout, task concurrency and print capture.
    public let options: FlowOptions
    let sourceLocation: String
    let body: @Sendable (Parameters) async throws -> Result
    let hooks: [String: @Sendable (FinalState) async throws -> Void]

    /// A flow named `name` whose body takes the flow's parameters.
    ///
    /// - Parameters:
    ///   - name: The flow's name, unique within the library.
    ///   - description: A sentence on what the flow does.
    ///   - schedule: When the flow runs by itself; registering it creates a default deployment.
    ///   - retries: How many times a failed run of the body is retried.
    ///   - retryDelay: How long to wait before each retry.
    ///   - timeout: How long one attempt of the body may take before it ends as `TimedOut`.
    ///   - taskConcurrency: How many task runs the body's calls may run at once (512 by default).
    ///   - logPrints: Whether `print` in the body becomes log lines.
    ///   - body: The flow: calls tasks and returns a `Codable` result.
    public init(
        _ name: String, description: String? = nil, schedule: Schedule? = nil, retries: Int = 0,
        retryDelay: Duration = .zero, timeout: Duration? = nil, taskConcurrency: Int? = nil, logPrints: Bool = true,
        fileID: String = #fileID, line: Int = #line, _ body: @escaping @Sendable (Parameters) async throws -> Result
    ) {
        let options = FlowOptions(
            retries: max(0, retries), retryDelaySeconds: retryDelay == .zero ? [] : [retryDelay.seconds],
            timeoutSeconds: timeout?.seconds, taskConcurrency: taskConcurrency.map { max(1, $0) }, logPrints: logPrints)
        self.init(
            name: name, description: description, schedule: schedule, options: options, sourceLocation: "\(fileID):\(line)",
            body: body, hooks: [:])
    }

    private init(
        name: String, description: String?, schedule: Schedule?, options: FlowOptions, sourceLocation: String,
        body: @escaping @Sendable (Parameters) async throws -> Result, hooks: [String: @Sendable (FinalState) async throws -> Void]
    ) {
        var options = options
        options.hooks = hooks.keys.sorted()
        self.name = name
        self.description = description
        self.schedule = schedule
        self.options = options
        self.sourceLocation = sourceLocation
        self.body = body
        self.hooks = hooks
        Registry.shared.register(flow: ExportedFlow(self))
    }

    private func changed(_ change: (inout FlowOptions, inout [String: @Sendable (FinalState) async throws -> Void]) -> Void) -> Flow {
        var options = self.options
        var hooks = self.hooks
        change(&options, &hooks)
        return Flow(
            name: name, description: description, schedule: schedule, options: options, sourceLocation: sourceLocation,
            body: body, hooks: hooks)
    }

    /// Tags the flow's runs carry, so that automations can watch them by tag:
    /// `Flow("load", …) { … }.tags("nightly", "warehouse")`.
    public func tags(_ tags: String...) -> Flow {
        changed { options, _ in options.tags = Array(Set(tags.filter { !$0.isEmpty })).sorted() }
    }

    /// How long to wait before each retry of the flow's body, and how much to spread it at random.
    public func retry(delays: RetryDelays, jitter: Double? = nil) -> Flow {
        changed { options, _ in
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

    /// Runs `hook` when a run of this flow completes. A hook that throws is logged and changes no state.
    public func onCompletion(_ hook: @escaping @Sendable (FinalState) async throws -> Void) -> Flow {
        changed { _, hooks in hooks["onCompletion"] = hook }
    }

    /// Runs `hook` when a run of this flow fails for good (after its retries).
    public func onFailure(_ hook: @escaping @Sendable (FinalState) async throws -> Void) -> Flow {
        changed { _, hooks in hooks["onFailure"] = hook }
    }

    /// Runs `hook` when a run of this flow is cancelled.
    public func onCancellation(_ hook: @escaping @Sendable (FinalState) async throws -> Void) -> Flow {
        changed { _, hooks in hooks["onCancellation"] = hook }
    }

    /// Runs the flow with `parameters`: inside a run, as a subflow run of it; outside one, as a plain
    /// function call (handy in unit tests: tasks called by the body run directly too).
    @discardableResult
    public func callAsFunction(_ parameters: Parameters = Parameters()) async throws -> Result {
        guard let scope = RunScope.current else { return try await body(parameters) }
        let (status, output) = await scope.host.startSubflow(
            caller: scope.caller, flow: name, parameters: try BatonJSON.encode(parameters))
        switch status {
        case BATON_STATUS_OK:
            return try BatonJSON.decode(Result.self, from: output)
        case BATON_STATUS_CANCELLED:
            throw CancellationError()
        default:
            let info = ErrorInfo.decode(output)
            throw TaskRunFailure(task: name, type: info.type, message: info.message)
        }
    }
}

/// A flow's options, as the manifest records them for the engine.
public struct FlowOptions: Codable, Sendable, Hashable {
    /// How many times a failed run of the body is retried.
    public var retries: Int
    /// Seconds to wait before each retry; the last entry repeats.
    public var retryDelaySeconds: [Double]
    /// Exponential backoff, in place of `retryDelaySeconds` when set.
    public var retryBackoff: TaskOptions.Backoff?
    /// Spreads each retry delay at random over ±`retryJitter` of itself.
    public var retryJitter: Double?
    /// Seconds one attempt of the body may take.
    public var timeoutSeconds: Double?
    /// How many task runs may run at once.
    public var taskConcurrency: Int?
    /// Whether `print` in the body becomes log lines.
    public var logPrints: Bool
    /// The hooks the flow declares.
    public var hooks: [String] = []
    /// The flow's tags, which automations may watch (`baton automation create … --tag nightly`).
    public var tags: [String] = []
}

extension Flow where Result == NoResult {
    /// A flow whose body returns nothing.
    public init(
        _ name: String, description: String? = nil, schedule: Schedule? = nil, retries: Int = 0,
        retryDelay: Duration = .zero, timeout: Duration? = nil, taskConcurrency: Int? = nil, logPrints: Bool = true,
        fileID: String = #fileID, line: Int = #line, _ body: @escaping @Sendable (Parameters) async throws -> Void
    ) {
        self.init(
            name, description: description, schedule: schedule, retries: retries, retryDelay: retryDelay, timeout: timeout,
            taskConcurrency: taskConcurrency, logPrints: logPrints, fileID: fileID, line: line
        ) {
            try await body($0)
            return NoResult()
        }
    }
}

extension Flow where Parameters == NoParameters {
    /// A flow that takes no parameters.
    public init(
        _ name: String, description: String? = nil, schedule: Schedule? = nil, retries: Int = 0,
        retryDelay: Duration = .zero, timeout: Duration? = nil, taskConcurrency: Int? = nil, logPrints: Bool = true,
        fileID: String = #fileID, line: Int = #line, _ body: @escaping @Sendable () async throws -> Result
    ) {
        self.init(
            name, description: description, schedule: schedule, retries: retries, retryDelay: retryDelay, timeout: timeout,
            taskConcurrency: taskConcurrency, logPrints: logPrints, fileID: fileID, line: line
        ) { _ in
            try await body()
        }
    }
}

extension Flow where Parameters == NoParameters, Result == NoResult {
    /// A flow that takes no parameters and returns nothing.
    public init(
        _ name: String, description: String? = nil, schedule: Schedule? = nil, retries: Int = 0,
        retryDelay: Duration = .zero, timeout: Duration? = nil, taskConcurrency: Int? = nil, logPrints: Bool = true,
        fileID: String = #fileID, line: Int = #line, _ body: @escaping @Sendable () async throws -> Void
    ) {
        self.init(
            name, description: description, schedule: schedule, retries: retries, retryDelay: retryDelay, timeout: timeout,
            taskConcurrency: taskConcurrency, logPrints: logPrints, fileID: fileID, line: line
        ) { _ in
            try await body()
            return NoResult()
        }
    }
}
