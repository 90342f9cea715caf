import BatonCore
import Foundation

/// Who asks for an operation, and in which project. Every operation of the application layer takes
/// one, so that the decision of what a caller may do is made in one place
/// (``Services/authorize(_:_:in:)``), and every operation works on that project's flows, runs,
/// deployments, limits and caches only, whether the request came from the CLI on this machine
/// (`--project`) or through the API (`?project=`).
public struct Caller: Sendable, Hashable {
    public enum Identity: Sendable, Hashable {
        /// The user of this machine working on its store directly: the file's permissions are the
        /// boundary, as with SQLite itself. `user` is the account name, when known.
        case storeOwner(user: String?)
        /// A request through the API that carries no credentials.
        case anonymous
        /// A request with an API key: its name, and its role in its project.
        case apiKey(name: String, project: String, role: Role)
        /// A user logged in to the UI: a server admin (an admin of every project), or their role in
        /// each project they are a member of.
        case user(name: String, admin: Bool, roles: [String: Role])
    }

    public var identity: Identity
    /// Where the request came from (a client's address), for messages and audit; nil in process.
    public var address: String?
    /// The project the request works in: `default` unless it names another.
    public var project: String

    public init(_ identity: Identity, address: String? = nil, project: String = ProjectNames.default) {
        self.identity = identity
        self.address = address
        self.project = project
    }

    /// The same caller, working in `project`.
    public func inProject(_ project: String) -> Caller {
        var caller = self
        caller.project = project
        return caller
    }

    /// The local CLI: this machine's account, from `USER` (or `LOGNAME`), else the process's user
    /// id's name (cron and service managers set neither).
    public static func storeOwner(environment: [String: String] = ProcessInfo.processInfo.environment) -> Caller {
        Caller(.storeOwner(user: environment["USER"] ?? environment["LOGNAME"] ?? getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) }))
    }

    /// Who the caller is by name, as records of what they did keep it (a key's creator); nil for
    /// an anonymous request.
    public var name: String? {
        switch identity {
        case .storeOwner(let user): user
        case .anonymous: nil
        case .apiKey(let name, _, _): "key " + name
        case .user(let name, _, _): name
        }
    }

    /// A request through the API, before the server knows users.
    public static func anonymous(address: String?) -> Caller { Caller(.anonymous, address: address) }
}

/// What an operation needs of its caller, from reading to administering. Each role of a project
/// grants the permissions up to its own: a viewer reads, an operator also runs, a developer also
/// changes what is registered and deployed, an admin also administers.
public enum Permission: String, Sendable, CaseIterable, Comparable {
    case read, run, develop, administer

    /// What the permission allows, for a refusal: "may not <verb>".
    var verb: String {
        switch self {
        case .read: "read"
        case .run: "run, rerun, resume or cancel runs, or pause and resume deployments"
        case .develop: "register versions or change deployments, limits or the cache"
        case .administer: "manage members, keys or users"
        }
    }

    /// The roles that grant it, for documents: "viewer, operator, developer or admin".
    public var roles: String {
        let granting = Role.allCases.filter { $0.permission >= self }.map(\.rawValue)
        return granting.count == 1 ? granting[0] : granting.dropLast().joined(separator: ", ") + " or " + granting.last!
    }

    public static func < (a: Permission, b: Permission) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

extension Role {
    /// The most a role allows: each role's permission and every one before it.
    public var permission: Permission {
        switch self {
        case .viewer: .read
        case .operator: .run
        case .developer: .develop
        case .admin: .administer
        }
    }
}
