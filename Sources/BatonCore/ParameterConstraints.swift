import Foundation

/// The limits a parameter schema puts on a value beyond its type, read from the JSON Schema keywords
/// `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `minLength`, `maxLength`, `pattern`,
/// `enum`, `minItems` and `maxItems`. The one place these rules are checked and put in words: the CLI,
/// the API, deployments and the scheduler all reach them through ``ParameterSchema/resolve(_:)``, and
/// `flow inspect` prints ``summary(base:)``.
public struct ParameterConstraints: Sendable, Hashable {
    public var minimum: Double?
    public var maximum: Double?
    public var exclusiveMinimum: Double?
    public var exclusiveMaximum: Double?
    public var minLength: Int?
    public var maxLength: Int?
    /// A regular expression (ICU syntax, as `NSRegularExpression` reads it) a string must match somewhere;
    /// anchor it with `^…$` to match the whole string.
    public var pattern: String?
    /// The only strings a value may be.
    public var choices: [String]?
    public var minItems: Int?
    public var maxItems: Int?

    init(schema: JSONValue) {
        func number(_ key: String) -> Double? {
            switch schema[key] {
            case .int(let i)?: Double(i)
            case .double(let d)?: d
            default: nil
            }
        }
        func count(_ key: String) -> Int? { schema[key]?.intValue.map { Int(clamping: $0) } }
        minimum = number("minimum")
        maximum = number("maximum")
        exclusiveMinimum = number("exclusiveMinimum")
        exclusiveMaximum = number("exclusiveMaximum")
        minLength = count("minLength")
        maxLength = count("maxLength")
        pattern = schema["pattern"]?.stringValue
        choices = schema["enum"]?.arrayValue?.compactMap(\.stringValue)
        minItems = count("minItems")
        maxItems = count("maxItems")
    }

    /// Whether the schema states no limit at all.
    public var isEmpty: Bool { self == ParameterConstraints(schema: .null) }

    /// The limits in words, for a value of JSON type `base`: "from 0 to 1", "1 to 64 characters,
    /// matching ^[a-z]+$", "one of \"fast\", \"slow\"", "at most 5 items"; nil when there are none.
    public func summary(base: String?) -> String? {
        var parts: [String] = []
        if let range = rangeWords { parts.append(range) }
        if let choices { parts.append("one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ")) }
        if let length = Self.countWords(minLength, maxLength, unit: "character") { parts.append(length) }
        if let pattern { parts.append("matching \(pattern)") }
        if let items = Self.countWords(minItems, maxItems, unit: "item") { parts.append(items) }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// What is wrong with `value` (already of the right type), as the part of a message after the
    /// parameter's name: `1.5 is out of range; expected a number from 0 to 1`. Nil when it is allowed.
    func violation(of value: JSONValue, base: String?) -> String? {
        let noun = base == "integer" ? "an integer" : "a number"
        switch value {
        case .int, .double:
            guard let rangeWords, let x = Self.number(value) else { return nil }
            let below = minimum.map { x < $0 } == true || exclusiveMinimum.map { x <= $0 } == true
            let above = maximum.map { x > $0 } == true || exclusiveMaximum.map { x >= $0 } == true
            return below || above ? "\(value.jsonText) is out of range; expected \(noun) \(rangeWords)" : nil
        case .string(let text):
            let shown = "\"\(Self.cut(text))\""
            if let choices, !choices.contains(text) {
                return "\(shown) is not allowed; expected one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ")
            }
            let length = text.count
            if let words = Self.countWords(minLength, maxLength, unit: "character"),
                minLength.map({ length < $0 }) == true || maxLength.map({ length > $0 }) == true
            {
                let which = maxLength.map { length > $0 } == true ? "too long" : "too short"
                return "\(shown) is \(which) (\(Self.count(length, "character"))); expected a string of \(words)"
            }
            if let pattern, !Self.matches(text, pattern) {
                return "\(shown) does not match the pattern; expected a string matching \(pattern)"
            }
            return nil
        case .array(let list):
            guard let words = Self.countWords(minItems, maxItems, unit: "item"),
                minItems.map({ list.count < $0 }) == true || maxItems.map({ list.count > $0 }) == true
            else { return nil }
            let which = maxItems.map { list.count > $0 } == true ? "too many" : "too few"
            return "\(Self.count(list.count, "item")) is \(which); expected an array of \(words)"
        default:
            return nil
        }
    }

    /// "from 0 to 1", "at least 1", "greater than 0 and at most 10".
    private var rangeWords: String? {
        let low = minimum.map { ("from", $0) } ?? exclusiveMinimum.map { ("greater than", $0) }
        let high = maximum.map { ("at most", $0) } ?? exclusiveMaximum.map { ("less than", $0) }
        switch (low, high) {
        case let ((lowWord, a)?, (highWord, b)?):
            if lowWord == "from" && highWord == "at most" { return "from \(Self.show(a)) to \(Self.show(b))" }
            return "\(lowWord == "from" ? "at least" : lowWord) \(Self.show(a)) and \(highWord) \(Self.show(b))"
        case let ((lowWord, a)?, nil): return "\(lowWord == "from" ? "at least" : lowWord) \(Self.show(a))"
        case let (nil, (highWord, b)?): return "\(highWord) \(Self.show(b))"
        case (nil, nil): return nil
        }
    }

    private static func countWords(_ low: Int?, _ high: Int?, unit: String) -> String? {
        // A count of at least 0 says nothing.
        switch (low == 0 ? nil : low, high) {
        case let (a?, b?) where a == b: count(a, unit)
        case let (a?, b?): "\(a) to \(count(b, unit))"
        case let (a?, nil): "at least \(count(a, unit))"
        case let (nil, b?): "at most \(count(b, unit))"
        case (nil, nil): nil
        }
    }

    private static func count(_ n: Int, _ unit: String) -> String { "\(n) \(unit)\(n == 1 ? "" : "s")" }

    /// 1 as "1", 0.5 as "0.5": bounds read as people write them.
    static func show(_ x: Double) -> String {
        x.rounded() == x && abs(x) < 9e15 ? String(Int64(x)) : String(x)
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    private static func cut(_ text: String) -> String { text.count > 40 ? String(text.prefix(37)) + "..." : text }

    private static func matches(_ text: String, _ pattern: String) -> Bool {
        // A pattern that does not compile matches nothing: registration refuses such schemas first.
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// Why the schema's own limits cannot be used, if they cannot: a pattern that is not a regular
    /// expression, a minimum above its maximum.
    func problem() -> String? {
        if let pattern, (try? NSRegularExpression(pattern: pattern)) == nil {
            return "its pattern \(pattern) is not a valid regular expression"
        }
        if let a = minimum ?? exclusiveMinimum, let b = maximum ?? exclusiveMaximum, a > b {
            return "its minimum \(Self.show(a)) is above its maximum \(Self.show(b))"
        }
        if let a = minLength, let b = maxLength, a > b { return "its minLength \(a) is above its maxLength \(b)" }
        if let a = minItems, let b = maxItems, a > b { return "its minItems \(a) is above its maxItems \(b)" }
        return nil
    }
}
