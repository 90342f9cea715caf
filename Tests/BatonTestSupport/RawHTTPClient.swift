import BatonHTTP
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Why the raw client could not read what a test expected.
public struct RawHTTPError: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) { self.description = description }
}

/// A response as the raw client parsed it off the wire.
public struct RawHTTPResponse: CustomStringConvertible, Sendable {
    public var status: Int
    public var reason: String
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }
    public var description: String { "\(status) \(Array(headers).map { "\($0.name): \($0.value)" }) \(text.prefix(300))" }
}

/// A client on a real loopback socket that sends exact bytes and parses what comes back, so tests
/// can send what no well-behaved client library would. The one raw client of the test targets: the
/// HTTP server's own tests and the Baton server's tests both use it.
/// `@unchecked Sendable`: a test uses one from one thread at a time, handing it over to read.
public final class RawHTTPClient: @unchecked Sendable {
    /// A safety net, not a synchronisation: a server that never answers fails the test instead of
    /// hanging it.
    public static let receiveTimeoutSeconds = 30

    private var descriptor: Int32
    private var buffer: [UInt8] = []

    public init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw RawHTTPError(description: "socket: errno \(errno)") }
        var timeout = timeval(tv_sec: Self.receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw RawHTTPError(description: "connect to port \(port): errno \(errno)")
        }
    }

    deinit { disconnect() }

    /// Closes the connection, as a client that goes away does.
    public func disconnect() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw RawHTTPError(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    /// Closes the sending half, as a client does when it has nothing more to say.
    public func finishSending() { shutdown(descriptor, Int32(SHUT_WR)) }

    /// One response, or nil when the server closed (or reset) the connection without answering.
    /// A server that answers and then closes mid-body leaves what it sent.
    public func response(to method: String = "GET") throws -> RawHTTPResponse? {
        if try serverClosed() { return nil }
        var response = try readHead()
        if method == "HEAD" || response.status < 200 || response.status == 204 || response.status == 304 { return response }
        if let length = response.headers["Content-Length"].flatMap(Int.init) {
            while buffer.count < length, try receive() {}
            response.body = Array(buffer.prefix(length))
            buffer.removeFirst(response.body.count)
        } else if response.headers["Transfer-Encoding"] == "chunked" {
            while let chunk = try readChunk() { response.body += chunk }
        } else {
            response.body = try readToEnd()
        }
        return response
    }

    /// Reads one response, which must be there whole; `method` tells whether a body follows (not for HEAD).
    public func readResponse(to method: String = "GET") throws -> RawHTTPResponse {
        var response = try readHead()
        let noBody = method == "HEAD" || response.status < 200 || response.status == 204 || response.status == 304
        if noBody { return response }
        if let length = response.headers["Content-Length"] {
            guard let count = Int(length) else { throw RawHTTPError(description: "bad Content-Length \"\(length)\"") }
            response.body = try read(count: count)
        } else if response.headers["Transfer-Encoding"] == "chunked" {
            while let chunk = try readChunk() { response.body += chunk }
        } else {
            response.body = try readToEnd()
        }
        return response
    }

    /// Reads a status line and header section.
    public func readHead() throws -> RawHTTPResponse {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]) else {
            throw RawHTTPError(description: "bad status line \"\(statusLine)\"")
        }
        var headers = HTTPHeaders()
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw RawHTTPError(description: "bad header \"\(line)\"") }
            headers.add(String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        return RawHTTPResponse(status: status, reason: parts.count > 2 ? String(parts[2]) : "", headers: headers, body: [])
    }

    /// The next chunk of a chunked body, or nil after the last one (and its empty trailer section).
    public func readChunk() throws -> [UInt8]? {
        let sizeLine = try readLine()
        guard let size = Int(sizeLine, radix: 16) else { throw RawHTTPError(description: "bad chunk size \"\(sizeLine)\"") }
        if size == 0 {
            guard try readLine().isEmpty else { throw RawHTTPError(description: "trailer after last chunk") }
            return nil
        }
        let chunk = try read(count: size)
        guard try readLine().isEmpty else { throw RawHTTPError(description: "no CRLF after chunk") }
        return chunk
    }

    /// One line without its CRLF.
    public func readLine() throws -> String {
        while true {
            if let feed = buffer.firstIndex(of: 10) {
                guard feed > 0, buffer[feed - 1] == 13 else { throw RawHTTPError(description: "bare LF from server") }
                let line = String(decoding: buffer[..<(feed - 1)], as: UTF8.self)
                buffer.removeFirst(feed + 1)
                return line
            }
            guard try receive() else { throw RawHTTPError(description: "connection closed mid-line") }
        }
    }

    public func read(count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try receive() else { throw RawHTTPError(description: "connection closed after \(buffer.count) of \(count) bytes") }
        }
        defer { buffer.removeFirst(count) }
        return Array(buffer[..<count])
    }

    /// Everything until the server closes.
    public func readToEnd() throws -> [UInt8] {
        while try receive() {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// Whether the server closed the connection (or reset it) without sending anything more.
    public func serverClosed() throws -> Bool {
        guard buffer.isEmpty else { return false }
        return try !receive()
    }

    /// Reads more; false at end of stream or reset.
    private func receive() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer += chunk[..<count]
                return true
            }
            if count < 0 && errno == EINTR { continue }
            if count == 0 || errno == ECONNRESET { return false }
            let reason = errno == EAGAIN || errno == EWOULDBLOCK ? "no answer within \(Self.receiveTimeoutSeconds) s" : "error"
            throw RawHTTPError(description: "recv failed: errno \(errno) (\(reason)); \(buffer.count) bytes read")
        }
    }
}
