/// The bytes a connection has received and not parsed yet, and the reads that fetch more; no read
/// waits past the current phase's deadline.
struct ConnectionInput {
    /// Bytes asked of the kernel per receive.
    private static let receiveSize = 32 * 1024

    private let transport: Transport
    private var buffer: [UInt8] = []
    /// Where the unparsed bytes begin.
    private var start = 0
    /// How many unparsed bytes are known to hold no line feed, so a head that trickles in byte by
    /// byte is not scanned again from the start each time.
    private var scanned = 0
    private var deadline = Deadline.after(.zero)
    private var timeout = ConnectionFailure.gone

    init(transport: Transport) {
        self.transport = transport
    }

    /// Starts a phase (a head, a body) that must be done by `deadline`, failing with `timeout` if not.
    mutating func begin(deadline: Deadline, timeout: ConnectionFailure) {
        self.deadline = deadline
        self.timeout = timeout
    }

    /// Waits for the first byte of the next request; false when `deadline` passes, the client
    /// leaves, or `wake` fires first.
    mutating func awaitRequest(before deadline: Deadline, wake: Int32) -> Bool {
        guard start == buffer.count else { return true }
        self.deadline = deadline
        return fill(wake: wake) == .data
    }

    /// The next line without its line end (CRLF or bare LF).
    ///
    /// Throws `tooLong` once the line is known to exceed `maxLength` bytes, and lets `checkPartial`
    /// look at an unfinished line before waiting for more of it.
    mutating func line(
        maxLength: Int, tooLong: @autoclosure () -> ConnectionFailure,
        checkPartial: ((ArraySlice<UInt8>) throws(ConnectionFailure) -> Void)? = nil
    ) throws(ConnectionFailure) -> [UInt8] {
        while true {
            if let feed = buffer[(start + scanned)...].firstIndex(of: 10) {
                let end = feed > start && buffer[feed - 1] == 13 ? feed - 1 : feed
                guard end - start <= maxLength else { throw tooLong() }
                let line = Array(buffer[start..<end])
                consume(upTo: feed + 1)
                return line
            }
            scanned = buffer.count - start
            // One more byte may be the CR of the line end.
            guard scanned <= maxLength + 1 else { throw tooLong() }
            try checkPartial?(buffer[start...])
            try receiveMore()
        }
    }

    /// Hands the next `count` bytes to `sink` in the pieces they arrive in, so a large body never
    /// has to be held whole.
    mutating func read(count: Int, to sink: (ArraySlice<UInt8>) throws(ConnectionFailure) -> Void) throws(ConnectionFailure) {
        var needed = count
        while needed > 0 {
            if start == buffer.count { try receiveMore() }
            let taken = min(needed, buffer.count - start)
            try sink(buffer[start..<(start + taken)])
            consume(upTo: start + taken)
            needed -= taken
        }
    }

    /// Reads and drops input until the client closes, `deadline` passes or `limit` bytes went by:
    /// closing a socket with unread input makes the kernel send a reset, which can destroy the
    /// error response before the client reads it.
    mutating func discard(before deadline: Deadline, limit: Int) {
        self.deadline = deadline
        var dropped = buffer.count - start
        consume(upTo: buffer.count)
        while dropped < limit, fill(wake: nil) == .data {
            dropped += buffer.count
            consume(upTo: buffer.count)
        }
    }

    private enum Fill {
        case data, closed, timedOut, woken
    }

    private mutating func receiveMore() throws(ConnectionFailure) {
        switch fill(wake: nil) {
        case .data: return
        case .timedOut: throw timeout
        case .closed, .woken: throw .gone
        }
    }

    private mutating func consume(upTo index: Int) {
        start = index
        scanned = 0
        if start == buffer.count {
            // Keep a small buffer for the next request; give back one a large body grew.
            buffer.removeAll(keepingCapacity: buffer.capacity <= 2 * Self.receiveSize)
            start = 0
        }
    }

    private mutating func fill(wake: Int32?) -> Fill {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        while true {
            switch try? transport.waitReadable(wake: wake, milliseconds: deadline.remainingMilliseconds) {
            case .readable: break
            case .woken: return .woken
            case .timedOut: return .timedOut
            case nil: return .closed
            }
            let transport = self.transport
            var outcome = Fill.closed
            var nothingYet = false
            withUnsafeTemporaryAllocation(byteCount: Self.receiveSize, alignment: 1) { space in
                let received: Int?
                do {
                    received = try transport.receive(into: space)
                } catch {
                    return
                }
                guard let count = received else {
                    nothingYet = true
                    return
                }
                if count > 0 {
                    buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: space[..<count]))
                    outcome = .data
                }
            }
            // Readable without data to take: poll again.
            if !nothingYet { return outcome }
        }
    }
}
