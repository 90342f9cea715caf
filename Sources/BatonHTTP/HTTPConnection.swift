/// One client connection, served on its own thread from accept to close: read a request, call the
/// handler, write the response, and again while the connection is kept alive. Requests pipelined
/// behind one wait in the input buffer, so they are answered in order.
final class HTTPConnection {
    /// How long to keep reading after an error response before closing; see `ConnectionInput.discard`.
    private static let lingerTime: Duration = .seconds(1)
    private static let lingerBytes = 1024 * 1024

    let transport: Transport
    let id: Int
    let remote: String
    let server: HTTPServer
    let run: ConnectionRegistry
    var input: ConnectionInput
    var configuration: HTTPServerConfiguration { server.configuration }

    init(descriptor: Int32, id: Int, remote: String, server: HTTPServer, run: ConnectionRegistry) {
        transport = Transport(accepted: descriptor, remote: remote, tls: server.configuration.tls)
        self.id = id
        self.remote = remote
        self.server = server
        self.run = run
        input = ConnectionInput(transport: transport)
    }

    /// Serves requests until the connection closes, idles out or the server stops.
    func serve() {
        defer {
            run.leave(id)
            transport.close()
        }
        // A new connection gets the head's timeout for its TLS handshake and for its first byte: one
        // that never speaks should not hold a thread for the longer keep-alive time. A handshake
        // that fails (a plain HTTP client, garbage) just closes the connection.
        guard transport.handshake(before: .after(configuration.headerTimeout), wake: run.wake.read) else { return }
        var idle = configuration.headerTimeout
        while !run.isStopping {
            guard input.awaitRequest(before: .after(idle), wake: run.wake.read) else { return }
            idle = configuration.idleTimeout
            guard serveRequest() else { return }
        }
    }

    /// Reads, handles and answers one request; true when the connection stays open.
    private func serveRequest() -> Bool {
        let head: RequestHead
        var body = ReceivedBody()
        // A body file outlives this function only when the handler moved it away.
        defer { body.file?.remove() }
        do throws(ConnectionFailure) {
            head = try readHead()
            try readBody(of: head, into: &body)
        } catch .reject(let status, let message) {
            _ = try? send(server.errorResponse(status, message), to: nil)
            transport.shutdownOutput()
            input.discard(before: .after(Self.lingerTime), limit: Self.lingerBytes)
            return false
        } catch {
            return false
        }
        var request = HTTPRequest(method: head.method, target: head.target, headers: head.headers, body: body.bytes, remoteAddress: remote)
        request.bodyFile = body.file?.path
        var response: HTTPResponse
        do {
            response = try server.handler(request)
        } catch {
            response = server.errorResponse(.internalServerError, String(describing: error))
        }
        return (try? send(response, to: head)) ?? false
    }

    private func readHead() throws(ConnectionFailure) -> RequestHead {
        let timeout = configuration.headerTimeout
        input.begin(deadline: .after(timeout), timeout: .reject(.requestTimeout, "request head not received within \(timeout.shortDescription)"))
        let maxLine = configuration.maxRequestLineBytes
        var line: [UInt8] = []
        // RFC 9112 §2.2: ignore empty lines before a request line (some clients send a CRLF after a POST body).
        for _ in 0..<8 where line.isEmpty {
            line = try input.line(
                maxLength: maxLine, tooLong: .reject(.uriTooLong, "request line exceeds \(maxLine) bytes"),
                checkPartial: RequestHead.checkPartialRequestLine)
        }
        guard !line.isEmpty else { throw .reject(.badRequest, "empty lines instead of a request line") }
        let (method, target, minorVersion) = try RequestHead.parseRequestLine(line)

        var headers = HTTPHeaders()
        let maxBytes = configuration.maxHeaderBytes
        var used = 0
        while true {
            let field = try input.line(
                maxLength: max(maxBytes - used, 0),
                tooLong: .reject(.requestHeaderFieldsTooLarge, "header section exceeds \(maxBytes) bytes"))
            if field.isEmpty { break }
            used += field.count + 2
            guard headers.count < configuration.maxHeaderCount else {
                throw .reject(.requestHeaderFieldsTooLarge, "more than \(configuration.maxHeaderCount) header fields")
            }
            let (name, value) = try RequestHead.parseField(field)
            headers.add(name, value)
        }
        let policy = configuration.bodyPolicy?(HTTPRequest(method: method, target: target, headers: headers, remoteAddress: remote))
            ?? RequestBody(.memory, limit: configuration.maxBodyBytes)
        if let refusal = policy.refusal { throw .reject(refusal.status, refusal.message) }
        let framing = try RequestHead.framing(of: headers, body: policy)
        return RequestHead(method: method, target: target, minorVersion: minorVersion, headers: headers, framing: framing, body: policy)
    }

    /// A body as it is received: bytes in memory, or a file they are written to.
    private struct ReceivedBody {
        var bytes: [UInt8] = []
        var file: BodyFile?
    }

    private func readBody(of head: RequestHead, into body: inout ReceivedBody) throws(ConnectionFailure) {
        guard head.framing != .none && head.framing != .length(0) else { return }
        if head.expectsContinue {
            do throws(SocketError) {
                try transport.send(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            } catch {
                throw .gone
            }
        }
        let timeout = head.body.timeout ?? configuration.bodyTimeout
        input.begin(deadline: .after(timeout), timeout: .reject(.requestTimeout, "request body not received within \(timeout.shortDescription)"))
        var bytes: [UInt8] = []
        if case .file(let directory) = head.body.storage {
            body.file = try BodyFile(directory: directory)
        } else if case .length(let count) = head.framing {
            // Grown as bytes arrive rather than all at once: the length is only the client's word.
            bytes.reserveCapacity(min(count, 1024 * 1024))
        }
        let file = body.file
        let sink = { (piece: ArraySlice<UInt8>) throws(ConnectionFailure) -> Void in
            if let file { try file.write(piece) } else { bytes.append(contentsOf: piece) }
        }
        switch head.framing {
        case .length(let count): try input.read(count: count, to: sink)
        case .chunked: try readChunks(limit: head.body, to: sink)
        case .none: break
        }
        file?.finish()
        body.bytes = bytes
    }

    /// De-chunks a body (RFC 9112 §7.1) into `sink`; chunk extensions and trailer fields are read and
    /// dropped.
    private func readChunks(limit body: RequestBody, to sink: (ArraySlice<UInt8>) throws(ConnectionFailure) -> Void) throws(ConnectionFailure) {
        let limit = body.limit
        var total = 0
        while true {
            let sizeLine = try input.line(maxLength: 1024, tooLong: .reject(.badRequest, "chunk size line exceeds 1024 bytes"))
            let size = try RequestHead.chunkSize(sizeLine, body: body)
            if size == 0 { break }
            guard size <= limit - total else { throw .reject(.payloadTooLarge, body.tooLarge(nil)) }
            try input.read(count: size, to: sink)
            total += size
            _ = try input.line(maxLength: 0, tooLong: .reject(.badRequest, "missing CRLF after chunk data"))
        }
        let maxBytes = configuration.maxHeaderBytes
        var used = 0
        while true {
            let trailer = try input.line(
                maxLength: max(maxBytes - used, 0),
                tooLong: .reject(.requestHeaderFieldsTooLarge, "trailer section exceeds \(maxBytes) bytes"))
            if trailer.isEmpty { return }
            used += trailer.count + 2
        }
    }
}
