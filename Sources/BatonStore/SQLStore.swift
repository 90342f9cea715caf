import BatonCore
import Foundation

/// The store's logic, written once over ``SQLConnection``: every query and every write of Baton's
/// records, the same statements on each database. A backend (``SQLiteStore``, ``PostgresStore``)
/// supplies its connection, its transactions, its wake-ups and what only it can do (reclaiming disk
/// space, its size); the rest is here and in the `SQLStore+…` files.
///
/// `@unchecked Sendable`: a backend uses its connection only under its own lock.
public class SQLStore: Store, @unchecked Sendable {
    /// The backend's name.
    public let kind: String
    /// Where the store lives: a file path, or a server's address without its password.
    public let location: String
    /// Results longer than this many bytes are kept in files under `resultsPath`.
    public let resultFileThreshold: Int
    /// Where large results are kept.
    public let resultsPath: String
    /// Where the working directories of runs executed by workers and servers are.
    public let runsPath: String

    /// A project's id by name, in SQL, bound to the name: every table that belongs to a project
    /// keeps its id, and every query of a project's things is narrowed by it.
    static let projectIDSQL = "(SELECT id FROM projects WHERE name = ?)"

    init(kind: String, location: String, resultFileThreshold: Int, resultsPath: String, runsPath: String) {
        self.kind = kind
        self.location = location
        self.resultFileThreshold = resultFileThreshold
        self.resultsPath = resultsPath
        self.runsPath = runsPath
    }

    // MARK: What each backend supplies

    /// Runs `body` with the connection, serialised, with the database's errors turned into Baton's.
    func withConnection<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        fatalError("\(type(of: self)) must supply withConnection")
    }

    /// Runs `body` in a write transaction. Writers take their turn one at a time, whichever process
    /// they are in, so that what a transaction read still holds when it writes.
    func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        fatalError("\(type(of: self)) must supply write")
    }

    /// Wakes every process watching this store for `topic`.
    public func ring(_ topic: String) {}

    /// Starts watching this store's topics.
    public func doorbell() throws -> any StoreDoorbell {
        fatalError("\(type(of: self)) must supply doorbell")
    }

    /// Starts watching this store's topics and every committed write to it, by any process (the topic
    /// `changes`): the live-events feed's wake-up.
    public func changeDoorbell() throws -> any StoreDoorbell {
        fatalError("\(type(of: self)) must supply changeDoorbell")
    }

    /// The lease `name`, held by one process of the store at a time.
    public func lease(_ name: String) throws -> any Lease {
        fatalError("\(type(of: self)) must supply lease")
    }

    /// How many bytes the store takes, for `/metrics`.
    func sizeInBytes() throws -> Int64 { 0 }

    /// How many bytes the store's data takes once what is pending is settled, for prune reports.
    func settledSizeInBytes() throws -> Int64 { try sizeInBytes() }

    /// Called after each batch a prune removed: lets the backend keep its logs short.
    func prunedBatch() {}

    /// Gives the space freed by a prune back, as the backend can.
    func reclaimSpace(convert: Bool) throws -> Bool { false }

    /// Whether registrations keep the library's bytes in the store, for hosts that do not have its
    /// file (a store that spans hosts does).
    var keepsLibraryContent: Bool { false }

    /// See ``RegistryStore/localLibraryPath(_:)``: on a store of one host, where it was registered.
    public func localLibraryPath(_ library: LibraryRecord) throws -> String { library.path }
}
