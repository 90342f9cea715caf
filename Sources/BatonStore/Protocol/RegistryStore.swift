import BatonCore
import Foundation

/// Libraries, flows and their versions.
public protocol RegistryStore: AnyObject, Sendable {
    /// Records a library and a version of each of its flows, in one transaction. A flow whose
    /// library content is already registered keeps its version (`created` is false). Version numbers
    /// per flow are consecutive, also when registrations race.
    func register(_ registration: LibraryRegistration) throws -> [RegisteredVersion]

    /// Every flow with its latest version and last run, by name.
    func flows() throws -> [FlowSummary]
    /// The names of the registered flows, sorted.
    func flowNames() throws -> [String]
    /// The versions of a flow, oldest first; none for an unknown flow. (`versions(of:)` refuses one.)
    func versionRecords(of flow: String) throws -> [VersionRecord]
    /// A version of a flow (`nil`: the latest), or nil. (`version(of:number:)` says what exists.)
    func versionRecord(of flow: String, number: Int?) throws -> VersionRecord?
    /// A registered library.
    func library(hash: String) throws -> LibraryRecord?
    /// The version of each flow that a library registered.
    func flowVersions(libraryHash: String) throws -> [String: Int]
    /// The next scheduled run of each flow that has one.
    func nextScheduledRuns() throws -> [String: Date]
}
