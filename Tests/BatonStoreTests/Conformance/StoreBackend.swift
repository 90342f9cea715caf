import BatonCore
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// A backend the store conformance suite runs against. Every conformance test takes one as its
/// argument (`@Test(arguments: StoreBackend.all)`): SQLite, and PostgreSQL wherever this machine has
/// it (a throwaway server, ``PostgresServer``), with no test written twice.
struct StoreBackend: Sendable, CustomTestStringConvertible {
    let name: String
    /// A fresh, empty store of this backend.
    let make: @Sendable () throws -> StoreUnderTest

    var testDescription: String { name }

    static var all: [StoreBackend] { [.sqlite] + (PostgresServer.shared == nil ? [] : [.postgres]) }

    /// The embedded default: a SQLite file in a temporary folder.
    static let sqlite = StoreBackend(name: "sqlite") {
        let file = try StoreFile()
        return StoreUnderTest(store: try file.open(), connect: { try file.open() }, keep: file)
    }

    /// A database of its own on the tests' PostgreSQL server; the host's files in a temporary folder.
    static let postgres = StoreBackend(name: "postgresql") {
        guard let server = PostgresServer.shared else { throw BatonError(.store, "no PostgreSQL server for the tests") }
        let url = try server.makeDatabase()
        let home = try StoreFile()
        let open: @Sendable () throws -> any Store = { try PostgresStore(url: url, home: BatonHome(path: home.folder)) }
        return StoreUnderTest(store: try open(), connect: open, keep: home)
    }
}

/// One empty store for one test, and a way to open more connections to it (another process's view,
/// for races). What backs it is removed when the value goes away.
final class StoreUnderTest: @unchecked Sendable {
    // @unchecked: every field is set once in init and only read; `keep` is held only to be released.
    let store: any Store
    let connect: @Sendable () throws -> any Store
    private let keep: AnyObject

    init(store: any Store, connect: @escaping @Sendable () throws -> any Store, keep: AnyObject) {
        self.store = store
        self.connect = connect
        self.keep = keep
    }
}
