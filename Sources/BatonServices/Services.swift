import BatonCore
import BatonStore
import Foundation

/// How the application layer behaves on this host.
public struct ServiceOptions: Sendable {
    /// The work pool runs queued for workers go to when the request names none.
    public var pool: String
    /// The clock, so tests can move time; the wall clock otherwise.
    public var now: @Sendable () -> Date
    /// Whether a request without credentials may do everything (a server started with `--no-auth`,
    /// on loopback only) rather than being refused with `unauthorized`.
    public var anonymousAccess: Bool
    /// The web UI's address, for links in notifications (`BATON_PUBLIC_URL`, else the server's own).
    public var publicURL: String?

    public init(
        pool: String = DeploymentNames.defaultPool, anonymousAccess: Bool = false,
        publicURL: String? = ProcessInfo.processInfo.environment["BATON_PUBLIC_URL"].flatMap { $0.isEmpty ? nil : $0 },
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.publicURL = publicURL
        self.pool = pool
        self.anonymousAccess = anonymousAccess
        self.now = now
    }
}

/// The application layer: every operation a user can ask of Baton, written once. The CLI's local
/// backend calls it in process, the API's handlers parse a request, call it and encode the answer,
/// and the remote CLI reaches the same code through HTTP. It holds the rules (which parameters a run
/// gets, which results a resume reuses, which version a deployment follows); the store only persists.
///
/// Each area is a small value made on demand from this one (`services.runs`, `services.flows`, …),
/// each in a folder of its own. Making one does no I/O, so a command pays only for what it calls.
public final class Services: Sendable {
    public let store: any Store
    public let home: BatonHome
    public let options: ServiceOptions
    /// Failed logins of this process's callers (`AccessService.login`).
    let loginThrottle = LoginThrottle()

    public init(store: any Store, home: BatonHome, options: ServiceOptions = ServiceOptions()) {
        self.store = store
        self.home = home
        self.options = options
    }

    /// Whether `caller` may do what needs `permission` in `project` (nil: the project the caller
    /// works in); throws when not. Every operation asks this first, and the API's router asks it for
    /// the permission each route declares, so that a refusal comes before anything about the input.
    /// The store's owner may do everything; a caller without credentials only what the server's
    /// options allow them (`unauthorized` otherwise); a key or a user what their role in the project
    /// allows (`forbidden` otherwise), a server admin everything. A project that does not exist is
    /// `notFound` for those who could work in any.
    ///
    /// What concerns the whole server (users, projects) needs its permission in the `default`
    /// project: the default project's admins are the server's admins.
    public func authorize(_ caller: Caller, _ permission: Permission, in project: String? = nil) throws {
        let project = project ?? caller.project
        let role: Role?
        let who: String
        switch caller.identity {
        case .storeOwner: return try requireProject(project)
        case .anonymous:
            guard options.anonymousAccess else {
                throw BatonError(
                    .unauthorized, "this server requires credentials: log in to the UI, or send an API key as Authorization: Bearer baton_…")
            }
            return try requireProject(project)
        case .apiKey(let name, let keyProject, let keyRole):
            role = keyProject == project ? keyRole : nil
            who = "API key '\(name)'"
        case .user(let name, let admin, let roles):
            if admin { return try requireProject(project) }
            role = roles[project]
            who = "user '\(name)'"
        }
        guard let role else {
            throw BatonError(.forbidden, "\(who) has no role in project '\(project)': it may not \(permission.verb) there")
        }
        guard permission <= role.permission else {
            throw BatonError(
                .forbidden,
                "\(who) is \(role.rawValue) in project '\(project)': it may not \(permission.verb) "
                    + "(that needs the role \(Role.allCases.first { $0.permission >= permission }?.rawValue ?? "admin") or above)")
        }
    }

    /// Refuses a project that does not exist, naming those that do.
    func requireProject(_ name: String) throws {
        let names = try store.projectNames()
        guard names.contains(name) else {
            throw BatonError(
                .notFound,
                "no project '\(name)'; projects: \(names.joined(separator: ", ")) (`baton project create NAME` makes one)")
        }
    }
}
