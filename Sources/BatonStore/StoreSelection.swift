import BatonCore
import Foundation

/// Which store Baton keeps its records in: the one place that decides, for the CLI, the server, the
/// workers and the bench alike.
///
/// The PostgreSQL database named by `--database URL` or `BATON_DATABASE_URL` when one is, else the
/// embedded default, the SQLite file in `BATON_HOME`. What stays on this host (libraries, run
/// folders, lock files) is in `BATON_HOME` either way.
public enum StoreSelection {
    /// The environment variable that names the database.
    public static let variable = "BATON_DATABASE_URL"

    /// The database URL in `environment`, if any (an empty value is none).
    public static func databaseURL(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        environment[variable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Opens (creating and migrating as needed) the store at `databaseURL`, or SQLite's in `home`.
    public static func open(home: BatonHome, databaseURL: String?) throws -> SQLStore {
        guard let databaseURL else { return try SQLiteStore(home: home) }
        try home.prepare()
        return try PostgresStore(url: databaseURL, home: home)
    }
}
