import BatonCore
import BatonStore
import Foundation

extension Services {
    /// Users, their roles in projects, and API keys.
    public var access: AccessService { AccessService(services: self) }
}

/// An API key just made: the key itself, shown once and never stored, and what is stored of it.
public struct CreatedKey: Sendable {
    public var key: String
    public var record: APIKeyRecord
}

/// Managing who may do what: users (with a password for the UI, hashed with ``PasswordHash``),
/// their roles in projects, and API keys for scripts, CI and workers (``APIKeyText``). Each
/// operation needs the `administer` permission.
public struct AccessService: Sendable {
    let services: Services
    var store: any Store { services.store }

    /// The fewest characters a password may have.
    public static let minimumPasswordLength = 8
    /// How many days a key may be made to last.
    public static let expiryDays = 1...3650

    /// Records a user, with a password when given (then they can log in to the UI) and server
    /// admin when `admin`. Refuses a taken or malformed name and a short password.
    public func createUser(_ name: String, admin: Bool, password: String?, _ caller: Caller) throws -> UserRecord {
        try services.audit.recording("user create", target: name, project: nil, caller) {
            try services.authorize(caller, .administer)
            try DeploymentNames.validate(name, what: "user name")
            let hash = try password.map { try Self.hash($0) }
            guard let user = try store.insertUser(NewUser(name: name, isAdmin: admin, passwordHash: hash, now: services.options.now())) else {
                throw BatonError(.conflict, "a user named '\(name)' exists already")
            }
            return user
        }
    }

    /// The projects `caller` may work in, by name: every one for the store's owner and server
    /// admins, else those they have a role in.
    public func projects(_ caller: Caller) throws -> [String] {
        let all = try store.projectNames()
        switch caller.identity {
        case .storeOwner: return all
        case .anonymous:
            try services.authorize(caller, .read, in: ProjectNames.default)
            return all
        case .apiKey(_, let project, _): return all.filter { $0 == project }
        case .user(_, let admin, let roles): return admin ? all : all.filter { roles[$0] != nil }
        }
    }

    /// Makes a project, empty, with nobody in it but the server's admins.
    public func createProject(_ name: String, _ caller: Caller) throws {
        try services.audit.recording("project create", target: name, project: name, caller) {
            try services.authorize(caller, .administer, in: ProjectNames.default)
            try DeploymentNames.validate(name, what: "project name")
            guard try store.insertProject(name, at: services.options.now()) else {
                throw BatonError(.conflict, "a project named '\(name)' exists already")
            }
        }
    }

    /// Deletes an empty project with its members and keys. A project that still has flows is
    /// refused (nothing of a team's is deleted by accident), and so is `default`.
    public func deleteProject(_ name: String, _ caller: Caller) throws {
        try services.audit.recording("project delete", target: name, project: name, caller) {
            try services.authorize(caller, .administer, in: ProjectNames.default)
            guard name != ProjectNames.default else {
                throw BatonError(.invalidInput, "project '\(name)' cannot be deleted: it is where everything goes that names no project")
            }
            _ = try requireProject(name)
            let flows = try store.deleteProject(name)
            guard flows.isEmpty else {
                throw BatonError(
                    .conflict,
                    "project '\(name)' still has flows (\(flows.prefix(5).joined(separator: ", "))\(flows.count > 5 ? ", …" : "")); "
                        + "only an empty project can be deleted")
            }
        }
    }

    /// Every user by name.
    public func users(_ caller: Caller) throws -> [UserRecord] {
        try services.authorize(caller, .administer)
        return try store.users()
    }

    /// Sets a user's password, replacing the one they had.
    public func setPassword(_ name: String, _ password: String, _ caller: Caller) throws {
        try services.audit.recording("user password", target: name, project: nil, caller) {
            try services.authorize(caller, .administer)
            guard try store.setPasswordHash(user: name, try Self.hash(password)) else { throw unknownUser(name) }
        }
    }

    /// Disables a user (they can no longer log in), or enables them again.
    public func setDisabled(_ name: String, _ disabled: Bool, _ caller: Caller) throws -> UserRecord {
        try services.audit.recording(disabled ? "user disable" : "user enable", target: name, project: nil, caller) {
            try services.authorize(caller, .administer)
            guard try store.setDisabled(user: name, at: disabled ? services.options.now() : nil), let user = try store.userRecord(named: name)
            else { throw unknownUser(name) }
            return user
        }
    }

    /// Whether `password` is `name`'s, for a user who is not disabled. Compares in constant time,
    /// and takes as long for an unknown user as for a wrong password.
    public func checkPassword(_ name: String, _ password: String) throws -> UserRecord? {
        let user = try store.userRecord(named: name)
        guard let stored = user?.passwordHash else {
            _ = PasswordHash.verify(password, against: Self.decoy)
            return nil
        }
        guard PasswordHash.verify(password, against: stored), let user, user.disabledAt == nil else { return nil }
        return user
    }

