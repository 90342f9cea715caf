#if canImport(Glibc)
import Glibc
#endif

/// A connection that failed: what was being done and the reason, the system's or TLS's.
///
/// `HTTPServer.start()` throws one whose `description` reads like
/// "cannot listen on 127.0.0.1:4200: Address already in use"; `HTTPClient` one like
/// "https://127.0.0.1:4443: the server's certificate is not trusted (self-signed certificate)".
public struct SocketError: Error, CustomStringConvertible, Sendable {
    /// Where the failure lies, for callers that advise on it.
    public enum Kind: Sendable, Hashable {
        /// A system call, a name lookup, or a connection that failed once established.
        case system
        /// The TLS handshake, for a reason other than the certificate: the peer does not speak TLS,
        /// or they share no version or cipher.
        case tlsHandshake
        /// The server's certificate is not signed by a CA the client trusts, or has expired.
        case certificateNotTrusted
        /// The server's certificate is valid, but not for the name or address the client asked for.
        case certificateNameMismatch
    }

    /// What was being done, e.g. "cannot listen on 127.0.0.1:4200" or "send"; for a client's TLS
    /// failure, the server's URL.
    public let operation: String
    /// The `errno` value, or 0 when the failure has none (a host name that does not resolve, TLS).
    public let code: Int32
    /// The reason, e.g. "Address already in use".
    public let reason: String
    public let kind: Kind

    /// "operation: reason".
    public var description: String { "\(operation): \(reason)" }

    init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code
        reason = String(cString: strerror(code))
        kind = .system
    }

    init(_ operation: String, reason: String, kind: Kind = .system) {
        self.operation = operation
        code = 0
        self.reason = reason
        self.kind = kind
    }
}

/// What waiting for input found.
enum Readiness {
    /// The socket has bytes, an end of stream or an error; the next receive says which.
    case readable
    /// The wake descriptor fired: the server is stopping.
    case woken
    case timedOut
}

/// Every socket system call of the server: the only file that touches descriptors, and every return
/// code goes through `check`.
///
/// Every socket is close-on-exec (the host spawns child processes that must not inherit them) and
/// every send passes MSG_NOSIGNAL (a vanished client must not raise SIGPIPE).
enum Socket {
    /// How long a send may wait for a client that stopped reading before it fails.
    static let sendTimeoutSeconds = 30

    /// The one errno check: the call's result unless it is -1, then a `SocketError` naming
    /// `operation`. Interrupted calls are retried.
    @discardableResult
    static func check<T: BinaryInteger>(_ operation: @autoclosure () -> String, _ call: () -> T) throws(SocketError) -> T {
        while true {
            let result = call()
            if result >= 0 { return result }
            let code = errno
            if code != EINTR { throw SocketError(operation(), code: code) }
        }
    }

