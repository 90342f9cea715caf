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
        if let bytes = Scalars.encode(value) { return bytes }
        return Array(try encoder.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        if let value = Scalars.decode(type, from: bytes) { return value }
        return try decoder.decode(type, from: Data(bytes))
    }

    /// Integers, booleans, plain strings and no value, coded by hand with exactly the bytes JSONEncoder
    /// writes. Most task inputs and results are such scalars, and for them JSONEncoder and
    /// JSONDecoder cost more than the engine's own work per task run. Anything else, and any text
    /// that would need escaping or is not in the canonical form, goes to Foundation.
    enum Scalars {
        static func encode<T>(_ value: T) -> [UInt8]? {
            if T.self == Int.self { return Array(String(unsafeBitCast(value, to: Int.self)).utf8) }
            if T.self == Bool.self { return Array((unsafeBitCast(value, to: Bool.self) ? "true" : "false").utf8) }
            if T.self == NoInput.self || T.self == NoResult.self { return Array("{}".utf8) }
            if T.self == String.self {
                let text = value as! String
                guard text.utf8.allSatisfy(isPlain) else { return nil }
                var out: [UInt8] = [UInt8(ascii: "\"")]
                out.reserveCapacity(text.utf8.count + 2)
                out.append(contentsOf: text.utf8)
                out.append(UInt8(ascii: "\""))
                return out
            }
            return nil
        }

        static func decode<T>(_ type: T.Type, from bytes: [UInt8]) -> T? {
            if T.self == Int.self { return integer(bytes).map { $0 as! T } }
            if T.self == Bool.self {
                if bytes == Array("true".utf8) { return (true as! T) }
                if bytes == Array("false".utf8) { return (false as! T) }
                return nil
            }
            if T.self == NoInput.self, bytes == Array("{}".utf8) { return (NoInput() as! T) }
            if T.self == NoResult.self, bytes == Array("{}".utf8) { return (NoResult() as! T) }
            if T.self == String.self, bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\""),
                bytes[1..<(bytes.count - 1)].allSatisfy(isPlain)
            {
                return (String(decoding: bytes[1..<(bytes.count - 1)], as: UTF8.self) as! T)
            }
            return nil
        }

        /// A byte that stands for itself inside a JSON string, as JSONEncoder writes it.
        private static func isPlain(_ byte: UInt8) -> Bool {
            byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte != 0x7F
        }

        /// An integer in canonical form (`0`, or an optional `-` and digits without a leading zero)
        /// that fits in an Int.
        private static func integer(_ bytes: [UInt8]) -> Int? {
            var digits = bytes[...]
            let negative = digits.first == UInt8(ascii: "-")
            if negative { digits = digits.dropFirst() }
            guard let first = digits.first, digits.count <= 19, first != UInt8(ascii: "0") || digits.count == 1,
                digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), !(negative && first == UInt8(ascii: "0"))
            else { return nil }
            var value = 0
            for digit in digits {
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = negative
                    ? times.subtractingReportingOverflow(Int(digit - UInt8(ascii: "0")))
                    : times.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
                guard !overflow1, !overflow2 else { return nil }
                value = sum
            }
            return value
        }
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
