#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection spoken a line at a time, plain or TLS, that can turn to TLS part-way through
/// (STARTTLS): what `SMTPClient` talks through, and what a test server answers it with.
///
///     let connection = try LineConnection.connect(host: "mail.example.com", port: 587, deadline: .now + .seconds(30))
///     let greeting = try connection.readLine()
///     try connection.write("EHLO baton.example.com\r\n")
///
/// Reads wait until `deadline` (for ever when nil) and then fail with a `SocketError` whose `code`
/// is `ETIMEDOUT`; sends wait at most 30 s for room each time and never raise SIGPIPE.
///
/// `@unchecked Sendable`: one thread reads and writes; other threads only call `shutdown()`, which
/// touches nothing but the descriptor.
public final class LineConnection: @unchecked Sendable {
    /// Bytes asked of the kernel per receive.
    private static let receiveSize = 16 * 1024

    /// "HOST:PORT" of the other side: the subject of error messages.
    public let peer: String
    /// When reads, and STARTTLS handshakes, give up; nil waits for ever (a server waiting for its
    /// client's next command, ended by `shutdown()`).
    public var deadline: ContinuousClock.Instant?
    private let transport: Transport
    private var buffer: [UInt8] = []
    private var start = 0

    init(_ transport: Transport, peer: String) {
        self.transport = transport
        self.peer = peer
    }

    /// A plain connection to `host:port`, made by `deadline` (which it keeps for its reads).
    ///
    /// Throws `SocketError`, e.g. "cannot connect to mail.example.com:587: Connection refused".
    public static func connect(host: String, port: Int, deadline: ContinuousClock.Instant?) throws(SocketError) -> LineConnection {
        let peer = "\(host.contains(":") ? "[\(host)]" : host):\(port)"
        let transport = try Transport.connect(host: host, port: port, before: Deadline(instant: deadline ?? .now + .seconds(Socket.sendTimeoutSeconds)), peer: peer)
        let connection = LineConnection(transport, peer: peer)
        connection.deadline = deadline
        return connection
    }

    /// Whether the connection is encrypted: a STARTTLS handshake succeeded.
    public var isTLS: Bool { transport.isEncrypted }

    /// Whether bytes arrived that no read has taken yet.
    public var hasBufferedInput: Bool { start < buffer.count }

    /// The next line as bytes, without its line end (CRLF or a bare LF); nil when the peer closed
    /// the connection before another whole line. A line longer than `maxLength` bytes is refused.
    public func readLineBytes(maxLength: Int = 8192) throws(SocketError) -> [UInt8]? {
        // How many unread bytes are known to hold no line feed.
        var scanned = 0
        while true {
            if let feed = buffer[(start + scanned)...].firstIndex(of: 10) {
                let end = feed > start && buffer[feed - 1] == 13 ? feed - 1 : feed
                guard end - start <= maxLength else { throw tooLong(maxLength) }
                let line = Array(buffer[start..<end])
                start = feed + 1
                if start == buffer.count {
                    buffer.removeAll(keepingCapacity: true)
                    start = 0
                }
                return line
            }
            // One more byte may be the CR of the line end.
            guard buffer.count - start <= maxLength + 1 else { throw tooLong(maxLength) }
            scanned = buffer.count - start
            guard try receiveMore() else { return nil }
        }
    }

    /// The next line decoded as UTF-8 (invalid bytes replaced), without its line end; nil when the
    /// peer closed the connection first.
    public func readLine(maxLength: Int = 8192) throws(SocketError) -> String? {
        try readLineBytes(maxLength: maxLength).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Sends `text` as UTF-8, exactly: line ends are the caller's.
    public func write(_ text: String) throws(SocketError) {
        try transport.send(Array(text.utf8))
    }

    /// Sends `bytes`, exactly.
    public func write(_ bytes: [UInt8]) throws(SocketError) {
        try transport.send(bytes)
    }

    /// Turns the connection to TLS as the client, once the server agreed to STARTTLS: the server's
    /// certificate must be signed by a CA in `caFile` (the system's when nil) and valid for `host`.
    ///
    /// Throws `TLSFileError` for a CA file that cannot be used, and `SocketError` for a failed
    /// handshake or a refused certificate, or when the server sent anything after its agreement
    /// (which an attacker could have injected before encryption).
    public func startTLS(host: String, caFile: String?) throws {
        try startTLS(TLSContext.client(caFile: caFile), host: host)
    }

    func startTLS(_ context: TLSContext, host: String) throws(SocketError) {
        try refuseBufferedInput()
        try transport.startTLS(connecting: context, to: host, before: handshakeDeadline)
    }

    /// Turns the connection to TLS as the server with `identity`, after answering STARTTLS. Fails
    /// when the client sent anything after its STARTTLS command, or the handshake fails.
    public func startTLS(serving identity: TLSIdentity) throws(SocketError) {
        try refuseBufferedInput()
        try transport.startTLS(serving: identity, before: handshakeDeadline)
    }

    /// Makes every read and write, waiting or to come, fail; from any thread, until `close()`.
    public func shutdown() {
        Socket.shutdownBoth(transport.descriptor)
    }

    /// Closes the connection (after TLS's close_notify). Call once, from the thread that uses it.
    public func close() {
        transport.close()
    }

    // MARK: Reading

    /// Reads more into the buffer; false at end of stream.
    private func receiveMore() throws(SocketError) -> Bool {
        if start > 0 {
            buffer.removeSubrange(..<start)
            start = 0
        }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.receiveSize, alignment: 1)
        defer { chunk.deallocate() }
        while true {
            let waitMilliseconds = deadline.map { Deadline(instant: $0).remainingMilliseconds } ?? -1
            if try transport.waitReadable(wake: nil, milliseconds: waitMilliseconds) == .timedOut {
                throw SocketError("reading from \(peer)", code: ETIMEDOUT)
            }
            // Nothing: TLS took a partial record, or a spurious wake-up.
            guard let received = try transport.receive(into: chunk) else { continue }
            guard received > 0 else { return false }
            buffer += UnsafeRawBufferPointer(rebasing: chunk[..<received])
            return true
        }
    }

    private var handshakeDeadline: Deadline {
        Deadline(instant: deadline ?? .now + .seconds(Socket.sendTimeoutSeconds))
    }

    private func refuseBufferedInput() throws(SocketError) {
        guard !hasBufferedInput else {
            throw SocketError("STARTTLS with \(peer)", reason: "it sent data before the TLS handshake, which could have been injected: refusing to go on")
        }
    }

    private func tooLong(_ maxLength: Int) -> SocketError {
        SocketError("reading from \(peer)", reason: "a line longer than \(maxLength) bytes")
    }
}
