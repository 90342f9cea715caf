import BatonCore
import Foundation

/// Everything Baton records: libraries, flows and their versions, flow runs, task runs, their state
/// history and logs. SQLite by default (``SQLiteStore``).
///
/// Every method is safe to call from any thread, and from several processes on one store: writes
/// queue on the store's lock instead of failing.
///
/// The requirements come in slices by concern (`Protocol/`); a backend conforms to all of them.
public protocol Store: RegistryStore, RunStore, TaskRunStore, EngineStore, FeedStore, DeploymentStore, WorkerStore, SystemStore, AccessStore, AuditStore, NamedValueStore, AutomationStore, RunRecorder {}

/// What registering one library records.
public struct LibraryRegistration: Sendable {
    public var hash: String
    public var fileName: String
    public var path: String
    public var size: Int
    public var manifest: LibraryManifest
    public var sourcePath: String?
    public var label: String?
    public var registeredBy: String?
    /// The project whose flows get the versions.
    public var project: String
    /// The library's bytes, which a store that spans hosts keeps for the hosts without its file
    /// (nil: the file at `path` is all there is, as on a store of one host).
    public var content: [UInt8]?

    public init(
        hash: String, fileName: String, path: String, size: Int, manifest: LibraryManifest, sourcePath: String?,
        label: String?, registeredBy: String?, project: String = ProjectNames.default, content: [UInt8]? = nil
    ) {
        self.content = content
        self.project = project
        self.hash = hash
        self.fileName = fileName
        self.path = path
        self.size = size
        self.manifest = manifest
        self.sourcePath = sourcePath
        self.label = label
        self.registeredBy = registeredBy
    }
}
