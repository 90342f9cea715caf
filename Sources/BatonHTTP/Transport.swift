/// A connection's bytes, as they are (plain HTTP) or through TLS: what the server's connections,
/// `HTTPClient` and `LineConnection` read and write with, so nothing else cares which. A plain
/// connection may turn to TLS part-way (`startTLS`, for SMTP's STARTTLS).
///
/// TLS keeps the plain socket's behaviour: every socket call is `Socket`'s, so reads wait no longer
/// than the caller's deadline and wake when the server stops, sends wait at most
/// `Socket.sendTimeoutSeconds` for room and never raise SIGPIPE, and `Socket.shutdownBoth` from
/// another thread (`ConnectionRegistry.forceClose`) ends every wait.
///
/// `@unchecked Sendable`: used by one thread at a time, the connection's, or a response stream's
/// writer under the stream's lock while the connection's thread runs the stream's body. Other
/// threads reach only the descriptor (`peerHungUp`, `Socket.shutdownBoth`).
final class Transport: @unchecked Sendable {
    /// Plaintext handed to TLS per record batch, so a large response is encrypted and sent in pieces
    /// rather than held whole a second time.
    private static let sendPiece = 64 * 1024

    let descriptor: Int32
    /// The server's certificate when this accepted connection speaks TLS; the session is made by
    /// `handshake`.
    private let identity: TLSIdentity?
    /// "https://HOST:PORT" for a client, the remote address for a server: the subject of messages.
    private let peer: String
    private var tls: TLSSession?
    /// Whether TLS may hold plaintext the socket will not signal: after ciphertext was fed or a read
    /// found plaintext, until a read finds it needs more from the socket.
    private var tlsReady = false
    /// Whether the handshake is done, so closing may send close_notify.
    private var established = false
    private var outputShut = false

    /// A connection the server accepted from `remote`: TLS with `identity` once `handshake` has
    /// succeeded, else plain.
    init(accepted descriptor: Int32, remote: String, tls identity: TLSIdentity?) {
        self.descriptor = descriptor
        self.identity = identity
        peer = remote
    }

    private init(connected descriptor: Int32, peer: String) {
        self.descriptor = descriptor
        identity = nil
        self.peer = peer
    }

    /// A client's connection to `host:port`; with `tls`, the handshake is done and the server's
    /// certificate verified for `host`. `url` names the server in TLS errors.
    static func connect(host: String, port: Int, tls context: TLSContext?, url: String, timeout: Double? = nil) throws(SocketError) -> Transport {
        let descriptor = try Socket.connect(host: host, port: port, deadline: timeout.map { .after(.milliseconds(Int64($0 * 1000))) })
        // Every later read waits at most `timeout` too: a peer that accepts and never answers fails the call.
        if let timeout { try Socket.setReceiveTimeout(descriptor, seconds: timeout) }
        let transport = Transport(connected: descriptor, peer: url)
        guard let context else { return transport }
        do throws(SocketError) {
            let session = try TLSSession(connecting: context, to: host, peer: url)
            transport.tls = session
            try transport.handshake(session, before: .after(.seconds(Socket.sendTimeoutSeconds)), wake: nil)
        } catch {
            Socket.close(descriptor)
            throw error
        }
        return transport
    }

    /// A client's plain connection to `host:port`, made by `deadline`; `peer` ("HOST:PORT") names
    /// the server in errors. `startTLS` may turn it to TLS later.
    static func connect(host: String, port: Int, before deadline: Deadline, peer: String) throws(SocketError) -> Transport {
        Transport(connected: try Socket.connect(host: host, port: port, deadline: deadline), peer: peer)
    }

    /// Turns this plain connection to TLS part-way through (STARTTLS), as the client: the handshake
    /// is done by `deadline` and the server's certificate verified for `host`.
    func startTLS(connecting context: TLSContext, to host: String, before deadline: Deadline) throws(SocketError) {
        guard tls == nil, identity == nil else { throw SocketError("STARTTLS with \(peer)", reason: "the connection already speaks TLS") }
        let session = try TLSSession(connecting: context, to: host, peer: peer)
        tls = session
        try handshake(session, before: deadline, wake: nil)
    }

    /// Turns this plain connection to TLS part-way through (STARTTLS), as the server with `identity`.
    func startTLS(serving identity: TLSIdentity, before deadline: Deadline) throws(SocketError) {
        guard tls == nil, self.identity == nil else { throw SocketError("STARTTLS with \(peer)", reason: "the connection already speaks TLS") }
        let session = try TLSSession(serving: identity, to: peer)
        tls = session
        try handshake(session, before: deadline, wake: nil)
    }

    /// Whether the TLS handshake is done: the connection is encrypted.
    var isEncrypted: Bool { established }

    /// A server's TLS handshake, done by `deadline` (so a client that never finishes it does not
    /// hold a thread); false when it failed, the client left, or `wake` fired first. Plain
    /// connections have none: true.
    func handshake(before deadline: Deadline, wake: Int32) -> Bool {
        guard let identity else { return true }
        guard let session = try? TLSSession(serving: identity, to: peer) else { return false }
        tls = session
        return (try? handshake(session, before: deadline, wake: wake)) != nil
    }

