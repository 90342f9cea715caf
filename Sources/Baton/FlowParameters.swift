import FoundationEssentials

/// The parameters of a flow: a `Codable` struct whose every property has a default value.
///
/// Baton encodes `init()` once when the library is registered and records each property's name,
/// type and default in the manifest. `baton run` checks the values given for a run against them
/// (unknown names and wrong types are refused before the run starts) and fills in the defaults.
/// A string enum that is also `CaseIterable` is recorded with its cases: a run form offers them, and
/// any other value is refused.
///
/// ```swift
/// struct Params: FlowParameters {
///     var city = "Boston"
///     var days = 7
///     var verbose = false
///     static let parameterDescriptions = ["city": "Where to read the wind speed"]
/// }
/// ```
public protocol FlowParameters: Codable, Sendable {
    /// Every parameter at its default value.
    init()

    /// Optional descriptions by parameter name, shown by `baton flow inspect` and run forms.
    static var parameterDescriptions: [String: String] { get }

    /// Optional limits by parameter name (ranges, lengths, patterns, values, item counts), checked
    /// before every run; see ``ParameterConstraint``.
    static var parameterConstraints: [String: ParameterConstraint] { get }
}

extension FlowParameters {
    /// No descriptions, unless the parameters type gives some.
    public static var parameterDescriptions: [String: String] { [:] }

    /// No limits beyond the types, unless the parameters type gives some.
    public static var parameterConstraints: [String: ParameterConstraint] { [:] }
}

/// The parameters of a flow that takes none.
public struct NoParameters: FlowParameters {
    /// No parameters.
    public init() {}
}

/// The input of a task that takes no arguments.
public struct NoInput: Codable, Sendable, Hashable {
    /// No input.
    public init() {}
}

/// The result of a flow or task whose body returns nothing.
public struct NoResult: Codable, Sendable, Hashable {
    /// No result.
    public init() {}
}
