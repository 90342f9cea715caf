import BatonCore
import BatonStore
import Foundation

/// What every command has: where Baton's state lives, the store, and the terminal.
final class CommandContext {
    let home: BatonHome
    let out = Terminal.standardOutput
    let err = Terminal.standardError
    private var openedStore: SQLiteStore?

    init(home: BatonHome) { self.home = home }

    /// The store, opened (and created) on first use.
    func store() throws -> SQLiteStore {
        if let openedStore { return openedStore }
        let store = try SQLiteStore(home: home)
        openedStore = store
        return store
    }
}
