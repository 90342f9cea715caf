/// Writes server-sent events (the `text/event-stream` format) to a response stream, one chunk per
/// event so each reaches the client at once.
public final class EventStreamWriter: Sendable {
    private let stream: ResponseStream

    /// A writer of events to `stream`.
    public init(_ stream: ResponseStream) {
        self.stream = stream
    }

    /// Sends one event. Multi-line `data` becomes one `data:` line per line, which clients join with
    /// newlines again. Line breaks in `event` or `id` would end the field early, so they are dropped.
    public func send(event: String? = nil, id: String? = nil, data: String) throws {
        var text = ""
        if let event { text += "event: \(Self.singleLine(event))\n" }
        if let id { text += "id: \(Self.singleLine(id))\n" }
        for line in data.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            text += "data: \(line)\n"
        }
        try stream.write(Array((text + "\n").utf8))
    }

    /// Sends a comment line, which clients ignore: a keep-alive that also finds out whether the
    /// client is still there.
    public func comment(_ text: String) throws {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        try stream.write(Array((lines.map { ": \($0)\n" }.joined() + "\n").utf8))
    }

    /// False once a write failed or the client hung up.
    public var isOpen: Bool { stream.isOpen }

    private static func singleLine(_ text: String) -> String {
        String(text.filter { !$0.isNewline })
    }
}
