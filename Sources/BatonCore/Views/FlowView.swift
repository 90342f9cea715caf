import Foundation

/// A flow as the API lists it: its summary, its next scheduled run, and (on its own page) its versions.
public struct FlowView: Encodable, Sendable {
    public var name: String
    public var description: String?
    public var latestVersion: Int
    public var versionCount: Int
    public var latestRegisteredAt: Date
    public var lastRunState: String?
    public var lastRunAt: Date?
    public var nextScheduledRun: Date?
    public var versions: [VersionDetail]?

    public init(_ f: FlowSummary, next: Date?) {
        name = f.name
        description = f.description
        latestVersion = f.latestVersion
        versionCount = f.versionCount
        latestRegisteredAt = Timestamps.wholeMilliseconds(f.latestRegisteredAt)
        lastRunState = f.lastRunState?.rawValue
        lastRunAt = Timestamps.wholeMilliseconds(f.lastRunAt)
        nextScheduledRun = Timestamps.wholeMilliseconds(next)
    }

    /// The summary `baton flow ls` prints, with the view's dates.
    public var summary: FlowSummary {
        FlowSummary(
            name: name, description: description, latestVersion: latestVersion, versionCount: versionCount,
            latestRegisteredAt: latestRegisteredAt, lastRunState: lastRunState.flatMap(StateType.init(rawValue:)), lastRunAt: lastRunAt)
    }
}

/// A version with the tasks of its library; for one version also the flow's manifest and the stored
/// library (its facts and every task's options). Encoded flat: the version's fields, then these.
public struct VersionDetail: Encodable, Sendable {
    public var version: VersionView
    public var tasks: [TaskSummary]
    public var manifest: FlowManifest?
    public var library: LibraryRecord?

    public init(version: VersionView, tasks: [TaskSummary], manifest: FlowManifest? = nil, library: LibraryRecord? = nil) {
        self.version = version
        self.tasks = tasks
        self.manifest = manifest
        self.library = library
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        try version.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(tasks, forKey: Key("tasks"))
        try container.encodeIfPresent(manifest, forKey: Key("manifest"))
        try container.encodeIfPresent(library, forKey: Key("libraryRecord"))
    }
}
