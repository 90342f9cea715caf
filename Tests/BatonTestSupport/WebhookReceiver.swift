import BatonHTTP
import Foundation

/// A request a `WebhookReceiver` received.
public struct ReceivedRequest: Sendable {
    public var method: String
    /// The request-target as sent, query included.
    public var target: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// When the request was complete.
    public var arrival: Date

    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// An HTTP server on 127.0.0.1 and a free port that records what outgoing webhooks deliver, for
/// tests of senders: it answers with the statuses it is told to, can be stopped and started again
/// on the same port (a receiver that is down for a while), and can hold requests unanswered.
///
///     let receiver = try WebhookReceiver()
///     defer { receiver.stop() }
///     receiver.respond(with: [500, 500])            // then 200
///     // … the sender posts to receiver.url + "/hook" …
///     let requests = receiver.waitForRequests(3, timeout: 10)
///
/// `@unchecked Sendable`: the mutable state is only reached under `condition`.
public final class WebhookReceiver: @unchecked Sendable {
    /// How requests are answered.
    private enum Answer {
        case statuses([Int])
        case closure(@Sendable (ReceivedRequest) -> HTTPResponse)
    }

    private let condition = NSCondition()
    private var server: HTTPServer?
    private var received: [ReceivedRequest] = []
    private var answer = Answer.statuses([])
    private var holding = false
    /// The port, kept across `stop()` so `start()` listens on it again.
    public private(set) var port = 0

    /// Starts listening on a free loopback port.
    public init() throws {
        try start()
    }

    /// "http://127.0.0.1:PORT".
    public var url: String { "http://127.0.0.1:\(port)" }

    /// The requests received so far, in order of arrival.
    public var requests: [ReceivedRequest] { condition.withLock { received } }

    /// Answers the next requests with `statuses` in order (a request recorded even when refused),
    /// then 200 to every one after.
    public func respond(with statuses: [Int]) {
        condition.withLock { answer = .statuses(statuses) }
    }

    /// Answers every request with what `answer` returns.
    public func respond(_ answer: @escaping @Sendable (ReceivedRequest) -> HTTPResponse) {
        condition.withLock { self.answer = .closure(answer) }
    }

    /// Keeps requests that arrive from now on unanswered (recorded at once) until `release()` or
    /// `stop()`, which answers them 503.
    public func hold() {
        condition.withLock { holding = true }
    }

    /// Answers the held requests, and those after, as `respond` says.
    public func release() {
        condition.withLock {
            holding = false
            condition.broadcast()
        }
    }

    /// Listens again, on the port it had before (a free one the first time). Throws `SocketError`
    /// if another process took the port meanwhile.
    public func start() throws {
        try condition.withLock {
            guard server == nil else { return }
            var configuration = HTTPServerConfiguration()
            configuration.host = "127.0.0.1"
            configuration.port = port
            let server = HTTPServer(configuration: configuration) { [self] request in handle(request) }
            try server.start()
            port = server.port
            self.server = server
        }
    }

    /// Stops listening and closes every connection (held requests get 503), returning once done.
    public func stop() {
        let server = condition.withLock {
            defer { self.server = nil }
            holding = false
            condition.broadcast()
            return self.server
        }
        server?.shutdown(grace: .seconds(5))
    }

    /// Waits until `count` requests arrived or `timeout` seconds passed, and returns those there are.
    public func waitForRequests(_ count: Int, timeout: Double) -> [ReceivedRequest] {
        let limit = Date(timeIntervalSinceNow: timeout)
        return condition.withLock {
            while received.count < count && condition.wait(until: limit) {}
            return received
        }
    }

    private func handle(_ request: HTTPRequest) -> HTTPResponse {
        let record = ReceivedRequest(method: request.method, target: request.target, headers: request.headers, body: request.body, arrival: Date())
        let answer: Answer? = condition.withLock {
            received.append(record)
            condition.broadcast()
            let mine = server
            while holding && server === mine && mine != nil { condition.wait() }
            guard server === mine, mine != nil else { return nil }
            guard case .statuses(var statuses) = self.answer, !statuses.isEmpty else { return self.answer }
            self.answer = .statuses(Array(statuses.dropFirst()))
            return .statuses([statuses.removeFirst()])
        }
        switch answer {
        case nil:
            var refusal = HTTPResponse.text("the receiver stopped\n", status: .serviceUnavailable)
            refusal.headers.set("Connection", "close")
            return refusal
        // Outside the lock, so the closure may use the receiver.
        case .closure(let respond)?:
            return respond(record)
        case .statuses(let statuses)?:
            let status = statuses.first ?? 200
            return .text("\(status)\n", status: .standard(status))
        }
    }
}
