import BatonCore
import BatonStore
import Foundation

extension Services {
    /// Flows and their versions.
    public var flows: FlowService { FlowService(services: self) }
}

/// Reading flows and their versions: listings, a flow's page, one version, what two versions differ in.
public struct FlowService: Sendable {
    let services: Services
    var store: any Store { services.store }

    /// Every flow by name, with its latest version, last run and next scheduled run.
    public func flows(_ caller: Caller) throws -> [FlowView] {
        try services.authorize(caller, .read)
        let next = try store.nextScheduledRuns(project: caller.project)
        return try store.flows(project: caller.project).map { FlowView($0, next: next[$0.name]) }
    }

    /// A flow with its versions, newest first.
    public func flow(_ name: String, _ caller: Caller) throws -> FlowView {
        try services.authorize(caller, .read)
        guard let summary = try store.flows(project: caller.project).first(where: { $0.name == name }) else {
            throw BatonError(.notFound, "no flow named '\(name)'; GET /api/flows lists them")
        }
        var view = FlowView(summary, next: try store.nextScheduledRuns(project: caller.project)[name])
        view.versions = try store.versions(of: name, project: caller.project).reversed().map(detail)
        return view
    }

    /// The versions of a flow, oldest first, each with its library's tasks; refuses an unknown flow.
    public func versions(of flow: String, _ caller: Caller) throws -> [VersionDetail] {
        try services.authorize(caller, .read)
        return try store.versions(of: flow, project: caller.project).map(detail)
    }

    /// The versions of a flow, oldest first, as listings show them: without their libraries' tasks,
    /// which take reading each library's whole manifest. Refuses an unknown flow.
    public func versionViews(of flow: String, _ caller: Caller) throws -> [VersionView] {
        try services.authorize(caller, .read)
        return try store.versions(of: flow, project: caller.project).map(VersionView.init)
    }

    /// One version as listings show it, without its library's tasks: what `baton run` reads the
    /// parameters from.
    public func versionView(of flow: String, _ choice: VersionChoice, _ caller: Caller) throws -> VersionView {
        try services.authorize(caller, .read)
        return VersionView(try store.version(of: flow, number: choice.number, project: caller.project))
    }

    /// One version with its library's tasks; with `full`, also the flow's manifest and the stored library.
    public func version(of flow: String, _ choice: VersionChoice, full: Bool = false, _ caller: Caller) throws -> VersionDetail {
        try services.authorize(caller, .read)
        let record = try store.version(of: flow, number: choice.number, project: caller.project)
        guard full else { return try detail(record) }
        let library = try store.library(hash: record.libraryHash)
        return VersionDetail(
            version: VersionView(record), tasks: (library?.manifest.tasks ?? []).map(TaskSummary.init), manifest: record.manifest, library: library)
    }

    /// Everything `baton flow inspect` shows of a version, with the flow's latest version number.
    public func inspect(flow: String, _ choice: VersionChoice, _ caller: Caller) throws -> FlowInspection {
        try services.authorize(caller, .read)
        let version = try store.version(of: flow, number: choice.number, project: caller.project)
        let library = try store.library(hash: version.libraryHash)
        let tasks = library?.manifest.tasks ?? []
        return FlowInspection(
            version: VersionView(version), latest: try store.version(of: flow, number: nil, project: caller.project).number, tasks: tasks,
            taskSummaries: tasks.map(TaskSummary.init), manifest: version.manifest, library: library)
    }

    /// What changed from version `a` to version `b` of a flow.
    public func diff(flow: String, _ a: VersionChoice, _ b: VersionChoice, _ caller: Caller) throws -> VersionDiff {
        try services.authorize(caller, .read)
        return try VersionDiff(VersionView(store.version(of: flow, number: a.number, project: caller.project)), VersionView(store.version(of: flow, number: b.number, project: caller.project)))
    }

    private func detail(_ record: VersionRecord) throws -> VersionDetail {
        let tasks = try store.library(hash: record.libraryHash)?.manifest.tasks ?? []
        return VersionDetail(version: VersionView(record), tasks: tasks.map(TaskSummary.init))
    }
}
