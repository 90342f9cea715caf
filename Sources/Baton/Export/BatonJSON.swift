import FoundationEssentials

/// The JSON coding every value crossing the ABI uses: sorted keys (so equal values have equal bytes)
/// and ISO 8601 dates.
enum BatonJSON {
    /// Shared: configured once; JSONEncoder and JSONDecoder are Sendable and keep their state per call.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        Array(try encoder.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try decoder.decode(type, from: Data(bytes))
    }
}

/// The error object of the ABI: `{"type": …, "message": …}`.
struct ErrorInfo: Codable, Sendable {
    var type: String
    var message: String
    /// False when the task's retry condition declined the error.
    var retryable: Bool?

    init(type: String, message: String, retryable: Bool? = nil) {
        self.type = type
        self.message = message
        self.retryable = retryable
    }

    init(_ error: any Error, retryable: Bool? = nil) {
        if let failure = error as? TaskRunFailure {
            self.init(type: failure.type, message: failure.description, retryable: retryable)
        } else {
            self.init(type: String(reflecting: Swift.type(of: error)), message: String(describing: error), retryable: retryable)
        }
    }

    var json: [UInt8] {
        (try? BatonJSON.encode(self)) ?? Array(#"{"message":"unencodable error","type":"Error"}"#.utf8)
    }

    static func decode(_ bytes: [UInt8]) -> ErrorInfo {
        (try? BatonJSON.decode(ErrorInfo.self, from: bytes))
            ?? ErrorInfo(type: "Error", message: String(decoding: bytes, as: UTF8.self))
    }
}

/// A readable name for a Swift type in the manifest: `String`, `[Reading]`, `(String, Int)`, `Int?`.
func typeName(_ type: Any.Type) -> String {
    sugared(String(describing: type))
}

/// Writes generic spellings the way Swift code does: `Array<X>` as `[X]`, `Optional<X>` as `X?`,
/// `Dictionary<K, V>` as `[K: V]`, and task arguments as a tuple.
func sugared(_ name: String) -> String {
    func inner(_ prefix: String) -> String? {
        guard name.hasPrefix(prefix), name.hasSuffix(">") else { return nil }
        return String(name.dropFirst(prefix.count).dropLast())
    }
    func split(_ list: String) -> [String] {
        var parts: [String] = []
        var depth = 0
        var current = ""
        for c in list {
            if c == "<" || c == "[" || c == "(" { depth += 1 }
            if c == ">" || c == "]" || c == ")" { depth -= 1 }
            if c == "," && depth == 0 {
                parts.append(String(current.drop { $0 == " " }))
                current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(String(current.drop { $0 == " " }))
        return parts.map(sugared)
    }
    if let element = inner("Array<") { return "[\(sugared(element))]" }
    if let wrapped = inner("Optional<") { return "\(sugared(wrapped))?" }
    if let pair = inner("Dictionary<"), case let parts = split(pair), parts.count == 2 { return "[\(parts[0]): \(parts[1])]" }
    for prefix in ["TaskArguments2<", "TaskArguments3<"] {
        if let list = inner(prefix) { return "(" + split(list).joined(separator: ", ") + ")" }
    }
    return name
}