    /// Waits until a receive may find something, `wake` fires, or `milliseconds` pass (-1: forever).
    func waitReadable(wake: Int32?, milliseconds: Int32) throws(SocketError) -> Readiness {
        // Plaintext TLS already holds would otherwise wait for bytes the peer may never send.
        if tlsReady { return .readable }
        return try Socket.waitReadable(descriptor, wake: wake, milliseconds: milliseconds)
    }

    /// Receives what is there without blocking: the count (0 at end of stream), or nil when nothing is.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> Int? {
        try receive(into: buffer, waiting: false)
    }

    /// Waits for input without a deadline (an event stream may be quiet for long) and returns the
    /// count received, 0 at end of stream.
    func receiveBlocking(into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> Int {
        try receive(into: buffer, waiting: true) ?? 0
    }

    /// Sends all of `bytes`, waiting at most `Socket.sendTimeoutSeconds` for room each time.
    func send(_ bytes: [UInt8]) throws(SocketError) {
        guard let tls = try session() else { return try Socket.send(descriptor, bytes) }
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + Self.sendPiece)
            try tls.write(bytes[offset..<end])
            try flush(tls)
            offset = end
        }
    }

    /// Whether the peer hung up or the connection failed, without consuming input; from any thread.
    func peerHungUp() -> Bool {
        Socket.peerHungUp(descriptor)
    }

    /// Stops further sends (the peer sees end of stream, after TLS's close_notify) while still
    /// allowing reads.
    func shutdownOutput() {
        if let tls, established, !outputShut {
            tls.close()
            try? flush(tls)
        }
        outputShut = true
        Socket.shutdownOutput(descriptor)
    }

    /// Closes the connection, saying close_notify first over TLS without waiting for room to.
    func close() {
        if let tls, established, !outputShut {
            tls.close()
            Socket.sendWithoutWaiting(descriptor, tls.takeOutput())
        }
        Socket.close(descriptor)
    }

    // MARK: TLS

    /// The TLS session, nil for a plain connection.
    private func session() throws(SocketError) -> TLSSession? {
        guard identity != nil || tls != nil else { return nil }
        guard let tls, established else { throw SocketError("TLS with \(peer)", reason: "the handshake has not been done") }
        return tls
    }

    private func receive(into buffer: UnsafeMutableRawBufferPointer, waiting: Bool) throws(SocketError) -> Int? {
        guard let tls = try session() else {
            return waiting ? try Socket.receiveBlocking(descriptor, into: buffer) : try Socket.receive(descriptor, into: buffer)
        }
        while true {
            let plaintext = try tls.read(into: buffer)
            // Reading may answer the peer (a key update, an alert).
            try flush(tls)
            if let plaintext {
                tlsReady = plaintext > 0
                return plaintext
            }
            // TLS needs more ciphertext: it goes through `buffer` on its way in.
            let received = waiting ? try Socket.receiveBlocking(descriptor, into: buffer) : try Socket.receive(descriptor, into: buffer)
            guard let received else {
                tlsReady = false
                return nil
            }
            // The end of the socket's stream, with or without close_notify: framing (a length, the
            // last chunk) is what tells a whole message from a cut one.
            guard received > 0 else { return 0 }
            try tls.feed(UnsafeRawBufferPointer(rebasing: buffer[..<received]))
        }
    }

    /// Runs `session`'s handshake to its end, sending what it says and waiting for what it needs.
    private func handshake(_ session: TLSSession, before deadline: Deadline, wake: Int32?) throws(SocketError) {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 1)
        defer { scratch.deallocate() }
        while true {
            let done: Bool
            do throws(SocketError) {
                done = try session.handshake()
            } catch {
                // The alert that says why, for a peer that still listens.
                Socket.sendWithoutWaiting(descriptor, session.takeOutput())
                throw error
            }
            try flush(session)
            if done {
                established = true
                // The peer's first request may have come with its last handshake message.
                tlsReady = true
                return
            }
            switch try Socket.waitReadable(descriptor, wake: wake, milliseconds: deadline.remainingMilliseconds) {
            case .readable: break
            case .woken: throw SocketError(peer, reason: "the server stopped during the TLS handshake")
            case .timedOut: throw SocketError(peer, reason: "the TLS handshake was not done in time", kind: .tlsHandshake)
            }
            guard let received = try Socket.receive(descriptor, into: scratch) else { continue }
            guard received > 0 else { throw SocketError(peer, reason: "the connection closed during the TLS handshake", kind: .tlsHandshake) }
            try session.feed(UnsafeRawBufferPointer(rebasing: scratch[..<received]))
        }
    }

    private func flush(_ session: TLSSession) throws(SocketError) {
        let output = session.takeOutput()
        if !output.isEmpty { try Socket.send(descriptor, output) }
    }
}
