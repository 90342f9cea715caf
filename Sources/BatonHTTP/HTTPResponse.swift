/// What a handler answers: a status, header fields and a body that is either complete or written
/// as it is produced.
///
/// The server sets the framing itself: `Content-Length` for `.bytes`, chunked transfer encoding for
/// `.stream` (close-delimited for HTTP/1.0 clients), and `Connection`; any such fields a handler
/// sets are replaced. `Connection: close` from a handler is honoured.
public struct HTTPResponse: Sendable {
    /// The response body.
    public enum Body: Sendable {
        /// A complete body.
        case bytes([UInt8])
        /// A body written on the connection's thread as it is produced. The closure returns when it
        /// is done, or when a write throws because the client left or the server stopped; the
        /// connection closes afterwards. A HEAD request gets the headers and the closure never runs.
        case stream(@Sendable (ResponseStream) throws -> Void)
    }

    /// The status line's status.
    public var status: HTTPStatus
    /// Header fields to send; `Server: baton` is added unless set.
    public var headers: HTTPHeaders
    /// The body; dropped for HEAD requests and for 204 and 304.
    public var body: Body

    /// A response with the given parts; by default an empty 200.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A complete body with its `Content-Type`.
    public static func bytes(_ bytes: [UInt8], contentType: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", contentType)]), body: .bytes(bytes))
    }

    /// A `text/plain; charset=utf-8` body.
    public static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        bytes(Array(text.utf8), contentType: "text/plain; charset=utf-8", status: status)
    }

    /// A server-sent event stream (`text/event-stream`, `Cache-Control: no-cache`, chunked).
    ///
    /// `body` runs on the connection's thread and should return once `send` or `comment` throws or
    /// `isOpen` turns false; send a comment every so often so a vanished client is noticed.
    ///
    ///     HTTPResponse.eventStream { events in
    ///         for change in changes { try events.send(event: "state", id: change.id, data: change.json) }
    ///     }
    public static func eventStream(_ body: @escaping @Sendable (EventStreamWriter) throws -> Void) -> HTTPResponse {
        HTTPResponse(
            status: .ok,
            headers: HTTPHeaders([("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]),
            body: .stream { stream in try body(EventStreamWriter(stream)) })
    }
}
