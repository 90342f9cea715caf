import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A loopback connection that sends exact bytes, as no well-behaved client would, and reads back
/// what the server answers, if anything.
/// `@unchecked Sendable`: a test uses one from one thread at a time, handing it over to read.
final class RawSocket: @unchecked Sendable {
    /// A safety net, not a synchronisation: a server that never answers fails the test instead of
    /// hanging it.
    static let receiveTimeoutSeconds = 30

    private var descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ServerFailure(description: "socket: errno \(errno)") }
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
            throw ServerFailure(description: "connect to port \(port): errno \(errno)")
        }
    }

    deinit { disconnect() }

    func disconnect() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw ServerFailure(description: "send: errno \(errno)") }
            offset += sent
        }
    }

    /// Reads one response: its head, then a body of its Content-Length (or to the end of the
    /// connection when it has none). Nil when the server closed without answering.
    func response() throws -> RawReply? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let reply = RawReply(bytes), reply.isComplete { return reply }
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                throw ServerFailure(description: "no answer within \(Self.receiveTimeoutSeconds) s; got \(bytes.count) bytes")
            }
            // A reset after the server answered and closed still leaves the answer read so far.
            guard count > 0 else { return RawReply(bytes, ended: true) }
            bytes += chunk[..<count]
        }
    }
}

/// A response as read off the wire.
struct RawReply: CustomStringConvertible {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    var isComplete: Bool

    var text: String { String(decoding: body, as: UTF8.self) }
    var description: String { "\(status) \(headers) \(text.prefix(300))" }

    init?(_ bytes: [UInt8], ended: Bool = false) {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else { return nil }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        self.status = status
        self.headers = headers
        body = Array(bytes[(end + 4)...])
        if let length = headers["content-length"].flatMap(Int.init) {
            isComplete = body.count >= length
            if isComplete { body = Array(body.prefix(length)) }
        } else {
            isComplete = ended
        }
    }
}
