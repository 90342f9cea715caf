import BatonCore
import BatonLoader
import BatonStore
import Foundation

/// A session just started: the token its cookie carries and the CSRF token its changes must carry,
/// each given once and never stored (the store keeps a hash of the first; the second is derived).
public struct StartedSession: Sendable {
    public var token: String
    public var csrf: String
    public var record: SessionRecord
}

/// The UI's logins: a password (throttled after failures) or a one-time login link starts a session,
/// whose token the browser keeps in an HttpOnly cookie; the session lets its user in as their roles
/// allow until it expires or they log out.
extension AccessService {
    /// How long a session lasts from its login.
    public static let sessionLifetime: TimeInterval = 12 * 3600
    /// How long a login link may wait to be used.
    public static let linkLifetime: TimeInterval = 24 * 3600

    /// Starts a session for `user` with `password`, from `address`. A wrong password, an unknown or
    /// disabled user all get the same `unauthorized`; after ``LoginThrottle/allowed`` failures for
    /// the user or from the address, attempts are refused with `throttled` for a while, even with the
    /// right password.
    public func login(user: String, password: String, address: String?) throws -> StartedSession {
        let now = services.options.now()
        try services.loginThrottle.check(user: user, address: address, now: now)
        guard let record = try checkPassword(user, password) else {
            services.loginThrottle.failed(user: user, address: address, now: now)
            throw BatonError(.unauthorized, "the user name or password is not right, or the user is disabled")
        }
        services.loginThrottle.succeeded(user: user, address: address)
        return try start(.session, user: record.name, lifetime: Self.sessionLifetime, address: address)
    }

    /// Exchanges a one-time login link's token for a session; the link then lets nobody in again.
    public func login(link token: String, address: String?) throws -> StartedSession {
        let now = services.options.now()
        try services.loginThrottle.check(user: nil, address: address, now: now)
        guard SessionToken.isWellFormed(token), let link = try store.sessionRecord(tokenHash: SessionToken.hash(token)), link.kind == .link, link.isValid(at: now),
            try store.endSession(id: link.id, at: now)
        else {
            services.loginThrottle.failed(user: nil, address: address, now: now)
            throw BatonError(.unauthorized, "the login link is not valid: it was used already, has expired, or never existed (ask for a new one)")
        }
        return try start(.session, user: link.user.name, lifetime: Self.sessionLifetime, address: address)
    }

    /// A one-time login link's token for `user`, valid for ``linkLifetime``: what `baton quickstart`
    /// and `baton user link` print as `/login?token=…`.
    public func loginLink(user: String, _ caller: Caller) throws -> String {
        try services.audit.recording("user link", target: user, caller) {
            try services.authorize(caller, .administer)
            guard let record = try store.userRecord(named: user) else { throw unknownUser(user) }
            guard record.disabledAt == nil else { throw BatonError(.conflict, "user '\(user)' is disabled: enable them first") }
            return try start(.link, user: user, lifetime: Self.linkLifetime, address: nil).token
        }
    }

