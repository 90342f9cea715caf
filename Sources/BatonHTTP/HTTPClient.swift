/// A response an `HTTPClient` received.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// One server-sent event.
public struct ServerSentEvent: Sendable, Hashable {
    public var event: String
    public var id: String?
    public var data: String
}

/// A small blocking HTTP/1.1 client for `http://` and `https://` URLs: what the CLI uses to speak to
/// a server, and what tests and benchmarks use to drive one. One connection, kept alive between
/// requests; not for use from several threads at once.
///
/// Over HTTPS the server's certificate must be signed by a CA the client trusts (the system's, or
/// those in `caFile`) and be valid for the URL's host; a refusal is a `SocketError` whose `kind`
/// says which, e.g. "https://127.0.0.1:4443: the server's certificate is not trusted
/// (self-signed certificate)".
public final class HTTPClient {
    public let host: String
    public let port: Int
    /// Headers every request and event stream carries, such as `Authorization`.
    public var headers: [(String, String)] = []
    /// Seconds to connect, and to wait for each piece of a response; nil waits as long as it takes
    /// (the CLI's own server). Calls to servers that are not ours (webhooks) set one.
    public var timeout: Double?
    /// "http://HOST:PORT" or "https://HOST:PORT": the server in TLS's errors.
    private let origin: String
    /// What verifies servers, for `https://` only.
    private let tls: TLSContext?
    private var connection: Transport?
    private var input = ClientInput()

    /// `baseURL` is `http://HOST[:PORT]` (port 80 by default) or `https://HOST[:PORT]` (443), a path
    /// after it ignored; anything else is refused with a `SocketError`. For `https://`, `caFile` is
    /// a PEM file of the CA certificates to trust instead of the system's; one that cannot be used
    /// is refused with a `TLSFileError`. Plain `http://` ignores it.
    public init(baseURL: String, caFile: String? = nil) throws {
        let secure = baseURL.hasPrefix("https://")
        guard secure || baseURL.hasPrefix("http://") else { throw Self.badURL(baseURL) }
        let authority = baseURL.dropFirst(secure ? 8 : 7).prefix { $0 != "/" }
        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard let first = parts.first, !first.isEmpty, parts.count <= 2 else { throw Self.badURL(baseURL) }
        host = String(first)
        if parts.count == 2 {
            guard let port = Int(parts[1]), (1...65_535).contains(port) else {
                throw SocketError("API URL '\(baseURL)'", reason: "the port '\(parts[1])' is not a number from 1 to 65535")
            }
            self.port = port
        } else {
            port = secure ? 443 : 80
        }
        origin = (secure ? "https://" : "http://") + "\(host):\(port)"
        tls = secure ? try TLSContext.client(caFile: caFile) : nil
    }

    deinit { connection?.close() }

    private static func badURL(_ url: String) -> SocketError {
        SocketError("API URL '\(url)'", reason: "expected http://HOST:PORT or https://HOST[:PORT], such as http://127.0.0.1:4200")
    }

