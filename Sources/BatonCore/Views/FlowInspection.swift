import Foundation

/// Everything `baton flow inspect` prints of a version. The API sends less than the store holds: the
/// fields marked "local" are nil through a server.
public struct FlowInspection: Sendable {
    public var version: VersionView
    public var latest: Int
    /// The tasks of the library: full manifests locally, or the API's summaries.
    public var tasks: [TaskManifest]?
    public var taskSummaries: [TaskSummary]
    /// Local: the flow's manifest (options, result type, where it is declared).
    public var manifest: FlowManifest?
    /// Local: the stored library (path, size, ABI, SDK and Swift versions).
    public var library: LibraryRecord?

    public init(
        version: VersionView, latest: Int, tasks: [TaskManifest]?, taskSummaries: [TaskSummary], manifest: FlowManifest?,
        library: LibraryRecord?
    ) {
        self.version = version
        self.latest = latest
        self.tasks = tasks
        self.taskSummaries = taskSummaries
        self.manifest = manifest
        self.library = library
    }
}