    /// A non-blocking listening socket bound to `host:port` with SO_REUSEADDR, and the port it got.
    static func listen(host: String, port: Int) throws(SocketError) -> (descriptor: Int32, port: Int) {
        let operation = "cannot listen on \(host.contains(":") ? "[\(host)]" : host):\(port)"
        guard (0...65535).contains(port) else { throw SocketError(operation, reason: "the port must be 0...65535") }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &found)
        guard resolved == 0, let address = found?.pointee else {
            throw SocketError(operation, reason: String(cString: gai_strerror(resolved)))
        }
        defer { freeaddrinfo(found) }
        let flags = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let descriptor = try check(operation) { socket(address.ai_family, flags, 0) }
        do throws(SocketError) {
            try setOption(descriptor, SOL_SOCKET, SO_REUSEADDR, Int32(1), operation)
            try check(operation) { bind(descriptor, address.ai_addr, address.ai_addrlen) }
            try check(operation) { Glibc.listen(descriptor, SOMAXCONN) }
            var bound = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            try check(operation) {
                withUnsafeMutablePointer(to: &bound) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
                }
            }
            return (descriptor, describe(bound).port)
        } catch {
            Glibc.close(descriptor)
            throw error
        }
    }

    /// The next pending connection, blocking, with TCP_NODELAY and a send timeout; nil when none is
    /// pending or it vanished before it was accepted.
    static func accept(_ listener: Int32) throws(SocketError) -> (descriptor: Int32, remote: String)? {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let descriptor = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                acceptWithFlags(listener, $0, &length, Int32(SOCK_CLOEXEC.rawValue))
            }
        }
        guard descriptor >= 0 else {
            let code = errno
            switch code {
            case EINTR, EAGAIN, EWOULDBLOCK, ECONNABORTED, EPROTO: return nil
            default: throw SocketError("accept", code: code)
            }
        }
        do throws(SocketError) {
            // Responses go out in one or two sends; Nagle would hold the second back for an ACK.
            try setOption(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, Int32(1), "set TCP_NODELAY")
            try setOption(descriptor, SOL_SOCKET, SO_SNDTIMEO, timeval(tv_sec: sendTimeoutSeconds, tv_usec: 0), "set SO_SNDTIMEO")
        } catch {
            Glibc.close(descriptor)
            throw error
        }
        let remote = describe(address)
        return (descriptor, remote.host.contains(":") ? "[\(remote.host)]:\(remote.port)" : "\(remote.host):\(remote.port)")
    }

    /// Waits until `descriptor` is readable, `wake` is readable, or `milliseconds` pass (-1: forever).
    static func waitReadable(_ descriptor: Int32, wake: Int32?, milliseconds: Int32) throws(SocketError) -> Readiness {
        var fds = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
        if let wake { fds.append(pollfd(fd: wake, events: Int16(POLLIN), revents: 0)) }
        let ready = try check("poll") { poll(&fds, nfds_t(fds.count), milliseconds) }
        if ready == 0 { return .timedOut }
        return fds.count > 1 && fds[1].revents != 0 ? .woken : .readable
    }

    /// Receives what is there without blocking: the count (0 at end of stream), or nil when nothing is.
    static func receive(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> Int? {
        while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            if count >= 0 { return count }
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK { return nil }
            if code != EINTR { throw SocketError("recv", code: code) }
        }
    }

    /// Sends all of `bytes`, waiting at most `sendTimeoutSeconds` for room each time.
    static func send(_ descriptor: Int32, _ bytes: [UInt8]) throws(SocketError) {
        var offset = 0
        while offset < bytes.count {
            offset += try check("send") {
                bytes.withUnsafeBytes {
                    Glibc.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
                }
            }
        }
    }

    /// Sends what fits without waiting; for the accept thread's 503 and a TLS close_notify, which
    /// must never block.
    static func sendWithoutWaiting(_ descriptor: Int32, _ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        _ = bytes.withUnsafeBytes {
            Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
        }
    }

    /// Whether the peer hung up or the connection failed, without consuming input.
    static func peerHungUp(_ descriptor: Int32) -> Bool {
        var fd = pollfd(fd: descriptor, events: pollPeerClosed, revents: 0)
        guard poll(&fd, 1, 0) > 0 else { return false }
        let gone: Int16 = pollPeerClosed | Int16(POLLHUP) | Int16(POLLERR) | Int16(POLLNVAL)
        return fd.revents & gone != 0
    }

    /// Stops further sends (the peer sees end of stream) while still allowing reads.
    static func shutdownOutput(_ descriptor: Int32) {
        Glibc.shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Makes every blocked or later read and write on `descriptor` fail, from any thread, without
    /// freeing the number for reuse as `close` would.
    static func shutdownBoth(_ descriptor: Int32) {
        Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
    }

    static func close(_ descriptor: Int32) {
        // Not retried on EINTR: on Linux the descriptor is released even then.
        Glibc.close(descriptor)
    }

    /// A non-blocking close-on-exec socket pair for waking pollers: (read end, write end). A socket
    /// pair rather than a pipe because `socketpair` takes SOCK_CLOEXEC, and `pipe2` is not visible
    /// from Swift.
    static func pipe() throws(SocketError) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        try check("socketpair") { socketpair(AF_UNIX, type, 0, &ends) }
        return (ends[0], ends[1])
    }

    /// Makes `descriptor`'s read end readable for good: the byte is never drained, so every poller,
    /// now or later, sees it.
    static func ring(_ descriptor: Int32) {
        var byte: UInt8 = 1
        _ = Glibc.send(descriptor, &byte, 1, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
    }

    // MARK: Client side (for `HTTPClient`)

    /// A blocking connection to `host:port`, close-on-exec, with TCP_NODELAY and a send timeout.
    /// With `deadline`, each address is tried only until it passes (ETIMEDOUT after), rather than
    /// for as long as the system's connect timeout, which can be minutes.
    static func connect(host: String, port: Int, deadline: Deadline? = nil) throws(SocketError) -> Int32 {
        let operation = "cannot connect to \(host.contains(":") ? "[\(host)]" : host):\(port)"
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &found)
        guard resolved == 0, found != nil else {
            throw SocketError(operation, reason: String(cString: gai_strerror(resolved)))
        }
        defer { freeaddrinfo(found) }
        // Every address the name has, in order ("localhost" may give ::1 before 127.0.0.1).
        var lastError = SocketError(operation, reason: "the name has no address")
        var candidate = found
        while let address = candidate?.pointee {
            candidate = address.ai_next
            let flags = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | (deadline == nil ? 0 : Int32(SOCK_NONBLOCK.rawValue))
            do throws(SocketError) {
                let descriptor = try check(operation) { socket(address.ai_family, flags, 0) }
                do throws(SocketError) {
                    if let deadline {
                        try connect(descriptor, to: address, before: deadline, operation)
                    } else {
                        try check(operation) { Glibc.connect(descriptor, address.ai_addr, address.ai_addrlen) }
                    }
                    try setOption(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, Int32(1), operation)
                    try setOption(descriptor, SOL_SOCKET, SO_SNDTIMEO, timeval(tv_sec: sendTimeoutSeconds, tv_usec: 0), operation)
                    return descriptor
                } catch {
                    Glibc.close(descriptor)
                    throw error
                }
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    /// Connects the non-blocking `descriptor` to `address` by `deadline`, then makes it blocking.
    private static func connect(_ descriptor: Int32, to address: addrinfo, before deadline: Deadline, _ operation: String) throws(SocketError) {
        if Glibc.connect(descriptor, address.ai_addr, address.ai_addrlen) != 0 {
            let code = errno
            // Interrupted, the connection still goes on in the background, as one in progress does.
            guard code == EINPROGRESS || code == EINTR else { throw SocketError(operation, code: code) }
            var writable = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            guard try check(operation, { poll(&writable, 1, deadline.remainingMilliseconds) }) > 0 else {
                throw SocketError(operation, code: ETIMEDOUT)
            }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            try check(operation) { getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &failure, &length) }
            guard failure == 0 else { throw SocketError(operation, code: failure) }
        }
        let flags = try check(operation) { fcntl(descriptor, F_GETFL) }
        try check(operation) { fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) }
    }

    /// Makes blocking reads of `descriptor` fail after `seconds` without input.
    static func setReceiveTimeout(_ descriptor: Int32, seconds: Double) throws(SocketError) {
        let whole = Int(seconds)
        try setOption(
            descriptor, SOL_SOCKET, SO_RCVTIMEO, timeval(tv_sec: whole, tv_usec: Int((seconds - Double(whole)) * 1_000_000)), "setting a read timeout")
    }

    /// Waits for input without a deadline (an event stream may be quiet for long) and returns the
    /// count received, 0 at end of stream.
    static func receiveBlocking(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> Int {
        try check("recv") { recv(descriptor, buffer.baseAddress, buffer.count, 0) }
    }

    /// POLLRDHUP, which Swift's Glibc module leaves out (it is a GNU extension): the peer closed its
    /// end or shut down writing.
    private static let pollPeerClosed: Int16 = 0x2000

    private typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32

    /// glibc's `accept4`, which Swift's Glibc module leaves out (a GNU extension), looked up once.
    /// Plain `accept` followed by FD_CLOEXEC would leave a window in which a child process spawned
    /// by another thread inherits the connection.
    private static let acceptWithFlags: Accept4 = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "accept4") else {
            fatalError("glibc without accept4")
        }
        return unsafeBitCast(symbol, to: Accept4.self)
    }()

    private static func setOption<T: BitwiseCopyable>(_ descriptor: Int32, _ level: Int32, _ name: Int32, _ value: T, _ operation: String) throws(SocketError) {
        var value = value
        try check(operation) { setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<T>.size)) }
    }

    private static func describe(_ address: sockaddr_storage) -> (host: String, port: Int) {
        var address = address
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        return withUnsafePointer(to: &address) { pointer in
            switch Int32(pointer.pointee.ss_family) {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                    var raw = v4.pointee.sin_addr
                    inet_ntop(AF_INET, &raw, &text, socklen_t(text.count))
                    return (cString(text), Int(UInt16(bigEndian: v4.pointee.sin_port)))
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                    var raw = v6.pointee.sin6_addr
                    inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
                    return (cString(text), Int(UInt16(bigEndian: v6.pointee.sin6_port)))
                }
            default:
                return ("unknown", 0)
            }
        }
    }

    private static func cString(_ text: [CChar]) -> String {
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A port for a server started in another process, which is told its port on its command line.
public enum FreePort {
    /// A port on `host` that nothing listens on now: the one the system picks for a listener that is
    /// closed at once.
    public static func find(host: String = "127.0.0.1") throws(SocketError) -> Int {
        let (descriptor, port) = try Socket.listen(host: host, port: 0)
        Glibc.close(descriptor)
        return port
    }
}