    /// Sends a request and reads the whole response. A kept-alive connection that the server closed
    /// meanwhile is opened again once.
    public func request(
        _ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) throws(SocketError) -> HTTPClientResponse {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        for (name, value) in self.headers where !headers.contains(where: { $0.0.lowercased() == name.lowercased() }) { head += "\(name): \(value)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8) + body
        let reused = connection != nil
        do {
            try send(bytes)
            return try readResponse(method: method)
        } catch {
            disconnect()
            guard reused else { throw error }
            try send(bytes)
            return try readResponse(method: method)
        }
    }

    /// Follows a server-sent event stream: calls `onEvent` for each event until it returns false or
    /// the server ends the stream. Comments (keep-alives) are skipped.
    public func events(_ target: String, onEvent: (ServerSentEvent) throws -> Bool) throws {
        disconnect()
        let extra = headers.map { "\($0.0): \($0.1)\r\n" }.joined()
        try send(Array("GET \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\nAccept: text/event-stream\r\n\(extra)\r\n".utf8))
        let (status, headers) = try readHead()
        guard status == 200 else {
            throw SocketError("GET \(target)", reason: "the server answered \(status) instead of an event stream")
        }
        let chunked = headers["Transfer-Encoding"]?.lowercased().contains("chunked") ?? false
        var text: [UInt8] = []
        var event = ServerSentEvent(event: "message", id: nil, data: "")
        var hasData = false
        defer { disconnect() }
        while true {
            let piece: [UInt8]
            if chunked {
                guard let chunk = try readChunk() else { return }
                piece = chunk
            } else {
                guard let some = try input.readSome(try transport()) else { return }
                piece = some
            }
            text += piece
            while let newline = text.firstIndex(of: 10) {
                var line = String(decoding: text[..<newline], as: UTF8.self)
                text.removeSubrange(...newline)
                if line.hasSuffix("\r") { line.removeLast() }
                if line.isEmpty {
                    if hasData, try !onEvent(event) { return }
                    event = ServerSentEvent(event: "message", id: nil, data: "")
                    hasData = false
                    continue
                }
                if line.hasPrefix(":") { continue }
                let (field, value) = Self.field(line)
                switch field {
                case "event": event.event = value
                case "id": event.id = value
                case "data":
                    event.data += (hasData ? "\n" : "") + value
                    hasData = true
                default: break
                }
            }
        }
    }

    private static func field(_ line: String) -> (String, String) {
        guard let colon = line.firstIndex(of: ":") else { return (line, "") }
        var value = line[line.index(after: colon)...]
        if value.hasPrefix(" ") { value = value.dropFirst() }
        return (String(line[..<colon]), String(value))
    }

    // MARK: Connection

    private func send(_ bytes: [UInt8]) throws(SocketError) {
        if connection == nil {
            connection = try Transport.connect(host: host, port: port, tls: tls, url: origin, timeout: timeout)
            input = ClientInput()
        }
        try transport().send(bytes)
    }

    /// The open connection; one that is gone fails the read as a server that closed it would.
    private func transport() throws(SocketError) -> Transport {
        guard let connection else { throw SocketError("reading a response from \(host):\(port)", reason: "the connection is closed") }
        return connection
    }

    private func disconnect() {
        connection?.close()
        connection = nil
        input = ClientInput()
    }

    private func readHead() throws(SocketError) -> (Int, HTTPHeaders) {
        let connection = try transport()
        guard let statusLine = try input.line(connection) else {
            throw SocketError("reading a response from \(host):\(port)", reason: "the server closed the connection")
        }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw SocketError("reading a response from \(host):\(port)", reason: "not an HTTP response: \(statusLine.prefix(60))")
        }
        var headers = HTTPHeaders()
        while let line = try input.line(connection), !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingSpaces)
        }
        if status == 100 { return try readHead() }
        return (status, headers)
    }

    private func readResponse(method: String) throws(SocketError) -> HTTPClientResponse {
        let (status, headers) = try readHead()
        let connection = try transport()
        var body: [UInt8] = []
        if method == "HEAD" || status == 204 || status == 304 {
            // No body.
        } else if headers["Transfer-Encoding"]?.lowercased().contains("chunked") ?? false {
            while let chunk = try readChunk() { body += chunk }
        } else if let length = headers["Content-Length"].flatMap({ Int($0) }) {
            body = try input.read(connection, count: length)
        } else {
            while let some = try input.readSome(connection) { body += some }
            disconnect()
        }
        if headers["Connection"]?.lowercased() == "close" { disconnect() }
        return HTTPClientResponse(status: status, headers: headers, body: body)
    }

    /// The next chunk of a chunked body, nil after the last.
    private func readChunk() throws(SocketError) -> [UInt8]? {
        let connection = try transport()
        guard let sizeLine = try input.line(connection),
            let size = Int(sizeLine.split(separator: ";").first.map(String.init)?.trimmingSpaces ?? "", radix: 16)
        else {
            throw SocketError("reading a chunked response from \(host):\(port)", reason: "a bad chunk size line")
        }
        if size == 0 {
            while let line = try input.line(connection), !line.isEmpty {}
            return nil
        }
        let chunk = try input.read(connection, count: size)
        _ = try input.line(connection)
        return chunk
    }
}

/// Buffered reading of a client connection.
struct ClientInput {
    private var buffer: [UInt8] = []

    /// A line without its CRLF; nil at end of stream.
    mutating func line(_ connection: Transport) throws(SocketError) -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                var end = newline
                if end > 0 && buffer[end - 1] == 13 { end -= 1 }
                let line = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            guard try fill(connection) else { return buffer.isEmpty ? nil : String(decoding: buffer, as: UTF8.self) }
        }
    }

    mutating func read(_ connection: Transport, count: Int) throws(SocketError) -> [UInt8] {
        while buffer.count < count {
            guard try fill(connection) else {
                throw SocketError("reading a response", reason: "the server closed the connection after \(buffer.count) of \(count) bytes")
            }
        }
        let bytes = Array(buffer[..<count])
        buffer.removeSubrange(..<count)
        return bytes
    }

    /// Whatever is buffered or arrives next; nil at end of stream.
    mutating func readSome(_ connection: Transport) throws(SocketError) -> [UInt8]? {
        if buffer.isEmpty { guard try fill(connection) else { return nil } }
        defer { buffer = [] }
        return buffer
    }

    private mutating func fill(_ connection: Transport) throws(SocketError) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count: Int
        do {
            count = try chunk.withUnsafeMutableBytes { raw in try connection.receiveBlocking(into: raw) }
        } catch {
            throw error as! SocketError
        }
        guard count > 0 else { return false }
        buffer += chunk[..<count]
        return true
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var view = Substring(self)
        while view.first == " " || view.first == "\t" { view = view.dropFirst() }
        while view.last == " " || view.last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
