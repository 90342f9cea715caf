import BatonCore
import BatonHTTP
import Foundation

/// What a browser must not be made to do against this server, checked before any route answers:
///
/// - **Answer for a name it does not serve.** A DNS-rebinding page reaches 127.0.0.1 under its own
///   name (`Host: attacker.example`), and then reads the API as a same-origin page. Only loopback
///   names and addresses, the address the server listens on, and the names given with
///   `--allowed-host` are served; any other `Host` gets 421.
/// - **Change anything from another site.** A plain HTML form or a script on another site can send
///   a request with a simple body, or none, without asking first. A request that changes state (any
///   method but GET and HEAD) whose `Origin` is not this server's own, or that the browser marks as
///   coming from another site (`Sec-Fetch-Site`), gets 403. Programs that are not browsers (the CLI,
///   curl, workers) send neither header and are not affected.
struct BrowserGuard: Sendable {
    /// Host names served besides loopback ones, lowercased.
    let allowedHosts: Set<String>

    /// `listening` is the address the server listens on (served unless it is a wildcard such as
    /// 0.0.0.0); `allowed` the names given with `--allowed-host`.
    init(listening: String, allowed: [String]) {
        var hosts = Set(allowed.map { $0.lowercased() })
        let bound = listening.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if bound != "0.0.0.0" && bound != "::" && !bound.isEmpty { hosts.insert(bound) }
        allowedHosts = hosts
    }

    /// Whether `name` (a host name without port) is one this server answers for.
    func serves(_ name: String) -> Bool { Loopback.contains(name) || allowedHosts.contains(name.lowercased()) }

    /// The answer refusing `request`, or nil when it may go on.
    func refusal(_ request: HTTPRequest) -> APIError? {
        // A request without Host (HTTP/1.0) cannot come from a browser, which always sends one.
        if let host = request.headers["Host"] {
            guard let name = Loopback.hostName(ofAuthority: host), serves(name) else {
                return APIError(
                    HTTPStatus(421, "Misdirected Request"), "misdirected_request",
                    "Host '\(LogText.abbreviated(host))' is not served here: expected localhost, a loopback address"
                        + (allowedHosts.isEmpty ? "" : ", " + allowedHosts.sorted().joined(separator: ", "))
                        + " or a name given to the server with --allowed-host")
            }
        }
        guard request.method != "GET" && request.method != "HEAD" else { return nil }
        if let site = request.headers["Sec-Fetch-Site"]?.lowercased(), site != "same-origin" && site != "none" {
            return crossOrigin("a page on another site (Sec-Fetch-Site: \(LogText.abbreviated(site)))")
        }
        if let origin = request.headers["Origin"] {
            guard let host = request.headers["Host"], Self.authority(ofOrigin: origin) == host.lowercased() else {
                return crossOrigin("origin '\(LogText.abbreviated(origin))'")
            }
        }
        return nil
    }

    private func crossOrigin(_ from: String) -> APIError {
        APIError(
            .forbidden, "cross_origin",
            "a request from \(from) may not change anything here: expected a page of this server's own origin, or a client that is not a browser")
    }

    /// The `host[:port]` of an `Origin` header (`http://127.0.0.1:4200`), lowercased; nil for
    /// `null` and anything that is not an http(s) origin. Either scheme: behind a reverse proxy
    /// that ends TLS the page's origin is https while the server speaks http, and no other server
    /// can answer on this server's own host and port.
    static func authority(ofOrigin origin: String) -> String? {
        let origin = origin.lowercased()
        for scheme in ["http://", "https://"] where origin.hasPrefix(scheme) {
            let authority = origin.dropFirst(scheme.count)
            guard !authority.isEmpty, !authority.contains("/") else { return nil }
            return String(authority)
        }
        return nil
    }
}

/// Headers every answer carries, so that the UI cannot be framed, sniffed into another type, or
/// made to run script that is not its own files.
enum SecurityHeaders {
    static let all: [(String, String)] = [
        (
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
                + "worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
    ]

    static func add(to response: inout HTTPResponse) {
        for (name, value) in all where !response.headers.contains(name) { response.headers.set(name, value) }
    }
}
