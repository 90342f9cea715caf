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
    /// The versions of a flow, oldest first; throws `notFound` for an unknown flow.
    func versions(of flow: String) throws -> [VersionRecord]
    /// A version of a flow (`nil`: the latest); throws `notFound` naming what exists.
    func version(of flow: String, number: Int?) throws -> VersionRecord
    /// A registered library.
    func library(hash: String) throws -> LibraryRecord?
    /// The version of each flow that a library registered.
    func flowVersions(libraryHash: String) throws -> [String: Int]
    /// The next scheduled run of each flow that has one.
    func nextScheduledRuns() throws -> [String: Date]
}
