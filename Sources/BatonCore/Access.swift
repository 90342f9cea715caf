import Foundation

// Who may do what on a server: users, their roles in projects, and API keys. Values only; the
// application layer decides, the store records.

/// A user's or an API key's role in a project. Each grants what the one before it does, and more:
/// a viewer reads; an operator also runs, reruns, resumes and cancels, and pauses and resumes
/// deployments; a developer also registers versions, creates and changes deployments, limits and
/// the cache; an admin also manages members and keys, and deletes.
public enum Role: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case viewer, `operator`, developer, admin

    public static func < (a: Role, b: Role) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }

    /// Reads a role as a person types it, refusing anything else naming the input (`--role`).
    public init(parsing text: String, naming: String) throws {
        guard let role = Role(rawValue: text.lowercased()) else {
            throw BatonError(
                .invalidInput, "\(naming) '\(text)' is not valid: expected one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = role
    }
}

/// The project everything belongs to until there are others, and that a store made before
/// projects moves into.
public enum ProjectNames {
    public static let `default` = "default"
}

/// A person who can log in to the UI (with a password) and own API keys.
public struct UserRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var name: String
    /// A server admin manages users and projects, and is an admin of every project.
    public var isAdmin: Bool
    /// The stored password hash (``PasswordHash`` format), or nil for a user without a password.
    public var passwordHash: String?
    public var createdAt: Date
    public var disabledAt: Date?

    public init(id: Int64, name: String, isAdmin: Bool, passwordHash: String?, createdAt: Date, disabledAt: Date?) {
        self.id = id
        self.name = name
        self.isAdmin = isAdmin
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.disabledAt = disabledAt
    }
}

/// What creating a user records.
public struct NewUser: Sendable {
    public var name: String
    public var isAdmin: Bool
    public var passwordHash: String?
    public var now: Date

    public init(name: String, isAdmin: Bool, passwordHash: String?, now: Date) {
        self.name = name
        self.isAdmin = isAdmin
        self.passwordHash = passwordHash
        self.now = now
    }
}

/// A user's role in a project.
public struct Membership: Sendable, Hashable, Codable {
    public var project: String
    public var user: String
    public var role: Role

    public init(project: String, user: String, role: Role) {
        self.project = project
        self.user = user
        self.role = role
    }
}

/// An API key as stored: never the key itself, only its prefix (to find it and to show it) and a
/// hash of the whole key.
public struct APIKeyRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var name: String
    /// The key's first characters, shown in listings and used to find it.
    public var prefix: String
    /// SHA-256 of the whole key, hex.
    public var hash: String
    public var project: String
    public var role: Role
    /// The user it belongs to, when it belongs to one: it lets nobody in while they are disabled.
    public var user: String?
    /// Who created it (a user's name, or the store owner's account).
    public var createdBy: String?
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var expiresAt: Date?
    public var revokedAt: Date?

    public init(
        id: Int64, name: String, prefix: String, hash: String, project: String, role: Role, user: String? = nil, createdBy: String?,
        createdAt: Date, lastUsedAt: Date?, expiresAt: Date?, revokedAt: Date?
    ) {
        self.user = user
        self.id = id
        self.name = name
        self.prefix = prefix
        self.hash = hash
        self.project = project
        self.role = role
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Whether the key lets its holder in at `now`: not revoked and not expired.
    public func isValid(at now: Date) -> Bool { revokedAt == nil && (expiresAt.map { now < $0 } ?? true) }
}

/// What creating an API key records.
public struct NewAPIKey: Sendable {
    public var name: String
    public var prefix: String
    public var hash: String
    public var project: String
    public var role: Role
    /// The user it belongs to, if any.
    public var user: String?
    public var createdBy: String?
    public var now: Date
    public var expiresAt: Date?

    public init(
        name: String, prefix: String, hash: String, project: String, role: Role, user: String? = nil, createdBy: String?, now: Date,
        expiresAt: Date?
    ) {
        self.user = user
        self.name = name
        self.prefix = prefix
        self.hash = hash
        self.project = project
        self.role = role
        self.createdBy = createdBy
        self.now = now
        self.expiresAt = expiresAt
    }
}

/// A login to the UI as stored: a hash of its token, never the token. A `session` is what the
/// browser's cookie carries; a `link` is a one-time login link (`baton quickstart` prints one),
/// exchanged once for a session.
public struct SessionRecord: Sendable, Hashable {
    public enum Kind: String, Sendable { case session, link }

    public var id: Int64
    public var kind: Kind
    public var user: UserRecord
    public var createdAt: Date
    public var expiresAt: Date
    public var endedAt: Date?
    /// The client address it was made from, when made through the API.
    public var address: String?

    public init(id: Int64, kind: Kind, user: UserRecord, createdAt: Date, expiresAt: Date, endedAt: Date?, address: String?) {
        self.id = id
        self.kind = kind
        self.user = user
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.endedAt = endedAt
        self.address = address
    }

    /// Whether it lets its holder in at `now`: not ended, not expired, and its user not disabled.
    public func isValid(at now: Date) -> Bool { endedAt == nil && now < expiresAt && user.disabledAt == nil }
}

/// What starting a session or making a login link records.
public struct NewSession: Sendable {
    public var kind: SessionRecord.Kind
    public var tokenHash: String
    public var user: String
    public var now: Date
    public var expiresAt: Date
    public var address: String?

    public init(kind: SessionRecord.Kind, tokenHash: String, user: String, now: Date, expiresAt: Date, address: String?) {
        self.kind = kind
        self.tokenHash = tokenHash
        self.user = user
        self.now = now
        self.expiresAt = expiresAt
        self.address = address
    }
}
