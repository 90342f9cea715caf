/// Why a connection stops being served.
enum ConnectionFailure: Error {
    /// A protocol error: answer with this status and one-line message, then close.
    case reject(HTTPStatus, String)
    /// The client left, the connection failed, or it sat idle: close without answering.
    case gone
}

/// A request's head as parsed off the wire, with the body framing it declares.
///
/// Parsing follows RFC 9112 strictly where leniency lets two parties disagree on where a message
/// ends (request smuggling): obsolete line folding, whitespace before a colon, conflicting lengths
/// and unknown transfer codings are all refused. Bare LF line ends are accepted, as §2.2 allows.
struct RequestHead {
    /// How the request's body is delimited.
    enum Framing: Equatable {
        case none
        case length(Int)
        case chunked
    }

    var method: String
    var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    var minorVersion: Int
    var headers: HTTPHeaders
    var framing: Framing
    /// Where the body goes and its limit.
    var body = RequestBody(.memory, limit: Int.max)

    /// Whether the client wants the connection kept open after the response.
    var keepAlive: Bool {
        minorVersion == 1 ? !headers.hasToken("close", in: "Connection") : headers.hasToken("keep-alive", in: "Connection")
    }

    /// Whether the client waits for `100 Continue` before sending its body.
    var expectsContinue: Bool {
        minorVersion == 1 && framing != .none && framing != .length(0)
            && headers.values("Expect").contains { HTTPHeaders.same($0.trimmingSpaces, "100-continue") }
    }

    /// Fails fast on a request line that is already wrong before its end arrives, so that binary
    /// garbage (a TLS handshake, say) gets its 400 at once rather than a 408 later.
    static func checkPartialRequestLine(_ bytes: ArraySlice<UInt8>) throws(ConnectionFailure) {
        var inMethod = true
        for (offset, byte) in zip(0..., bytes) {
            if byte == cr && offset == bytes.count - 1 { break }
            if byte == space {
                inMethod = false
            } else if !(0x21...0x7E).contains(byte) {
                throw .reject(.badRequest, "request line contains byte 0x\(String(byte, radix: 16))")
            } else if inMethod && !isTokenByte(byte) {
                throw .reject(.badRequest, "request method contains \"\(Character(Unicode.Scalar(byte)))\"")
            }
        }
    }

    /// "GET /path HTTP/1.1" → its three parts; 505 for a well-formed version other than 1.0 and 1.1.
    static func parseRequestLine(_ line: [UInt8]) throws(ConnectionFailure) -> (method: String, target: String, minorVersion: Int) {
        try checkPartialRequestLine(line[...])
        let parts = line.split(separator: space, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .reject(.badRequest, "malformed request line \(quoted(line[...]))")
        }
        let target = String(decoding: parts[1], as: UTF8.self)
        guard target.hasPrefix("/") || target == "*" || target.lowercased().hasPrefix("http://") || target.lowercased().hasPrefix("https://") else {
            throw .reject(.badRequest, "request target \(quoted(parts[1])) is not a path")
        }
        let version = String(decoding: parts[2], as: UTF8.self)
        switch version {
        case "HTTP/1.1": return (String(decoding: parts[0], as: UTF8.self), target, 1)
        case "HTTP/1.0": return (String(decoding: parts[0], as: UTF8.self), target, 0)
        default:
            let number = version.dropFirst(5).split(separator: ".", omittingEmptySubsequences: false)
            guard version.hasPrefix("HTTP/"), (1...2).contains(number.count), number.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else {
                throw .reject(.badRequest, "malformed HTTP version \(quoted(parts[2]))")
            }
            throw .reject(.httpVersionNotSupported, "\(version) is not supported; use HTTP/1.1 or HTTP/1.0")
        }
    }