    /// The caller an `Authorization` header names: `Bearer` and an API key that exists, matches its
    /// stored hash (compared in constant time), and is neither revoked nor expired. Anything else
    /// is refused with `unauthorized`, saying why without echoing the key. Records the key's use.
    public func authenticate(authorization: String, address: String?) throws -> Caller {
        let parts = authorization.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw BatonError(.unauthorized, "the Authorization header is not valid: expected Bearer and an API key (baton_…)")
        }
        let key = parts[1].trimmingCharacters(in: .whitespaces)
        guard let prefix = APIKeyText.prefix(of: key), let record = try store.keyRecord(prefix: prefix),
            ConstantTime.equal(record.hash, APIKeyText.hash(key))
        else {
            throw BatonError(.unauthorized, "the API key is not valid: no key like it exists (`baton key ls` lists them)")
        }
        let now = services.options.now()
        if let revoked = record.revokedAt {
            throw BatonError(.unauthorized, "API key '\(record.name)' was revoked at \(Timestamps.iso(revoked))")
        }
        if let expires = record.expiresAt, expires <= now {
            throw BatonError(.unauthorized, "API key '\(record.name)' expired at \(Timestamps.iso(expires))")
        }
        if let user = record.user, try store.userRecord(named: user)?.disabledAt != nil {
            throw BatonError(.unauthorized, "API key '\(record.name)' belongs to user '\(user)', who is disabled")
        }
        // Its use is recorded at most once a minute: most requests write nothing.
        if record.lastUsedAt.map({ now.timeIntervalSince($0) >= 60 }) ?? true { try store.touchKey(id: record.id, at: now) }
        return Caller(.apiKey(name: record.name, project: record.project, role: record.role), address: address)
    }

    /// Gives `user` `role` in `project`, replacing a role they had there.
    public func addMember(project: String, user: String, role: Role, _ caller: Caller) throws {
        try services.audit.recording("member add", target: user, project: project, caller) {
            try services.authorize(caller, .administer)
            try store.setMembership(Membership(project: try requireProject(project), user: user, role: role))
        }
    }

    /// Takes `user`'s role in `project` away.
    public func removeMember(project: String, user: String, _ caller: Caller) throws {
        try services.audit.recording("member rm", target: user, project: project, caller) {
            try services.authorize(caller, .administer)
            guard try store.removeMembership(project: try requireProject(project), user: user) else {
                throw BatonError(.notFound, "user '\(user)' is not a member of project '\(project)'")
            }
        }
    }

    /// The members of `project`, by name.
    public func members(project: String, _ caller: Caller) throws -> [Membership] {
        try services.authorize(caller, .administer)
        return try store.memberships(project: try requireProject(project))
    }

    /// Makes an API key with `role` in `project`, lasting `expiresInDays` when given. The key is in
    /// the answer once; only its prefix and hash are stored.
    /// When `user` is given the key belongs to them, and lets nobody in while they are disabled.
    public func createKey(name: String, project: String, role: Role, user: String? = nil, expiresInDays: Int?, _ caller: Caller) throws -> CreatedKey {
        try services.audit.recording("key create", target: name, project: project, caller) {
            try services.authorize(caller, .administer)
            try DeploymentNames.validate(name, what: "key name")
            if let days = expiresInDays, !Self.expiryDays.contains(days) {
                throw BatonError(
                    .invalidInput,
                    "--expires \(days) is not valid: expected a number of days from \(Self.expiryDays.lowerBound) to \(Self.expiryDays.upperBound)",
                    field: "expires")
            }
            let now = services.options.now()
            let made = APIKeyText.make()
            let new = NewAPIKey(
                name: name, prefix: made.prefix, hash: made.hash, project: try requireProject(project), role: role, user: user,
                createdBy: caller.name, now: now, expiresAt: expiresInDays.map { now.addingTimeInterval(Double($0) * 86_400) })
            guard let record = try store.insertKey(new) else {
                throw BatonError(.conflict, "project '\(project)' has a key named '\(name)' already (`baton key ls` lists them)")
            }
            return CreatedKey(key: made.key, record: record)
        }
    }

    /// The keys of `project` (nil: of every project), newest first.
    public func keys(project: String?, _ caller: Caller) throws -> [APIKeyRecord] {
        try services.authorize(caller, .administer)
        return try store.keys(project: try project.map(requireProject))
    }

    /// Revokes the key named `name` in `project` (or given by its prefix): it lets nobody in again.
    public func revokeKey(_ name: String, project: String, _ caller: Caller) throws -> APIKeyRecord {
        try services.audit.recording("key revoke", target: name, project: project, caller) {
            try services.authorize(caller, .administer)
            let keys = try store.keys(project: try requireProject(project))
            guard let key = keys.first(where: { $0.name == name }) ?? keys.first(where: { $0.prefix == name }) else {
                throw BatonError(.notFound, "project '\(project)' has no key named '\(name)' (`baton key ls` lists them)")
            }
            guard try store.revokeKey(id: key.id, at: services.options.now()) else {
                throw BatonError(.conflict, "key '\(key.name)' of project '\(project)' is revoked already")
            }
            return try store.keyRecord(prefix: key.prefix) ?? key
        }
    }

    private func requireProject(_ name: String) throws -> String {
        try services.requireProject(name)
        return name
    }

    func unknownUser(_ name: String) -> BatonError {
        BatonError(.notFound, "no user '\(name)' (`baton user ls` lists them)")
    }

    private static func hash(_ password: String) throws -> String {
        guard password.count >= minimumPasswordLength else {
            throw BatonError(.invalidInput, "the password is too short: expected at least \(minimumPasswordLength) characters", field: "password")
        }
        return try PasswordHash.make(password)
    }

    /// A stored form checked against when a user has none, so that an unknown name costs as long.
    private static let decoy = (try? PasswordHash.make(UUID().uuidString)) ?? ""
}
