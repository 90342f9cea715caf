import BatonCore
import BatonStore
import Foundation

/// How the application layer behaves on this host.
public struct ServiceOptions: Sendable {
    /// The work pool runs queued for workers go to when the request names none.
    public var pool: String
    /// The clock, so tests can move time; the wall clock otherwise.
    public var now: @Sendable () -> Date

    public init(pool: String = DeploymentNames.defaultPool, now: @escaping @Sendable () -> Date = { Date() }) {
        self.pool = pool
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

    public init(store: any Store, home: BatonHome, options: ServiceOptions = ServiceOptions()) {
        self.store = store
        self.home = home
        self.options = options
    }

    /// Whether `caller` may do what needs `permission`; throws `forbidden` when not. Every operation
    /// asks this first. An API key may do what its role allows; until the server requires
    /// credentials, the store's owner and requests without any may do everything.
    public func authorize(_ caller: Caller, _ permission: Permission) throws {
        switch caller.identity {
        // Requests without credentials are let through until the server requires them (issue 12).
        case .storeOwner, .anonymous: return
        case .apiKey(let name, let project, let role):
            guard permission <= role.permission else {
                throw BatonError(
                    .forbidden,
                    "API key '\(name)' is \(role.rawValue) in project '\(project)': it may not \(permission.verb) "
                        + "(that needs the role \(Role.allCases.first { $0.permission >= permission }?.rawValue ?? "admin") or above)")
            }
        }
    }
}
