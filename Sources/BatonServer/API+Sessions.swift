import BatonCore
import BatonHTTP
import BatonServices
import Foundation

/// Logging in to the UI and out again, and who the caller is. Open routes: they are how a caller
/// without a session gets one.
extension API {
    static func sessionRoutes(_ c: APIContext) -> [Route] {
        [
            Route(method: "POST", pattern: "/api/login", summary: "Log in with a user's name and password, or a one-time login link's token: starts a session, whose cookie the answer sets", tag: "access", permission: nil, body: "Login", response: "Session") { request, _ in
                let body = try request.jsonObject()
                try body.only(["user", "password", "token"])
                // Failed logins are counted per client host, whichever connection they came on.
                let address = request.remoteHost
                let started: StartedSession
                if let token = try body.optionalString("token") {
                    started = try c.services.access.login(link: token, address: address)
                } else {
                    let user = try body.string("user")
                    started = try c.services.access.login(user: user, password: try body.string("password"), address: address)
                }
                let (caller, _) = try c.services.access.authenticate(session: started.token, address: request.remoteAddress)
                var response = try Reply.json(SessionView(caller, csrf: started.csrf, expiresAt: started.record.expiresAt, authRequired: true))
                response.headers.add("Set-Cookie", SessionCookie.set(started.token, lifetime: AccessService.sessionLifetime, secure: c.secureCookies))
                response.headers.set("Cache-Control", "no-store")
                return response
            },
            Route(method: "POST", pattern: "/api/logout", summary: "Log out: ends the session of the request's cookie and clears it", tag: "access", permission: nil, body: "NoFields", status: 204) { request, _ in
                try request.jsonObject().only([])
                if let token = SessionCookie.token(in: request) { try c.services.access.logout(session: token) }
                var response = Reply.noContent
                response.headers.add("Set-Cookie", SessionCookie.clear(secure: c.secureCookies))
                return response
            },
            Route(method: "GET", pattern: "/api/session", summary: "Who the caller is: the session's user with their roles and CSRF token, an API key, or nobody on a server that needs no credentials", tag: "access", permission: nil, response: "Session") { request, caller in
                let required = !c.services.options.anonymousAccess
                if case .anonymous = caller.identity, required {
                    throw BatonError(.unauthorized, "not logged in: log in to the UI, or send an API key as Authorization: Bearer baton_…")
                }
                var response = try Reply.json(
                    SessionView(caller, csrf: SessionCookie.token(in: request).map(SessionToken.csrf(for:)), expiresAt: nil, authRequired: required))
                response.headers.set("Cache-Control", "no-store")
                return response
            },
        ]
    }
}

/// Who a caller is, as `/api/session` and `/api/login` show it.
struct SessionView: Encodable {
    var user: String?
    var admin: Bool?
    var roles: [String: Role]?
    var key: String?
    var project: String?
    var role: Role?
    var csrf: String?
    var expiresAt: Date?
    /// Whether the server requires credentials (false under `--no-auth`).
    var authRequired: Bool

    init(_ caller: Caller, csrf: String?, expiresAt: Date?, authRequired: Bool) {
        switch caller.identity {
        case .user(let name, let admin, let roles):
            user = name
            self.admin = admin
            self.roles = roles
            self.csrf = csrf
        case .apiKey(let name, let project, let role):
            key = name
            self.project = project
            self.role = role
        case .storeOwner, .anonymous: break
        }
        self.expiresAt = expiresAt
        self.authRequired = authRequired
    }
}
