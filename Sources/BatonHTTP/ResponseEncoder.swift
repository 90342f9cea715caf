/// How one response goes on the wire: its head, with the framing and `Connection` field the server
/// chooses, and what follows the head.
struct ResponseEncoder {
    /// What follows the head.
    enum Payload {
        case none
        case bytes([UInt8])
        case stream(@Sendable (ResponseStream) throws -> Void, chunked: Bool)
    }

    let head: [UInt8]
    let payload: Payload
    /// Whether the connection stays open after this response.
    let keepAlive: Bool

    /// Encodes `response` to a request with `method` (nil when the request could not be parsed) and
    /// HTTP/1.`minorVersion`; `keepAlive` is what the request and the server's state allow.
    init(_ response: HTTPResponse, method: String?, minorVersion: Int, keepAlive: Bool) {
        var keepAlive = keepAlive && !response.headers.hasToken("close", in: "Connection")
        let bodiless = method == "HEAD" || !response.status.allowsBody
        var framing: String?
        var payload = Payload.none
        switch response.body {
        case .bytes(let bytes):
            if response.status.allowsBody { framing = "Content-Length: \(bytes.count)" }
            if !bodiless { payload = .bytes(bytes) }
        case .stream(let body):
            // Closing after a stream keeps one rule for HTTP/1.0, whose streams end with the
            // connection, and 1.1, and frees the thread a long stream held.
            keepAlive = false
            let chunked = minorVersion == 1
            if chunked && response.status.allowsBody { framing = "Transfer-Encoding: chunked" }
            if !bodiless { payload = .stream(body, chunked: chunked) }
        }
        var text = "HTTP/1.1 \(response.status.code) \(Self.clean(response.status.reason))\r\n"
        for (name, value) in response.headers where !Self.framingFields.contains(where: { HTTPHeaders.same($0, name) }) {
            text += "\(Self.clean(name)): \(Self.clean(value))\r\n"
        }
        if !response.headers.contains("Server") { text += "Server: baton\r\n" }
        if let framing { text += framing + "\r\n" }
        if !keepAlive {
            text += "Connection: close\r\n"
        } else if minorVersion == 0 {
            text += "Connection: keep-alive\r\n"
        }
        text += "\r\n"
        head = Array(text.utf8)
        self.payload = payload
        self.keepAlive = keepAlive
    }

    /// The fields the server writes itself.
    private static let framingFields = ["Content-Length", "Transfer-Encoding", "Connection"]

    /// Without CR and LF, which would let a value from a handler end the head early.
    private static func clean(_ text: String) -> String {
        text.contains(where: \.isNewline) ? String(text.filter { !$0.isNewline }) : text
    }
}
