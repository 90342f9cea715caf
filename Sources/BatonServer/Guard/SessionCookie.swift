import BatonCore
import BatonHTTP
import BatonServices
import Foundation

/// The web UI's session as HTTP carries it: the token in an HttpOnly, SameSite=Strict cookie (Secure
/// when the server speaks TLS), and on every change the session's CSRF token in a header, which a
/// page of another origin can neither read nor make.
enum SessionCookie {
    static let name = "baton_session"
    static let csrfHeader = "X-CSRF-Token"

    /// The session token of `request`'s `Cookie` header, when it has one shaped like a token.
    static func token(in request: HTTPRequest) -> String? {
        for header in request.headers.values("Cookie") {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2, parts[0] == name, SessionToken.isWellFormed(parts[1]) { return parts[1] }
            }
        }
        return nil
    }

    /// The `Set-Cookie` value that gives the browser `token` for `lifetime` seconds.
    static func set(_ token: String, lifetime: TimeInterval, secure: Bool) -> String {
        "\(name)=\(token); Path=/; Max-Age=\(Int(lifetime)); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// The `Set-Cookie` value that makes the browser forget the session.
    static func clear(secure: Bool) -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// Refuses a change (any method but GET and HEAD) made with a session unless it carries the
    /// session's CSRF token.
    static func requireCSRF(_ request: HTTPRequest, expected: String) throws {
        guard request.method != "GET" && request.method != "HEAD" else { return }
        guard let sent = request.headers[csrfHeader], ConstantTime.equal(sent, expected) else {
            throw APIError(
                .forbidden, "csrf",
                "a change made with a login session must carry the session's CSRF token in \(csrfHeader): reload the page, or use an API key")
        }
    }
}
