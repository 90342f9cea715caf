import FoundationEssentials

/// A limit on a parameter's value beyond its type: a range, a length, a pattern, a set of values, an
/// item count. Recorded in the manifest as JSON Schema keywords; `baton run`, the API, deployments and
/// the run form refuse a value that breaks it, naming the parameter and what it allows, before the
/// run starts.
///
/// ```swift
/// struct Params: FlowParameters {
///     var threshold = 0.75
///     var region = "eu"
///     var name = "report"
///     static let parameterConstraints: [String: ParameterConstraint] = [
///         "threshold": .range(0...1),
///         "region": .oneOf(["eu", "us"]),
///         "name": .length(1...32).and(.pattern("^[a-z-]+$")),
///     ]
/// }
/// ```
public struct ParameterConstraint: Sendable {
    /// A keyword's value: a bound, a count, a pattern or the allowed strings.
    enum Value: Sendable {
        case int(Int64), double(Double), string(String), strings([String])

        var literal: JSONLiteral {
            switch self {
            case .int(let n): .int(n)
            case .double(let x): .double(x)
            case .string(let text): .string(text)
            case .strings(let list): .array(list.map(JSONLiteral.string))
            }
        }
    }

    /// JSON Schema keywords and their values, in the order the manifest records them.
    var keywords: [(String, Value)]

    private init(_ keywords: [(String, Value)]) { self.keywords = keywords }

    /// A number (or integer) from `range.lowerBound` to `range.upperBound`, both included.
    public static func range(_ range: ClosedRange<Double>) -> Self {
        Self([("minimum", .double(range.lowerBound)), ("maximum", .double(range.upperBound))])
    }

    /// An integer (or number) from `range.lowerBound` to `range.upperBound`, both included.
    public static func range(_ range: ClosedRange<Int>) -> Self {
        Self([("minimum", .int(Int64(range.lowerBound))), ("maximum", .int(Int64(range.upperBound)))])
    }

    /// A number at least `value`.
    public static func minimum(_ value: Double) -> Self { Self([("minimum", .double(value))]) }

    /// A number at most `value`.
    public static func maximum(_ value: Double) -> Self { Self([("maximum", .double(value))]) }

    /// A number greater than `value`.
    public static func greaterThan(_ value: Double) -> Self { Self([("exclusiveMinimum", .double(value))]) }

    /// A number less than `value`.
    public static func lessThan(_ value: Double) -> Self { Self([("exclusiveMaximum", .double(value))]) }

    /// A string of `range.lowerBound` to `range.upperBound` characters.
    public static func length(_ range: ClosedRange<Int>) -> Self {
        Self([("minLength", .int(Int64(range.lowerBound))), ("maxLength", .int(Int64(range.upperBound)))])
    }

    /// A string of at most `count` characters.
    public static func maxLength(_ count: Int) -> Self { Self([("maxLength", .int(Int64(count)))]) }

    /// A string of at least `count` characters.
    public static func minLength(_ count: Int) -> Self { Self([("minLength", .int(Int64(count)))]) }

    /// A string the regular expression finds a match in; anchor it (`^…$`) to match the whole string.
    public static func pattern(_ regex: String) -> Self { Self([("pattern", .string(regex))]) }

    /// A string that is one of `values`.
    public static func oneOf(_ values: [String]) -> Self { Self([("enum", .strings(values))]) }

    /// An array of `range.lowerBound` to `range.upperBound` items.
    public static func items(_ range: ClosedRange<Int>) -> Self {
        Self([("minItems", .int(Int64(range.lowerBound))), ("maxItems", .int(Int64(range.upperBound)))])
    }

    /// This constraint and `other` together.
    public func and(_ other: ParameterConstraint) -> Self {
        Self(keywords.filter { key, _ in !other.keywords.contains { $0.0 == key } } + other.keywords)
    }
}
