import BatonCore
import BatonRunner
import BatonServices
import BatonStore
import Foundation

/// The store on this machine: what every command did before there was a server to speak to. Runs
/// execute in a runner child of this process.
final class LocalBackend: Backend {
    let home: BatonHome
    let store: SQLiteStore
    /// The application layer over the store, and who asks through it: this machine's user.
    let services: Services
    let caller = Caller.storeOwner()

    init(home: BatonHome, store: SQLiteStore) {
        self.home = home
        self.store = store
        services = Services(store: store, home: home)
    }

    /// The value as the HTTP API would send it: through the same JSON coding, so that dates keep
    /// whole milliseconds here too and both backends print the same bytes for the same data.
    static func asSent<T: Codable>(_ value: T) throws -> T {
        try BatonCoding.decoder().decode(T.self, from: BatonCoding.encoder().encode(value))
    }

    // MARK: Flows and versions

    func register(path: String, label: String?, source: String?, timeout: Double, progress: @escaping @Sendable (String) -> Void)
        throws -> [RegistrationReport]
    {
        try Registrar(home: home, store: store).register(path: path, label: label, source: source, timeout: timeout, progress: progress)
            .map { RegistrationReport(library: $0.library, versions: $0.versions, buildSeconds: $0.buildSeconds, totalSeconds: $0.totalSeconds) }
    }

    func flows() throws -> [FlowSummary] { try Self.asSent(store.flows()) }

    func versions(of flow: String) throws -> [VersionView] { try Self.asSent(store.versions(of: flow).map(VersionView.init)) }

    func version(of flow: String, number: Int?) throws -> VersionView {
        try Self.asSent(VersionView(store.version(of: flow, number: number)))
    }

    func inspect(flow: String, number: Int?) throws -> FlowInspection {
        let version = try store.version(of: flow, number: number)
        let library = try store.library(hash: version.libraryHash)
        let tasks = library?.manifest.tasks ?? []
        return FlowInspection(
            version: try Self.asSent(VersionView(version)), latest: try store.version(of: flow, number: nil).number, tasks: tasks,
            taskSummaries: tasks.map(TaskSummary.init), manifest: version.manifest, library: library)
    }

    // MARK: Workers, limits, artifacts

    func workers() throws -> [WorkerView] { try Self.asSent(store.workers().map { WorkerView($0) }) }

    func limits() throws -> [ConcurrencyLimit] { try store.limits() }

    func setLimit(tag: String, slots: Int) throws { try store.setLimit(tag: tag, slots: slots) }

    func removeLimit(tag: String) throws -> Bool { try store.removeLimit(tag: tag) }

    func clearCache(task: String?) throws -> Int { try store.clearCache(task: task) }

    func artifacts(flowRunID: String?, key: String?, limit: Int) throws -> [ArtifactRecord] {
        try Self.asSent(store.artifacts(flowRunID: flowRunID, key: key, limit: limit))
    }
}
