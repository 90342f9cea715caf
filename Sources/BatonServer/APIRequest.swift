import BatonCore
import BatonHTTP
import Foundation

/// Reading what a client sent: JSON bodies, query parameters and path parameters, each refused with
/// a message that names the input and says what was expected.
extension HTTPRequest {
    /// The body as a JSON object; an empty body is an empty object.
    func jsonObject() throws -> JSONBody {
        if body.isEmpty { return JSONBody([:]) }
        let type = headers["Content-Type"]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard type == "application/json" else {
            throw APIError(
                .unsupportedMediaType, "unsupported_media_type",
                "Content-Type '\(type ?? "none")' is not accepted here: expected application/json")
        }
        let value: JSONValue
        do {
            value = try JSONValue(json: body)
        } catch {
            throw APIError.badRequest("the request body is not valid JSON: expected a JSON object")
        }
        guard case .object(let object) = value else {
            throw APIError.badRequest("the request body is \(value.kindDescription): expected a JSON object")
        }
        return JSONBody(object)
    }

    /// A path parameter (the router has matched it, so it is there).
    func path(_ name: String) -> String { pathParameters[name] ?? "" }

    func queryInt(_ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = queryValue(name), !text.isEmpty else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest(
                "query parameter '\(name)' is '\(text)': expected a whole number from \(range.lowerBound) to \(range.upperBound)", field: name)
        }
        return number
    }

    func queryDate(_ name: String) throws -> Date? {
        guard var text = queryValue(name), !text.isEmpty else { return nil }
        // An offset's "+" sent unencoded arrives as a space (form encoding): take it back.
        text = text.replacingOccurrences(of: " ", with: "+")
        guard let date = Timestamps.parse(text) else {
            throw APIError.badRequest("query parameter '\(name)' is '\(text)': expected an ISO 8601 time such as 2026-11-21T09:00:00Z", field: name)
        }
        return date
    }

    func queryState(_ name: String) throws -> StateType? {
        guard let text = queryValue(name), !text.isEmpty else { return nil }
        guard let state = StateType(rawValue: text.lowercased()) else {
            let known = StateType.allCases.map(\.rawValue).joined(separator: ", ")
            throw APIError.badRequest("query parameter '\(name)' is '\(text)': expected one of \(known)", field: name)
        }
        return state
    }

    func queryWhen(_ name: String) throws -> RunWhen {
        guard let text = queryValue(name), !text.isEmpty else { return .past }
        guard let when = RunWhen(rawValue: text.lowercased()) else {
            throw APIError.badRequest(
                "query parameter '\(name)' is '\(text)': expected one of \(RunWhen.allCases.map(\.rawValue).joined(separator: ", "))", field: name)
        }
        return when
    }

    func queryString(_ name: String) -> String? {
        guard let text = queryValue(name), !text.isEmpty else { return nil }
        return text
    }
}

/// The fields of a JSON request body, read by type.
struct JSONBody {
    let object: [String: JSONValue]

    init(_ object: [String: JSONValue]) { self.object = object }

    /// Refuses names the route does not take, so a misspelt field is not silently ignored.
    func only(_ names: Set<String>) throws {
        for key in object.keys.sorted() where !names.contains(key) {
            let expected = names.isEmpty ? "this route takes no fields" : "expected \(names.sorted().joined(separator: ", "))"
            throw APIError.badRequest("unknown field '\(key)' in the request body: \(expected)", field: key)
        }
    }

    func string(_ name: String) throws -> String {
        guard let value = try optionalString(name) else {
            throw APIError.badRequest("field '\(name)' is missing: expected a string", field: name)
        }
        return value
    }

    func optionalString(_ name: String) throws -> String? {
        switch object[name] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw mismatch(name, other, "a string")
        }
    }

    func optionalInt(_ name: String, minimum: Int64 = 1) throws -> Int? {
        switch object[name] {
        case nil, .null?: return nil
        case .int(let value)? where value >= minimum: return Int(value)
        case .double(let value)? where value == value.rounded() && value >= Double(minimum) && value < 1e15: return Int(value)
        case let other?: throw mismatch(name, other, "a whole number of at least \(minimum)")
        }
    }

    func optionalBool(_ name: String) throws -> Bool? {
        switch object[name] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case let other?: throw mismatch(name, other, "true or false")
        }
    }

    /// A version: a number, or "latest" (nil) when absent or so given.
    func version(_ name: String = "version") throws -> Int? {
        switch object[name] {
        case nil, .null?: return nil
        case .string(let text)? where VersionChoice(text) == .latest: return nil
        case .int(let value)? where value >= 1: return Int(value)
        case let other?: throw mismatch(name, other, VersionChoice.expected)
        }
    }

    /// An array of strings; absent: none.
    func strings(_ name: String) throws -> [String] {
        switch object[name] {
        case nil, .null?: return []
        case .array(let items)? where items.allSatisfy({ $0.stringValue != nil }): return items.compactMap(\.stringValue)
        case let other?: throw mismatch(name, other, "an array of strings")
        }
    }

    func objectField(_ name: String) throws -> [String: JSONValue] {
        switch object[name] {
        case nil, .null?: return [:]
        case .object(let value)?: return value
        case let other?: throw mismatch(name, other, "a JSON object")
        }
    }

    private func mismatch(_ name: String, _ value: JSONValue, _ expected: String) -> APIError {
        APIError.badRequest("field '\(name)' is \(value.kindDescription) (\(value.jsonText.prefix(40))): expected \(expected)", field: name)
    }
}

/// Encoding responses.
enum Reply {
    static func json(_ value: some Encodable, status: HTTPStatus = .ok) throws -> HTTPResponse {
        let data = try BatonCoding.encoder().encode(value)
        return .bytes(Array(data), contentType: "application/json", status: status)
    }

    static func json(_ object: [String: JSONValue], status: HTTPStatus = .ok) -> HTTPResponse {
        .bytes(Array(JSONValue.object(object).jsonData), contentType: "application/json", status: status)
    }

    static let noContent = HTTPResponse(status: .noContent)
}

/// Named lists: `{"runs": [...], "nextCursor": "..."}`.
struct Listing<Item: Encodable>: Encodable {
    let key: String
    let items: [Item]
    var extra: [String: JSONValue] = [:]

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyCodingKey.self)
        try container.encode(items, forKey: AnyCodingKey(key))
        for (name, value) in extra { try container.encode(value, forKey: AnyCodingKey(name)) }
    }
}

struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
