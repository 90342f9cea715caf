import BatonCore
import BatonServices
import BatonStore
import Foundation

/// What every command has: where Baton's state lives, the server to speak to when one is named,
/// Baton itself through a backend, and the terminal.
final class CommandContext {
    let home: BatonHome
    /// The server's URL and where it was named (`--api`, `BATON_API_URL`); nil for the local store.
    let api: (url: String, origin: String)?
    /// The CA certificates an https:// server's certificate must be signed by, and where the file was
    /// named (`--ca-file`, `BATON_CA_FILE`); nil for the system's.
    let caFile: (path: String, origin: String)?
    /// The project commands work in (`--project`, `BATON_PROJECT`); nil: `default` here, and on a
    /// server an API key's own project.
    let project: String?
    /// The PostgreSQL database records are kept in and where it was named (`--database`,
    /// `BATON_DATABASE_URL`); nil for the SQLite store in `home`.
    let database: (url: String, origin: String)?
    let out = Terminal.standardOutput
    let err = Terminal.standardError
    private var openedServices: Services?
    private var openedBackend: (any Backend)?

    init(
        home: BatonHome, api: (url: String, origin: String)? = nil, caFile: (path: String, origin: String)? = nil, project: String? = nil,
        database: (url: String, origin: String)? = nil
    ) {
        self.home = home
        self.api = api
        self.caFile = caFile
        self.project = project
        self.database = database
    }

    /// This machine's user working on its store, in the project commands work in.
    var storeOwner: Caller { Caller.storeOwner().inProject(project ?? ProjectNames.default) }

    /// The application layer over the store, opened (and created) on first use: the one place a
    /// command opens a store (``StoreSelection``: the database named by `--database`, else SQLite at
    /// `BATON_HOME`). Commands that can speak to a server use `backend()` instead.
    func services() throws -> Services {
        if let openedServices { return openedServices }
        let services = Services(store: try StoreSelection.open(home: home, databaseURL: database?.url), home: home)
        openedServices = services
        return services
    }

    /// The SQLite store file, for the commands that work on the file itself (`store check`,
    /// `store backup`); a clear refusal when records are kept in PostgreSQL.
    func sqliteStorePath(for command: String) throws -> String {
        if let database {
            throw BatonError(
                .invalidInput,
                "`\(command)` works on the SQLite store file, and this store is the PostgreSQL database named by \(database.origin); "
                    + "use PostgreSQL's own tools (pg_dump, pg_amcheck), or unset \(StoreSelection.variable) and leave out --database")
        }
        return home.databasePath
    }

    /// Baton as commands see it: the server at the API URL when one is set, else the local store.
    func backend() throws -> any Backend {
        if let openedBackend { return openedBackend }
        let backend: any Backend =
            if let api {
                try RemoteBackend(url: api.url, origin: api.origin, caFile: caFile, project: project)
            } else {
                LocalBackend(services: try services(), caller: storeOwner)
            }
        openedBackend = backend
        return backend
    }
}