    /// The address of the UI's login page that redeems a link's `token`, on the server at `base`
    /// (`http://127.0.0.1:4200`). The token is in the fragment, so it never reaches a request line,
    /// a proxy's log or a Referer.
    public static func loginURL(base: String, token: String) -> String {
        (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/#/login?token=" + token
    }

    /// The name of a server admin who is not disabled, creating `admin` (without a password: the
    /// login link is how they get in) when there is none. For `baton quickstart`.
    public func localAdmin(_ caller: Caller) throws -> String {
        try services.authorize(caller, .administer)
        if let admin = try store.users().first(where: { $0.isAdmin && $0.disabledAt == nil }) { return admin.name }
        var name = "admin"
        var suffix = 1
        while try store.userRecord(named: name) != nil {
            suffix += 1
            name = "admin\(suffix)"
        }
        return try createUser(name, admin: true, password: nil, caller).name
    }

    /// The caller a session cookie's token names, or `unauthorized` when it is unknown, ended or
    /// expired, or its user was disabled. With it, the CSRF token the session's changes must carry.
    public func authenticate(session token: String, address: String?) throws -> (caller: Caller, csrf: String) {
        let now = services.options.now()
        guard SessionToken.isWellFormed(token), let session = try store.sessionRecord(tokenHash: SessionToken.hash(token)), session.kind == .session, session.isValid(at: now)
        else {
            throw BatonError(.unauthorized, "your session has ended (logged out, expired or never started): log in again")
        }
        let user = session.user
        let roles = user.isAdmin ? [:] : try store.roles(user: user.name)
        return (Caller(.user(name: user.name, admin: user.isAdmin, roles: roles), address: address), SessionToken.csrf(for: token))
    }

    /// Ends the session `token` names and returns its user; nil, and nothing happens, for a token
    /// that names no session still open.
    @discardableResult
    public func logout(session token: String) throws -> UserRecord? {
        guard SessionToken.isWellFormed(token), let session = try store.sessionRecord(tokenHash: SessionToken.hash(token)), session.kind == .session,
            try store.endSession(id: session.id, at: services.options.now())
        else { return nil }
        return session.user
    }

    private func start(_ kind: SessionRecord.Kind, user: String, lifetime: TimeInterval, address: String?) throws -> StartedSession {
        let now = services.options.now()
        let token = SessionToken.make()
        guard
            let record = try store.insertSession(
                NewSession(kind: kind, tokenHash: SessionToken.hash(token), user: user, now: now, expiresAt: now.addingTimeInterval(lifetime), address: address))
        else { throw unknownUser(user) }
        return StartedSession(token: token, csrf: SessionToken.csrf(for: token), record: record)
    }
}

/// The random tokens of sessions and login links, what the store keeps of them, and the CSRF token
/// that belongs to a session. The CSRF token is derived from the session's token, which only the
/// server and the browser's HttpOnly cookie hold, so a page on another site can neither read nor
/// make it.
public enum SessionToken {
    /// 32 random bytes, as 64 hex digits.
    public static func make() -> String {
        var random = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &random)) }.joined()
    }

    public static func hash(_ token: String) -> String { SHA256.hex(of: Array(token.utf8)) }

    public static func csrf(for token: String) -> String { String(SHA256.hex(of: Array(("csrf:" + token).utf8)).prefix(40)) }

    /// Whether `text` is shaped like a token (so that anything else is refused without a lookup).
    public static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// Failed logins, counted per user name and per client address, so that guessing passwords is slow:
/// after ``allowed`` failures within ``window``, each further attempt for that user or from that
/// address is refused for ``firstWait``, doubling with each further failure up to ``longestWait``. A success
/// clears the user's and the address's count. Kept in the server's memory.
public final class LoginThrottle: Sendable {
    public static let allowed = 5
    public static let window: TimeInterval = 15 * 60
    public static let longestWait: TimeInterval = 15 * 60
    /// The first wait, after ``allowed`` failures.
    public static let firstWait: TimeInterval = 30

    private struct Failures { var count = 0; var last = Date.distantPast }
    private let failures = Locked<[String: Failures]>([:])

    public init() {}

    private static func keys(user: String?, address: String?) -> [String] {
        (user.map { ["user:" + $0.lowercased()] } ?? []) + (address.map { ["address:" + $0] } ?? [])
    }

    /// Refuses with `throttled` while the user or the address must wait.
    func check(user: String?, address: String?, now: Date) throws {
        for key in Self.keys(user: user, address: address) {
            guard let entry = failures.withLock({ $0[key] }), entry.count >= Self.allowed else { continue }
            let wait = min(Self.longestWait, Self.firstWait * pow(2, Double(entry.count - Self.allowed)))
            let until = entry.last.addingTimeInterval(wait)
            if now < until {
                let whom = key.hasPrefix("user:") ? "for user '\(user ?? "")'" : "from \(address ?? "this address")"
                throw BatonError(
                    .throttled, "too many failed logins \(whom): try again in \(Int((until.timeIntervalSince(now)).rounded(.up))) s")
            }
        }
    }

    func failed(user: String?, address: String?, now: Date) {
        failures.withLock { table in
            // Counts older than the window are forgotten, and so is a table grown large (a spray of names).
            if table.count > 100_000 { table.removeAll() }
            for key in Self.keys(user: user, address: address) {
                var entry = table[key] ?? Failures()
                if now.timeIntervalSince(entry.last) > Self.window { entry.count = 0 }
                entry.count += 1
                entry.last = now
                table[key] = entry
            }
        }
    }

    func succeeded(user: String?, address: String?) {
        failures.withLock { table in for key in Self.keys(user: user, address: address) { table[key] = nil } }
    }
}
