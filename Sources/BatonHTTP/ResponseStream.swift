#if canImport(Glibc)
import Glibc
#endif

/// A response body written as it is produced (chunked transfer encoding on HTTP/1.1; close-delimited
/// on 1.0).
///
/// `@unchecked Sendable`: the open flag is only touched under `lock`, and writes are serialised by
/// the same lock, so a body may hand the stream to other threads.
public final class ResponseStream: @unchecked Sendable {
    private let lock = Locked(true)
    private let sink: @Sendable ([UInt8]) throws -> Void
    private let peerPresent: @Sendable () -> Bool

    /// A stream that passes every write to `write`; for testing bodies without a socket.
    public convenience init(_ write: @escaping @Sendable ([UInt8]) throws -> Void) {
        self.init(sink: write, peerPresent: { true })
    }

    init(sink: @escaping @Sendable ([UInt8]) throws -> Void, peerPresent: @escaping @Sendable () -> Bool) {
        self.sink = sink
        self.peerPresent = peerPresent
    }

    /// Sends `bytes` as one chunk; an empty write sends nothing.
    ///
    /// Throws `SocketError` when the client is gone, the server stopped, a client stopped reading
    /// for 30 seconds, or the body already returned. After a throw the stream stays closed.
    public func write(_ bytes: [UInt8]) throws {
        try lock.withLock { open in
            guard open else { throw SocketError("write to response stream", code: EPIPE) }
            do {
                try sink(bytes)
            } catch {
                open = false
                throw error
            }
        }
    }

    /// False once a write failed, the body returned, or the client hung up.
    public var isOpen: Bool {
        // Under the lock: once the stream is finished its descriptor may be closed and reused.
        lock.withLock { open in open && peerPresent() }
    }

    /// Ends the stream: runs `last` (which sends the chunked terminator) if nothing failed, and makes
    /// later writes throw.
    func finish(_ last: (() -> Void)? = nil) {
        lock.withLock { open in
            if open { last?() }
            open = false
        }
    }
}
