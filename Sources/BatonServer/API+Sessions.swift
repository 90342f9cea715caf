import BatonCore
import BatonHTTP
import BatonServices
import Foundation

/// Logging in to the UI and out again, and who the caller is. Open routes: they are how a caller
/// without a session gets one.
extension API {
    static func sessionRoutes(_ c: APIContext) -> [Route] {
        [
            Route(method: "POST", pattern: "/api/login", summary: "Log in with a user's name and password: starts a session, whose cookie the answer sets", tag: "access", permission: nil, body: "Login", response: "Session") { request, _ in
                let body = try request.jsonObject()
                try body.only(["user", "password"])
                let user = try body.string("user")
                let password = try body.string("password")
                return try logIn(request, c, target: user) { address in try c.services.access.login(user: user, password: password, address: address) }
            },
            Route(method: "POST", pattern: "/api/login/link", summary: "Log in with a one-time login link's token (`baton user link`): starts a session, whose cookie the answer sets; the link lets nobody in again", tag: "access", permission: nil, body: "LoginLink", response: "Session") { request, _ in
                let body = try request.jsonObject()
                try body.only(["token"])
                let token = try body.string("token")
                return try logIn(request, c, target: "a login link") { address in try c.services.access.login(link: token, address: address) }
            },
            Route(method: "POST", pattern: "/api/logout", summary: "Log out: ends the session of the request's cookie and clears it", tag: "access", permission: nil, body: "NoFields", status: 204) { request, _ in
                try request.jsonObject().only([])
                if let token = SessionCookie.token(in: request), let user = try c.services.access.logout(session: token) {
                    c.services.audit.record(
                        "POST /api/logout", target: nil, project: nil, by: Caller(.user(name: user.name, admin: user.isAdmin, roles: [:])),
                        address: request.remoteHost, result: "ok", log: c.log)
                }
                var response = Reply.noContent
                response.headers.add("Set-Cookie", SessionCookie.clear(secure: c.secureCookie(request)))
                return response
            },
            Route(method: "GET", pattern: "/api/session", summary: "Who the caller is: the session's user with their roles and CSRF token, an API key, or nobody on a server that needs no credentials", tag: "access", permission: nil, response: "Session") { request, _ in
                // Credentials that are not valid are said to be so, not taken for none.
                let caller = try c.caller(request)
                let required = !c.services.options.anonymousAccess
                if case .anonymous = caller.identity, required {
                    throw BatonError(.unauthorized, "not logged in: log in to the UI, or send an API key as Authorization: Bearer baton_…")
                }
                var response = try Reply.json(
                    SessionView(
                        caller, csrf: SessionCookie.token(in: request).map(SessionToken.csrf(for:)), expiresAt: nil, authRequired: required,
                        projects: try c.services.access.projects(caller)))
                response.headers.set("Cache-Control", "no-store")
                return response
            },
            Route(method: "GET", pattern: "/api/audit", summary: "The audit log, newest first: every change made through the API (allowed or refused), every login, and every change to users, members and keys", tag: "access", permission: .administer, query: ["project", "actor", "since", "limit"], response: "AuditList") { request, caller in
                let query = AuditQuery(
                    project: request.queryString("project"), actor: request.queryString("actor"), since: try request.queryDate("since"),
                    limit: try request.queryInt("limit", default: AuditService.listDefault, in: AuditService.listLimit))
                return try Reply.json(Listing(key: "entries", items: try c.services.audit.list(query, caller)))
            },
        ]
    }
}

extension API {
    /// Starts a session with `start` (given the client's host, by which failed logins are counted
    /// whichever connection they came on), records the login in the audit log either way, and
    /// answers with the session and its cookie.
    static func logIn(_ request: HTTPRequest, _ c: APIContext, target: String, _ start: (String) throws -> StartedSession) throws -> HTTPResponse {
        let address = request.remoteHost
        let action = "\(request.method) \(request.path)"
        let started: StartedSession
        do {
            started = try start(address)
        } catch {
            let refusal = APIError.from(error)
            c.services.audit.record(
                action, target: String(target.prefix(100)), project: nil, by: nil, address: address,
                result: AuditEntry.result(status: refusal.status.code, code: refusal.code), log: c.log)
            throw error
        }
        let (caller, _) = try c.services.access.authenticate(session: started.token, address: address)
        c.services.audit.record(action, target: String(target.prefix(100)), project: nil, by: caller, address: address, result: "ok", log: c.log)
        var response = try Reply.json(SessionView(
            caller, csrf: started.csrf, expiresAt: started.record.expiresAt, authRequired: true, projects: try c.services.access.projects(caller)))
        response.headers.add("Set-Cookie", SessionCookie.set(started.token, lifetime: AccessService.sessionLifetime, secure: c.secureCookie(request)))
        response.headers.set("Cache-Control", "no-store")
        return response
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
    /// The projects the caller may work in, by name: the UI's project switcher offers these.
    var projects: [String]

    init(_ caller: Caller, csrf: String?, expiresAt: Date?, authRequired: Bool, projects: [String]) {
        self.projects = projects
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
