import FoundationEssentials

/// A flow: an async function that calls tasks with ordinary Swift control flow, takes typed
/// parameters with defaults, and may declare a schedule.
///
/// Declare flows and tasks as top-level constants: the BatonEntryPoint plugin finds them and
/// exports them from the library. One library may export several flows.
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
/// let windspeed = Flow("windspeed", description: "Track the wind", schedule: .every(minutes: 1)) {
///     (params: Params) in
///     let reading = try await extract(params.city)
///     let knots = try await transform(reading)
///     logger.info("\(params.city): \(knots) kn")
///     return knots
/// }
/// ```
public struct Flow<Parameters: FlowParameters, Result: Codable & Sendable>: Sendable {
    /// The flow's name, the one `baton run <flow>` takes. Letters, digits, `-`, `_` and `.`.
    public let name: String
    /// A sentence on what the flow does.
    public let description: String?
    /// When the flow runs by itself, if it declares a schedule.
    public let schedule: Schedule?
    let sourceLocation: String
    let body: @Sendable (Parameters) async throws -> Result

    /// A flow named `name` whose body takes the flow's parameters.
    ///
    /// - Parameters:
    ///   - name: The flow's name, unique within the library.
    ///   - description: A sentence on what the flow does.
    ///   - schedule: When the flow runs by itself; registering it creates a default deployment.
    ///   - body: The flow: calls tasks and returns a `Codable` result.
    public init(
        _ name: String, description: String? = nil, schedule: Schedule? = nil, fileID: String = #fileID,
        line: Int = #line, _ body: @escaping @Sendable (Parameters) async throws -> Result
    ) {
        self.name = name
        self.description = description
        self.schedule = schedule
        self.sourceLocation = "\(fileID):\(line)"
        self.body = body
        Registry.shared.register(flow: ExportedFlow(self))
    }

    /// Runs the flow's body with `parameters`, as a plain function call.
    ///
    /// Outside a run this is handy in unit tests: tasks called by the body run directly too.
    @discardableResult
    public func callAsFunction(_ parameters: Parameters = Parameters()) async throws -> Result {
        try await body(parameters)
    }
}

extension Flow where Result == NoResult {
    /// A flow whose body returns nothing.
    public init(
        _ name: String, description: String? = nil, schedule: Schedule? = nil, fileID: String = #fileID,
        line: Int = #line, _ body: @escaping @Sendable (Parameters) async throws -> Void
    ) {
        self.init(name, description: description, schedule: schedule, fileID: fileID, line: line) {
            try await body($0)
            return NoResult()
        }
    }
}

extension Flow where Parameters == NoParameters {
    /// A flow that takes no parameters.
    public init(
        _ name: String, description: String? = nil, schedule: Schedule? = nil, fileID: String = #fileID,
        line: Int = #line, _ body: @escaping @Sendable () async throws -> Result
    ) {
        self.init(name, description: description, schedule: schedule, fileID: fileID, line: line) { _ in
            try await body()
        }
    }
}

extension Flow where Parameters == NoParameters, Result == NoResult {
    /// A flow that takes no parameters and returns nothing.
    public init(
        _ name: String, description: String? = nil, schedule: Schedule? = nil, fileID: String = #fileID,
        line: Int = #line, _ body: @escaping @Sendable () async throws -> Void
    ) {
        self.init(name, description: description, schedule: schedule, fileID: fileID, line: line) { _ in
            try await body()
            return NoResult()
        }
    }
}
