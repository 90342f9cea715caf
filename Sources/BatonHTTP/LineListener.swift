/// A listening TCP socket that hands out `LineConnection`s: for small line-protocol servers such
/// as the test suite's SMTP sink.
///
///     let listener = try LineListener(host: "127.0.0.1", port: 0)
///     while let connection = try listener.accept() { serve(connection) }
///
/// `@unchecked Sendable`: the descriptors are closed under `state`'s lock, and only once no
/// `accept()` is using them.
public final class LineListener: @unchecked Sendable {
    private struct State {
        var closed = false
        var accepting = false
        var released = false
    }

    /// The port listened on: the one the system picked when asked for 0.
    public let port: Int
    private let descriptor: Int32
    private let wake: (read: Int32, write: Int32)
    private let state = Locked(State())

    /// Listens on `host:port` (0 picks a free port; read it back from `port`).
    ///
    /// Throws `SocketError`, e.g. "cannot listen on 127.0.0.1:2525: Address already in use".
    public init(host: String = "127.0.0.1", port: Int = 0) throws(SocketError) {
        (descriptor, self.port) = try Socket.listen(host: host, port: port)
        do throws(SocketError) {
            wake = try Socket.pipe()
        } catch {
            Socket.close(descriptor)
            throw error
        }
    }

    deinit { release() }

    /// Waits for the next connection; nil once `close()` was called. One thread at a time.
    public func accept() throws(SocketError) -> LineConnection? {
        let open = state.withLock { state in
            state.accepting = !state.closed
            return !state.closed
        }
        guard open else { return nil }
        defer {
            if state.withLock({ state in
                state.accepting = false
                return state.closed
            }) { release() }
        }
        while true {
            switch try Socket.waitReadable(descriptor, wake: wake.read, milliseconds: -1) {
            case .woken: return nil
            case .timedOut: continue
            case .readable:
                guard let (connection, remote) = try Socket.accept(descriptor) else { continue }
                return LineConnection(Transport(accepted: connection, remote: remote, tls: nil), peer: remote)
            }
        }
    }

    /// Stops listening, from any thread: a waiting `accept()` returns nil, and the port is free
    /// once it has (at once when none waits).
    public func close() {
        let idle = state.withLock { state in
            state.closed = true
            // Under the lock, so the wake descriptor cannot have been closed and its number reused.
            if !state.released { Socket.ring(wake.write) }
            return !state.accepting
        }
        if idle { release() }
    }

    private func release() {
        state.withLock { state in
            guard !state.released else { return }
            state.released = true
            Socket.close(descriptor)
            Socket.close(wake.read)
            Socket.close(wake.write)
        }
    }
}