    /// "Name: value" → its name and its value without surrounding whitespace.
    static func parseField(_ line: [UInt8]) throws(ConnectionFailure) -> (name: String, value: String) {
        if line.first == space || line.first == tab {
            throw .reject(.badRequest, "obsolete line folding in the header section is not supported")
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw .reject(.badRequest, "header line \(quoted(line[...])) has no colon")
        }
        let name = line[..<colon]
        guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
            throw .reject(.badRequest, "invalid header name \(quoted(name))")
        }
        var value = line[(colon + 1)...]
        while let first = value.first, first == space || first == tab { value.removeFirst() }
        while let last = value.last, last == space || last == tab { value.removeLast() }
        // Field values are visible ASCII, spaces, tabs and obs-text (bytes from 0x80); a CR, NUL or
        // other control byte could end the field differently for another parser.
        guard value.allSatisfy({ $0 == tab || ($0 >= 0x20 && $0 != 0x7F) }) else {
            throw .reject(.badRequest, "header \(quoted(name)) contains a control character")
        }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// The body framing the headers declare (RFC 9112 §6.3), or the status that refuses them.
    static func framing(of headers: HTTPHeaders, body: RequestBody) throws(ConnectionFailure) -> Framing {
        let maxBodyBytes = body.limit
        let encodings = headers.values("Transfer-Encoding")
        let lengths = headers.values("Content-Length")
        if !encodings.isEmpty {
            guard lengths.isEmpty else {
                throw .reject(.badRequest, "both Content-Length and Transfer-Encoding are present")
            }
            let codings = encodings.flatMap { $0.split(separator: ",") }.map { $0.trimmingSpaces.lowercased() }
            if let unknown = codings.first(where: { $0 != "chunked" }) {
                throw .reject(.notImplemented, "transfer coding \"\(unknown.prefix(40))\" is not supported")
            }
            guard codings.count == 1 else { throw .reject(.badRequest, "Transfer-Encoding must be chunked, once") }
            return .chunked
        }
        guard !lengths.isEmpty else { return .none }
        var length: Int?
        for text in lengths.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
            let digits = text.trimmingSpaces
            guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) else {
                throw .reject(.badRequest, "Content-Length \"\(digits.prefix(40))\" is not a number")
            }
            guard let value = Int(digits) else {
                throw .reject(.payloadTooLarge, body.tooLarge(String(digits.prefix(40))))
            }
            guard length == nil || length == value else { throw .reject(.badRequest, "conflicting Content-Length values") }
            length = value
        }
        guard length! <= maxBodyBytes else {
            throw .reject(.payloadTooLarge, body.tooLarge(String(length!)))
        }
        return .length(length!)
    }

    /// A chunk-size line's size; extensions after ";" are ignored.
    static func chunkSize(_ line: [UInt8], body: RequestBody) throws(ConnectionFailure) -> Int {
        let maxBodyBytes = body.limit
        var size = 0
        var index = 0
        while index < line.count, let digit = PercentDecoding.hexValue(line[index]) {
            let (shifted, overflow) = size.multipliedReportingOverflow(by: 16)
            guard !overflow, shifted <= maxBodyBytes else {
                throw .reject(.payloadTooLarge, body.tooLarge(nil))
            }
            size = shifted + Int(digit)
            index += 1
        }
        var rest = line[index...]
        while let first = rest.first, first == space || first == tab { rest.removeFirst() }
        guard index > 0, rest.isEmpty || rest.first == UInt8(ascii: ";") else {
            throw .reject(.badRequest, "bad chunk size line \(quoted(line[...]))")
        }
        return size
    }

    /// Up to 40 bytes of client input, quoted, with anything unprintable shown as "?", so that a
    /// message stays one readable line.
    static func quoted(_ bytes: ArraySlice<UInt8>) -> String {
        let shown = bytes.prefix(40).map { (0x20...0x7E).contains($0) ? Character(Unicode.Scalar($0)) : "?" }
        return "\"" + String(shown) + (bytes.count > 40 ? "…\"" : "\"")
    }

    /// RFC 9110 tchar: the characters of methods and header names.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

private let cr: UInt8 = 13
private let space: UInt8 = 32
private let tab: UInt8 = 9

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
