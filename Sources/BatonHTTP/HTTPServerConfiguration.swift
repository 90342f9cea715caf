/// Where the server listens and the limits it holds every client to.
///
/// Each limit answers with its status, `Connection: close`, and closes the connection.
public struct HTTPServerConfiguration: Sendable {
    /// The address to bind: an IPv4 or IPv6 literal, or a name such as "localhost".
    public var host = "127.0.0.1"
    /// The port to bind; 0 picks a free one (read it back from `HTTPServer.port`).
    public var port = 4200
    /// When set, every connection is HTTPS: a TLS handshake (TLS 1.2 or later) with this certificate
    /// before any HTTP, within `headerTimeout`. A connection whose handshake fails (a plain HTTP
    /// client, garbage) is closed without an answer.
    public var tls: TLSIdentity?
    /// The longest request line accepted; longer gets 414.
    public var maxRequestLineBytes = 8 * 1024
    /// The largest header section accepted (after the request line); larger gets 431.
    public var maxHeaderBytes = 32 * 1024
    /// The most header fields accepted; more gets 431.
    public var maxHeaderCount = 100
    /// The largest request body accepted where `bodyPolicy` says nothing else; larger gets 413,
    /// checked against `Content-Length` before any of the body is read, and while de-chunking. Such
    /// bodies are held in memory.
    public var maxBodyBytes = 256 * 1024 * 1024
    /// Where each request's body goes and its limit, from the request's head (its `body` is empty);
    /// nil, or a nil answer, means in memory up to `maxBodyBytes`. `Router.bodyPolicy(for:)` answers
    /// from what each route declares.
    public var bodyPolicy: (@Sendable (HTTPRequest) -> RequestBody?)?
    /// How long a request head may take once its first byte arrived; slower gets 408. Also how long
    /// a new connection may wait before its first byte, after which it is closed silently.
    public var headerTimeout: Duration = .seconds(10)
    /// How long a request body may take once its head arrived; slower gets 408.
    public var bodyTimeout: Duration = .seconds(60)
    /// How long a keep-alive connection may wait for its next request before it is closed silently.
    public var idleTimeout: Duration = .seconds(60)
    /// The most connections served at once; beyond, a new connection gets 503 and is closed.
    public var maxConnections = 512

    /// The defaults above.
    public init() {}
}
