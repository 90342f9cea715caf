extension HTTPConnection {
    /// Responses up to this size go out in one send with their head.
    private static let coalesceLimit = 64 * 1024

    /// Writes `response` to the request `head` (nil when the request could not be parsed, which
    /// always closes); true when the connection stays open.
    func send(_ response: HTTPResponse, to head: RequestHead?) throws(SocketError) -> Bool {
        let keepAlive = head.map { $0.keepAlive && !run.isStopping } ?? false
        let encoded = ResponseEncoder(response, method: head?.method, minorVersion: head?.minorVersion ?? 1, keepAlive: keepAlive)
        switch encoded.payload {
        case .none:
            try transport.send(encoded.head)
        case .bytes(let bytes) where bytes.count <= Self.coalesceLimit:
            try transport.send(encoded.head + bytes)
        case .bytes(let bytes):
            try transport.send(encoded.head)
            try transport.send(bytes)
        case .stream(let body, let chunked):
            try transport.send(encoded.head)
            stream(body, chunked: chunked)
        }
        return encoded.keepAlive
    }

    /// Runs a stream body on this thread. The terminating chunk goes out only when the body returns
    /// normally, so a client can tell a stream that failed half-way from one that ended.
    private func stream(_ body: @Sendable (ResponseStream) throws -> Void, chunked: Bool) {
        let transport = self.transport
        let stream = ResponseStream(
            sink: { bytes in
                guard !bytes.isEmpty else { return }
                if chunked {
                    try transport.send(Array(String(bytes.count, radix: 16).utf8) + [13, 10] + bytes + [13, 10])
                } else {
                    try transport.send(bytes)
                }
            },
            peerPresent: { !transport.peerHungUp() })
        do {
            try body(stream)
            stream.finish { if chunked { try? transport.send(Array("0\r\n\r\n".utf8)) } }
        } catch {
            stream.finish()
        }
    }
}
