import BatonCore
import BatonHTTP
import Foundation

/// What a reverse proxy in front of the server says of a request it forwards: the client's address
/// (the last entry of `X-Forwarded-For`, the one the proxy added) and whether the client spoke HTTPS
/// (`X-Forwarded-Proto`). Trusted only when the server runs with `--trust-proxy`; otherwise anyone
/// could send them, and they are ignored.
enum ForwardedRequest {
    /// `request` with the client's address the proxy names as its remote address (logs, the audit
    /// log and the login throttle see the client, not the proxy); unchanged when the header is
    /// missing or not an address.
    static func apply(to request: inout HTTPRequest) {
        guard let header = request.headers.values("X-Forwarded-For").last,
            let last = header.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), isAddress(last)
        else { return }
        request.remoteAddress = last.contains(":") ? "[\(last)]:0" : "\(last):0"
    }

    /// Whether the proxy says the client spoke HTTPS.
    static func isHTTPS(_ request: HTTPRequest) -> Bool {
        request.headers["X-Forwarded-Proto"]?.split(separator: ",").first?.trimmingCharacters(in: .whitespaces).lowercased() == "https"
    }

    /// An IPv4 or IPv6 address as text, nothing else (no port, no name, no brackets).
    static func isAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
