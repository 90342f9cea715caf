/// A small HTTP/1.1 server: one accept thread, and one thread per connection that reads a request,
/// calls the handler synchronously, writes the response, and repeats while the connection is kept
/// alive.
///
/// Handlers may block (they do SQLite work); each blocks only its own connection. Protocol errors
/// get `errorResponse`'s answer with `Connection: close`; a handler that throws gets a 500 made by
/// `errorResponse` from the error's description, and the connection goes on.
///
///     let server = HTTPServer(configuration: configuration) { request in .text("hello") }
///     try server.start()
///     // …
///     server.shutdown(grace: .seconds(5))
///
/// `@unchecked Sendable`: the mutable state (`run`, `boundPort`, `shutdownActions`, `stopped`) is
/// only reached under `state`'s lock; the rest is immutable.
public final class HTTPServer: @unchecked Sendable {
    /// Connection threads run handlers: SQLite and JSON coding fit easily in 512 KiB, and 512 idle
    /// connections then reserve 256 MiB of address space but touch little of it.
    static let connectionStackSize = 512 * 1024

    private struct State {
        var run: ConnectionRegistry?
        var boundPort = 0
        var stopped = false
        var shutdownActions: [@Sendable () -> Void] = []
    }

    let configuration: HTTPServerConfiguration
    let handler: @Sendable (HTTPRequest) throws -> HTTPResponse
    let errorResponse: @Sendable (HTTPStatus, String) -> HTTPResponse
    private let state = Locked(State())

    /// A server that is not listening yet; call `start()`.
    ///
    /// `errorResponse` makes the responses to protocol errors (400, 408, 413, 414, 431, 501, 503,
    /// 505) and to handlers that throw (500, with the error's description); by default plain text.
    public init(
        configuration: HTTPServerConfiguration,
        handler: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse,
        errorResponse: @escaping @Sendable (HTTPStatus, String) -> HTTPResponse = { .text($1 + "\n", status: $0) }
    ) {
        self.configuration = configuration
        self.handler = handler
        self.errorResponse = errorResponse
    }

    /// Binds (with SO_REUSEADDR), listens, and returns once connections are being accepted.
    ///
    /// Throws `SocketError`, e.g. "cannot listen on 127.0.0.1:4200: Address already in use". After
    /// `shutdown` returns, the same server may be started again.
    public func start() throws {
        try state.withLock { state in
            guard state.run == nil else {
                throw SocketError("cannot start the server on port \(state.boundPort)", reason: "it is already running")
            }
            let (listener, port) = try Socket.listen(host: configuration.host, port: configuration.port)
            let run: ConnectionRegistry
            do {
                run = try ConnectionRegistry()
            } catch {
                Socket.close(listener)
                throw error
            }
            guard NativeThread.spawn(stackSize: 128 * 1024, { self.accept(listener, run) }) else {
                Socket.close(listener)
                throw SocketError("cannot start the server's accept thread", reason: "the system has no thread to give")
            }
            state.run = run
            state.boundPort = port
            state.stopped = false
        }
    }

    /// The port the server listens on (the one picked, when configured with 0); 0 before `start()`.
    public var port: Int { state.withLock { $0.boundPort } }

    /// True once `shutdown` has begun, until the next `start()`.
    public var isStopping: Bool { state.withLock { $0.stopped } }

    /// Runs `action` whenever a shutdown begins, before waiting for requests in flight; for ending
    /// long-lived streams so they need not wait out the grace period.
    public func onShutdown(_ action: @escaping @Sendable () -> Void) {
        state.withLock { $0.shutdownActions.append(action) }
    }

    /// Stops accepting, closes idle keep-alive connections at once, lets requests in flight finish
    /// for up to `grace`, then makes every remaining read and write fail (streams see write errors
    /// and `isOpen` false) and waits for their threads to end.
    ///
    /// Callable from any thread, any number of times; every call returns once the threads are gone.
    /// Called from a handler, it does not wait for that handler's own connection, which closes
    /// after its response. A handler that never returns keeps it waiting.
    public func shutdown(grace: Duration) {
        let (run, actions) = state.withLock { state in
            state.stopped = state.stopped || state.run != nil
            return (state.run, state.shutdownActions)
        }
        guard let run else { return }
        if run.beginStopping() {
            for action in actions { action() }
        }
        if !run.waitUntilThreadsEnd(before: .after(grace)) {
            run.forceClose()
            run.waitUntilThreadsEnd(before: nil)
        }
        state.withLock { state in
            if state.run === run { state.run = nil }
        }
    }

    /// The accept thread: hands each connection to a thread of its own until the run stops.
    private func accept(_ listener: Int32, _ run: ConnectionRegistry) {
        defer {
            Socket.close(listener)
            run.acceptorEnded()
        }
        while true {
            // Blocks without a deadline: only a connection or the stop signal can need this thread.
            switch try? Socket.waitReadable(listener, wake: run.wake.read, milliseconds: -1) {
            case .woken:
                return
            case .readable:
                do {
                    while let (descriptor, remote) = try Socket.accept(listener) {
                        admit(descriptor, remote: remote, run)
                    }
                    continue
                } catch {}
            case .timedOut, nil:
                break
            }
            // Out of descriptors or memory: back off instead of spinning on a listener that stays
            // readable, and try again once connections have closed.
            if (try? Socket.waitReadable(run.wake.read, wake: nil, milliseconds: 100)) == .readable { return }
        }
    }

    private func admit(_ descriptor: Int32, remote: String, _ run: ConnectionRegistry) {
        switch run.admit(descriptor, limit: configuration.maxConnections) {
        case .stopping:
            Socket.close(descriptor)
        case .full:
            reject(descriptor, "the server is at its limit of \(configuration.maxConnections) connections")
        case .admitted(let id):
            let started = NativeThread.spawn(stackSize: Self.connectionStackSize) {
                run.attach(id)
                HTTPConnection(descriptor: descriptor, id: id, remote: remote, server: self, run: run).serve()
            }
            if !started {
                run.leave(id)
                reject(descriptor, "the server cannot start a thread for this connection")
            }
        }
    }

    /// Answers 503 without a thread of its own; the accept thread must never block on a client. Over
    /// TLS an answer would need a handshake, which could block: the connection is just closed.
    private func reject(_ descriptor: Int32, _ message: String) {
        guard configuration.tls == nil else { return Socket.close(descriptor) }
        var response = errorResponse(.serviceUnavailable, message)
        if case .stream = response.body { response.body = .bytes(Array(message.utf8)) }
        let encoded = ResponseEncoder(response, method: nil, minorVersion: 1, keepAlive: false)
        if case .bytes(let body) = encoded.payload {
            Socket.sendWithoutWaiting(descriptor, encoded.head + body)
        } else {
            Socket.sendWithoutWaiting(descriptor, encoded.head)
        }
        Socket.shutdownOutput(descriptor)
        Socket.close(descriptor)
    }
}
