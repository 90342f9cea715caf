#if canImport(Glibc)
import Glibc
#endif

/// An SMTP server to send mail through (a relay or a submission service), and how to reach it.
///
///     let server = SMTPServer(host: "smtp.example.com", port: 587, security: .startTLS, username: "baton", password: secret)
///     try SMTPClient.send(message, via: server)
///
/// `description` never shows the password.
public struct SMTPServer: Sendable, CustomStringConvertible {
    /// How the connection is protected.
    public enum Security: String, Sendable, Hashable, Codable {
        /// No encryption, for a relay on this machine or a trusted network. Credentials are only
        /// ever sent this way to a loopback host.
        case plain
        /// Plain TCP, then STARTTLS (RFC 3207) before anything but EHLO: the submission port 587.
        /// A server that does not offer STARTTLS is refused before anything is sent.
        case startTLS
        /// TLS from the first byte (RFC 8314): port 465.
        case tls
    }

    /// A host name or an IP address (without brackets).
    public var host: String
    public var port: Int
    public var security: Security
    /// The user to authenticate as (AUTH PLAIN, or LOGIN when that is all the server offers); nil
    /// sends without authenticating.
    public var username: String?
    /// The password of `username`; never logged nor put in any error.
    public var password: String?
    /// A PEM file of the CA certificates to trust for the server's certificate instead of the
    /// system's (a private CA, or a test's self-signed certificate); nil trusts the system's.
    public var caFile: String?
    /// How long the whole conversation may take, from connecting to the server's acceptance of the
    /// message.
    public var timeout: Duration
    /// The name this machine gives itself in EHLO: a domain name or an address literal such as
    /// "[192.0.2.1]".
    public var heloName: String

    /// `heloName` nil uses this machine's host name.
    public init(
        host: String, port: Int = 587, security: Security = .startTLS, username: String? = nil, password: String? = nil,
        caFile: String? = nil, timeout: Duration = .seconds(60), heloName: String? = nil
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.caFile = caFile
        self.timeout = timeout
        self.heloName = heloName ?? Self.localHostName()
    }

    /// "smtp.example.com:587 (startTLS, user baton)", without the password.
    public var description: String {
        "\(address) (\(security.rawValue)\(username.map { ", user \($0)" } ?? ""))"
    }

    /// "HOST:PORT", with brackets around an IPv6 address: how errors name the server.
    var address: String { "\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// Why these settings cannot be used, or nil; checked before connecting.
    var problem: String? {
        if host.isEmpty || host.contains(where: { $0.isWhitespace || $0 == "/" }) {
            return "SMTP host '\(host)' is not a host name or an IP address"
        }
        if !(1...65_535).contains(port) { return "SMTP port \(port) of \(host) is not a number from 1 to 65535" }
        if timeout <= .zero { return "SMTP timeout \(timeout) for \(address) is not positive" }
        if heloName.isEmpty || heloName.contains(where: { $0.isWhitespace || $0.isNewline || !$0.isASCII }) {
            return "EHLO name '\(heloName)' for \(address) is not a domain name or an address literal such as [192.0.2.1]"
        }
        switch (username, password) {
        case (nil, nil): return nil
        case (nil, .some): return "SMTP server \(address) has a password but no username: expected both or neither"
        case (.some(let user), nil): return "SMTP user '\(user)' on \(address) has no password: expected both or neither"
        case (.some(let user), .some(let password)):
            if user.contains(where: { $0 == "\0" || $0.isNewline }) { return "SMTP username for \(address) contains a NUL or line break" }
            if password.contains("\0") { return "SMTP password of user '\(user)' on \(address) contains a NUL character, which AUTH PLAIN cannot carry" }
            if security == .plain && !Loopback.contains(host) {
                return "refusing to send the password of SMTP user '\(user)' to \(address) unencrypted: "
                    + "use security .startTLS or .tls (unencrypted AUTH is only for a loopback host)"
            }
            return nil
        }
    }

    /// This machine's host name when it is a plausible domain name, else "localhost".
    private static func localHostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "localhost" }
        let text = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let plausible = !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
        return plausible ? text : "localhost"
    }
}
