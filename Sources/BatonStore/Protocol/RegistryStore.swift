import BatonCore
import Foundation

/// Libraries, flows and their versions.
public protocol RegistryStore: AnyObject, Sendable {
    /// Records a library and a version of each of its flows in its project, in one transaction. A flow whose
    /// library content is already registered keeps its version (`created` is false). Version numbers
    /// per flow are consecutive, also when registrations race.
    func register(_ registration: LibraryRegistration) throws -> [RegisteredVersion]

    /// Every flow of a project with its latest version and last run, by name.
    func flows(project: String) throws -> [FlowSummary]
    /// The names of the registered flows, sorted.
    func flowNames(project: String) throws -> [String]
    /// The versions of a flow, oldest first; none for an unknown flow. (`versions(of:)` refuses one.)
    func versionRecords(of flow: String, project: String) throws -> [VersionRecord]
    /// A version of a flow (`nil`: the latest), or nil. (`version(of:number:)` says what exists.)
    func versionRecord(of flow: String, number: Int?, project: String) throws -> VersionRecord?
    /// A registered library.
    func library(hash: String) throws -> LibraryRecord?
    /// The file of a registered library on this host: where it was registered, or, for a store that
    /// spans hosts, written into this host's library store from the bytes the store keeps (checked
    /// against its hash). Throws `notFound` when neither is there.
    func localLibraryPath(_ library: LibraryRecord) throws -> String
    /// The version of each flow of a project that a library registered.
    func flowVersions(libraryHash: String, project: String) throws -> [String: Int]
    /// The next scheduled run of each flow of a project that has one.
    func nextScheduledRuns(project: String) throws -> [String: Date]
}
