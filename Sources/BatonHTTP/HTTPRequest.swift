/// One request as a handler sees it: the head as sent, the decoded path and query, and the whole
/// body, already de-chunked.
public struct HTTPRequest: Sendable {
    /// The method as sent, e.g. "GET"; methods are case-sensitive.
    public var method: String
    /// The raw request-target, e.g. "/api/flow-runs?state=failed".
    public var target: String
    /// The percent-decoded path without the query, e.g. "/api/flows/my flow".
    public var path: String
    /// The query's name-value pairs in order, percent-decoded with `+` read as a space.
    public var query: [(String, String)]
    /// The header fields as sent.
    public var headers: HTTPHeaders
    /// The body, de-chunked; empty when the request had none, or when its route streams bodies to a
    /// file (then see `bodyFile`).
    public var body: [UInt8]
    /// Where the body is on disk when its route keeps bodies in files (`RequestBody.Storage.file`);
    /// the server removes the file once the handler returns, so a handler that keeps it moves it.
    public var bodyFile: String?
    /// The peer's address and port, e.g. "127.0.0.1:51234" or "[::1]:51234".
    public var remoteAddress: String
    /// The peer's address without its port ("127.0.0.1", "::1"): who a client is across connections.
    public var remoteHost: String {
        if remoteAddress.hasPrefix("["), let end = remoteAddress.firstIndex(of: "]") {
            return String(remoteAddress[remoteAddress.index(after: remoteAddress.startIndex)..<end])
        }
        guard let colon = remoteAddress.lastIndex(of: ":") else { return remoteAddress }
        return String(remoteAddress[..<colon])
    }
    /// The `{name}` segments of the route that matched, filled in by `Router`.
    public var pathParameters: [String: String] = [:]

    /// A request whose `path` and `query` are parsed from `target`; the server builds them this way,
    /// and tests can too.
    public init(
        method: String, target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
        remoteAddress: String = ""
    ) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        let parts = RequestTarget(target)
        path = PercentDecoding.decode(parts.path, plusIsSpace: false)
        query = parts.query.map(PercentDecoding.queryPairs) ?? []
    }

    /// The first value of the query parameter `name`, or nil when absent.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.0 == name }?.1
    }
}

/// The path and query of a request-target, still percent-encoded.
struct RequestTarget {
    let path: Substring
    let query: Substring?

    /// Origin form ("/a?b") as clients send it, and absolute form ("http://host/a?b"), which RFC 9112
    /// requires servers to accept. A fragment never belongs in a target; it is dropped if present.
    init(_ target: String) {
        var rest = Substring(target)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        if !rest.hasPrefix("/"), let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            let afterAuthority = rest[rest.index(colon, offsetBy: 3)...]
            rest = afterAuthority.firstIndex { $0 == "/" || $0 == "?" }.map { afterAuthority[$0...] } ?? "/"
            if rest.first == "?" { rest = "/" + rest }
        }
        if let mark = rest.firstIndex(of: "?") {
            path = rest[..<mark]
            query = rest[rest.index(after: mark)...]
        } else {
            path = rest
            query = nil
        }
    }
}

/// Percent-decoding as URLs use it; malformed escapes are kept as they are rather than refused,
/// since a handler can still tell what was meant.
enum PercentDecoding {
    static func decode<S: StringProtocol>(_ text: S, plusIsSpace: Bool) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) else {
            return String(text)
        }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count, let high = hexValue(bytes[index + 1]),
                let low = hexValue(bytes[index + 2])
            {
                decoded.append(high << 4 | low)
                index += 3
                continue
            }
            decoded.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index += 1
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// "a=1&b=x+y&c" → [("a", "1"), ("b", "x y"), ("c", "")]; empty pieces are skipped.
    static func queryPairs(_ query: Substring) -> [(String, String)] {
        query.split(separator: "&").map { piece in
            guard let equals = piece.firstIndex(of: "=") else { return (decode(piece, plusIsSpace: true), "") }
            return (
                decode(piece[..<equals], plusIsSpace: true),
                decode(piece[piece.index(after: equals)...], plusIsSpace: true)
            )
        }
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
