import BatonHTTP
import Dispatch
import Foundation
import Testing

/// Runs `body` with a server on a free loopback port, shut down afterwards.
func withServer(
    _ configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    errorResponse: (@Sendable (HTTPStatus, String) -> HTTPResponse)? = nil,
    handler: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse = echo,
    _ body: (HTTPServer) throws -> Void
) throws {
    var configuration = HTTPServerConfiguration()
    configuration.port = 0
    configure(&configuration)
    let server =
        if let errorResponse {
            HTTPServer(configuration: configuration, handler: handler, errorResponse: errorResponse)
        } else {
            HTTPServer(configuration: configuration, handler: handler)
        }
    try server.start()
    defer { server.shutdown(grace: .seconds(5)) }
    try body(server)
}

/// Answers "METHOD path body" so tests can see what arrived.
@Sendable func echo(_ request: HTTPRequest) -> HTTPResponse {
    .text("\(request.method) \(request.path) \(String(decoding: request.body, as: UTF8.self))")
}

/// "GET path HTTP/1.1" with a Host header and any extra header lines.
func get(_ path: String, _ extra: String = "") -> String {
    "GET \(path) HTTP/1.1\r\nHost: test\r\n\(extra)\r\n"
}

/// Proves the server still serves: a normal request on a new connection gets its answer.
func expectStillServes(_ server: HTTPServer, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let client = try RawClient(port: server.port)
    try client.send(get("/still-here"))
    let response = try client.readResponse()
    #expect(response.status == 200, sourceLocation: sourceLocation)
    #expect(response.text.hasPrefix("GET /still-here"), sourceLocation: sourceLocation)
}

/// A one-shot signal between a test and a handler thread; `wait` has a generous limit so a broken
/// server fails the test rather than hanging it.
final class Signal: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    func fire() { semaphore.signal() }

    func wait(sourceLocation: SourceLocation = #_sourceLocation) {
        let outcome = semaphore.wait(timeout: .now() + 10)
        #expect(outcome == .success, "signal never fired", sourceLocation: sourceLocation)
    }
}

/// A value shared between a handler thread and the test. `@unchecked Sendable`: `stored` is only
/// reached under `lock`.
final class Shared<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }

    func update(_ change: (inout Value) -> Void) { lock.withLock { change(&stored) } }
}
