import BatonCore
import BatonHTTP
import Foundation

/// Refusing a request that breaks its route's contract, before the handler runs: a parameter or a
/// field of the wrong type, out of range, not one of its words, empty where a name is needed, null,
/// missing or unknown is a 400 that names the input and says what was expected.
extension Contract {
    func validate(_ request: HTTPRequest) throws {
        for input in inputs {
            let value = input.location == .path ? request.pathParameters[input.name] : request.queryValue(input.name)
            // An empty query value is the same as none; the router never matches an empty path segment.
            guard let value, !value.isEmpty else { continue }
            if let expected = input.type.refusal(text: value) {
                let naming = input.location == .query ? "query parameter '\(input.name)'" : "path parameter '\(input.name)'"
                throw APIError.badRequest(input.type.message(naming: naming, name: input.name, text: value, expected: expected), field: input.name)
            }
        }
        guard case .json(_, let fields)? = body else { return }
        let object = try request.jsonObject()
        try object.only(Set(fields.map(\.name)))
        for field in fields {
            guard let value = object.object[field.name] else {
                if field.required {
                    throw APIError.badRequest("field '\(field.name)' is missing: expected \(field.type.expected)", field: field.name)
                }
                continue
            }
            if let expected = field.type.refusal(json: value) {
                let message = if case .string(let text) = value, field.type != .object, field.type != .boolean, !field.type.isInteger {
                    field.type.message(naming: "field '\(field.name)'", name: field.name, text: String(text.prefix(100)), expected: expected)
                } else {
                    "field '\(field.name)' is \(value.kindDescription) (\(value.jsonText.prefix(40))): expected \(expected)"
                }
                throw APIError.badRequest(message, field: field.name)
            }
        }
    }
}

extension InputType {
    var isInteger: Bool {
        if case .integer = self { return true }
        return false
    }

    /// What a value of this type looks like, for refusals.
    var expected: String {
        switch self {
        case .integer(let range):
            range.upperBound == Int.max
                ? "a whole number of at least \(range.lowerBound)" : "a whole number from \(range.lowerBound) to \(range.upperBound)"
        case .enumeration(let words): "one of \(words.joined(separator: ", "))"
        case .string(let minLength): minLength > 0 ? "a string of at least \(minLength) character\(minLength == 1 ? "" : "s")" : "a string"
        case .name: "a name of 1 to 100 letters, digits, '-', '_' and '.', not starting with '-' or '.'"
        case .version: VersionChoice.expected
        case .dateTime: "an ISO 8601 time with an offset, such as 2026-11-21T09:00:00Z"
        case .boolean: "true or false"
        case .cursor: "the nextCursor of an earlier page"
        case .object: "a JSON object"
        case .strings: "an array of strings"
        case .objects: "an array of objects"
        }
    }

    /// The one-line refusal of `text`, in the words each kind of input has always been refused with.
    func message(naming: String, name: String, text: String, expected: String) -> String {
        switch self {
        case .version: VersionChoice.refusal(text, naming: name)
        case .cursor: "cursor '\(text)' is not valid: expected \(expected)"
        case .name(let what): "\(what) '\(text)' is not valid: expected \(expected)"
        default: "\(naming) is '\(text)': expected \(expected)"
        }
    }

    /// Why `text` (a path or query value) is refused: what was expected; nil when it is fine.
    func refusal(text: String) -> String? {
        switch self {
        case .integer(let range):
            guard let number = Int(text), range.contains(number) else { return expected }
        case .enumeration(let words):
            guard words.contains(where: { $0.caseInsensitiveCompare(text) == .orderedSame }) else { return expected }
        case .string(let minLength):
            guard text.count >= minLength else { return expected }
        case .name(let what):
            guard (try? DeploymentNames.validate(text, what: what)) != nil else { return expected }
        case .version:
            guard VersionChoice(text) != nil else { return expected }
        case .dateTime:
            // An offset's "+" sent unencoded arrives as a space (form encoding): take it back.
            guard Timestamps.parse(text.replacingOccurrences(of: " ", with: "+")) != nil else { return expected }
        case .boolean:
            guard text == "true" || text == "false" else { return expected }
        case .cursor:
            guard Self.isCursor(text) else { return expected }
        case .object, .strings, .objects:
            return expected
        }
        return nil
    }

    /// Why `value` (a body field) is refused: what was expected; nil when it is fine. Null never is.
    func refusal(json value: JSONValue) -> String? {
        switch (self, value) {
        case (.integer(let range), .int(let number)):
            return range.contains(Int(number)) ? nil : expected
        case (.integer(let range), .double(let number)):
            // 2.0 is the whole number 2; the bound keeps the conversion exact.
            guard number == number.rounded(), abs(number) < 1e15, range.contains(Int(number)) else { return expected }
            return nil
        case (.version, .int(let number)):
            return number >= 1 ? nil : expected
        case (.version, .string(let text)):
            return VersionChoice(text) == .latest ? nil : expected
        case (.boolean, .bool), (.object, .object):
            return nil
        case (.strings, .array(let items)):
            return items.allSatisfy({ $0.stringValue != nil }) ? nil : expected
        case (.objects, .array(let items)):
            return items.allSatisfy({ $0.objectValue != nil }) ? nil : expected
        case (.enumeration, .string(let text)), (.string, .string(let text)), (.name, .string(let text)), (.dateTime, .string(let text)),
            (.cursor, .string(let text)):
            return refusal(text: text)
        default:
            return expected
        }
    }

    /// Whether `text` has the form `RunCursor.text` writes (seconds, an optional fraction, '_', an id)
    /// and reads back as a cursor.
    static func isCursor(_ text: String) -> Bool {
        guard let underscore = text.firstIndex(of: "_"), RunCursor(text: text) != nil else { return false }
        let time = text[..<underscore].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let digits = { (part: Substring, most: Int) in !part.isEmpty && part.count <= most && part.allSatisfy { ("0"..."9").contains($0) } }
        return digits(time[0], 15) && (time.count == 1 || digits(time[1], 17)) && underscore < text.index(before: text.endIndex)
    }
}
