import CBatonABI
import FoundationEssentials

/// A named unit of work that Baton records, retries and reports: an async throwing function from a
/// `Codable` input to a `Codable` output.
///
/// Make one with `task(_:description:retries:retryDelay:timeout:tags:_:)`
/// and call it like a function. Inside a flow run, each call goes through the engine and is
/// recorded as a task run with its states and attempts; outside a run (a unit test, say) the call
/// runs the body directly.
///
/// ```swift
/// let extract = task("extract", retries: 3, retryDelay: .seconds(2)) { (city: String) in
///     try await fetchReading(for: city)
/// }
///
/// let windspeed = Flow("windspeed") { (params: Params) in
///     let reading = try await extract(params.city)
///     …
/// }
/// ```
public struct FlowTask<Input: Codable & Sendable, Output: Codable & Sendable>: Sendable {
    /// The task's name, unique within its library; task runs are named after it (`extract-0`).
    public let name: String
    /// The options the engine applies to each call.
    public let options: TaskOptions
    let body: @Sendable (Input) async throws -> Output

    init(name: String, options: TaskOptions, body: @escaping @Sendable (Input) async throws -> Output) {
        self.name = name
        self.options = options
        self.body = body
        Registry.shared.register(task: ExportedTask(self))
    }

    private init(copying other: FlowTask, options: TaskOptions) {
        self.name = other.name
        self.options = options
        self.body = other.body
    }

    /// The same task with other options for the calls made through the copy.
    ///
    /// ```swift
    /// let patient = extract.with(retries: 10, retryDelay: .seconds(30))
    /// ```
    public func with(
        retries: Int? = nil, retryDelay: Duration? = nil, timeout: Duration?? = nil, tags: [String]? = nil
    ) -> FlowTask {
        var options = self.options
        if let retries { options.retries = max(0, retries) }
        if let retryDelay { options.retryDelaySeconds = retryDelay == .zero ? [] : [retryDelay.seconds] }
        if let timeout { options.timeoutSeconds = timeout?.seconds }
        if let tags { options.tags = tags }
        return FlowTask(copying: self, options: options)
    }

    /// Runs the task with `input`: through the engine inside a run, directly outside one.
    @discardableResult
    public func callAsFunction(_ input: Input) async throws -> Output {
        guard let scope = RunScope.current else { return try await body(input) }
        let inputJSON = try BatonJSON.encode(input)
        let optionsJSON = try BatonJSON.encode(options)
        let (status, output) = await scope.host.submitTask(
            caller: scope.caller, task: name, input: inputJSON, options: optionsJSON)
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

/// The arguments of a two-argument task, carried as a JSON array.
public struct TaskArguments2<A: Codable & Sendable, B: Codable & Sendable>: Codable, Sendable {
    /// The first argument.
    public let a: A
    /// The second argument.
    public let b: B
    /// Arguments `a` and `b`.
    public init(_ a: A, _ b: B) { (self.a, self.b) = (a, b) }
    /// Reads the arguments from a JSON array of two.
    public init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        a = try c.decode(A.self)
        b = try c.decode(B.self)
    }
    /// Writes the arguments as a JSON array of two.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(a)
        try c.encode(b)
    }
}

/// The arguments of a three-argument task, carried as a JSON array.
public struct TaskArguments3<A: Codable & Sendable, B: Codable & Sendable, C: Codable & Sendable>: Codable, Sendable {
    /// The first argument.
    public let a: A
    /// The second argument.
    public let b: B
    /// The third argument.
    public let c: C
    /// Arguments `a`, `b` and `c`.
    public init(_ a: A, _ b: B, _ c: C) { (self.a, self.b, self.c) = (a, b, c) }
    /// Reads the arguments from a JSON array of three.
    public init(from decoder: any Decoder) throws {
        var u = try decoder.unkeyedContainer()
        a = try u.decode(A.self)
        b = try u.decode(B.self)
        c = try u.decode(C.self)
    }
    /// Writes the arguments as a JSON array of three.
    public func encode(to encoder: any Encoder) throws {
        var u = encoder.unkeyedContainer()
        try u.encode(a)
        try u.encode(b)
        try u.encode(c)
    }
}
