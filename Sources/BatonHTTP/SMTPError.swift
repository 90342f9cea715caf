/// Why `SMTPClient.send` did not get a message accepted, in one line that names the server and
/// what it was asked, e.g. "smtp.example.com:587 refused RCPT TO:<ops@example.com>: 550 5.1.1 no
/// such user" or "cannot reach smtp.example.com:587: Connection refused".
///
/// Never holds the password. `isTransient` tells a caller whether sending again later may succeed.
public struct SMTPError: Error, CustomStringConvertible, Sendable {
    /// Where the failure lies.
    public enum Kind: Sendable, Hashable {
        /// The message or the server's settings cannot be used as they are: nothing was sent and no
        /// connection was made.
        case invalidInput
        /// No connection could be made.
        case unreachable
        /// TLS could not be set up: STARTTLS not offered or refused, a failed handshake, or a
        /// certificate that is not trusted or not for this host. No credentials and no mail were sent.
        case tls
        /// The server refused the credentials, or offers no way to give them.
        case authentication
        /// The server refused a command; `replyCode` says whether for now (4xx) or for good (5xx).
        case refused
        /// The connection failed part-way: closed, out of time, or a reply that is not SMTP.
        case connection
    }

    public let kind: Kind
    /// The server as "HOST:PORT".
    public let server: String
    /// The server's reply code when it refused something, e.g. 550.
    public let replyCode: Int?
    /// The recipient the server refused, for a refused RCPT TO.
    public let recipient: String?
    /// The connection failure underneath, if any.
    public let cause: SocketError?
    /// The one-line message.
    public let description: String

    init(_ kind: Kind, server: String, _ description: String, replyCode: Int? = nil, recipient: String? = nil, cause: SocketError? = nil) {
        self.kind = kind
        self.server = server
        self.description = description
        self.replyCode = replyCode
        self.recipient = recipient
        self.cause = cause
    }

    /// Whether sending the same message again later may succeed: the server could not be reached,
    /// the connection failed, or the server refused with a 4xx (temporary) reply.
    public var isTransient: Bool {
        switch kind {
        case .unreachable, .connection: true
        case .refused, .authentication, .tls: replyCode.map { (400..<500).contains($0) } ?? false
        case .invalidInput: false
        }
    }
}
