import CPostgres
import CSQLite
import Foundation

/// A value bound to or read from a statement.
enum SQLValue {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
}

/// `rows` groups of `columns` placeholders, `(?, ?), (?, ?)`: the VALUES of a multi-row statement.
func placeholderRows(columns: Int, rows: Int) -> String {
    let group = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
    return Array(repeating: group, count: rows).joined(separator: ", ")
}

/// Which database a connection speaks to: the few places where SQLite's SQL and PostgreSQL's differ
/// ask it, so that every statement of the store is written once.
enum SQLDialect: Sendable {
    case sqlite
    case postgres

    /// `expression` (a number) cut toward zero to an integer: SQLite's CAST truncates, PostgreSQL's
    /// rounds.
    func integerPart(_ expression: String) -> String {
        switch self {
        case .sqlite: "CAST(\(expression) AS INTEGER)"
        case .postgres: "CAST(trunc(\(expression)) AS BIGINT)"
        }
    }
}

/// One connection to the store's database, SQLite's (``SQLiteConnection``) or PostgreSQL's
/// (``PostgresConnection``): the only way the store's logic runs SQL. Statements use `?` for their
/// parameters on both. PostgreSQL types a parameter from where it stands, so a statement never leaves
/// that open: a parameter tested alone is cast (`CAST(? AS TEXT) IS NULL`), and a flag is compared
/// (`CASE WHEN ? = 1`). Not thread-safe: its owner serialises access.
protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs one or more statements that take no parameters.
    func execute(_ sql: String) throws
    /// Runs a statement and returns its rows, each read by `row`.
    func query<T>(_ sql: String, _ parameters: [SQLValue], row: (SQLRow) throws -> T) throws -> [T]
    /// Runs a statement written as a literal, prepared once: for the statements a run executes per task.
    func run(_ sql: StaticString, _ parameters: [SQLValue]) throws
    /// How many rows the last statement changed.
    var changes: Int { get }
}

extension SQLConnection {
    func query<T>(_ sql: String, row: (SQLRow) throws -> T) throws -> [T] { try query(sql, [], row: row) }

    /// Runs a statement that returns no rows.
    func run(_ sql: String, _ parameters: [SQLValue] = []) throws {
        _ = try query(sql, parameters) { _ in () }
    }

    /// The first column of the first row, as an integer.
    func scalar(_ sql: String, _ parameters: [SQLValue] = []) throws -> Int64? {
        try query(sql, parameters) { $0.isNull(0) ? nil : $0.int(0) }.first ?? nil
    }
}

/// A row of a running query; valid only inside the `row` closure that receives it.
struct SQLRow {
    enum Source {
        case sqlite(OpaquePointer)
        /// A result and the row's index in it. Every value comes as text.
        case postgres(OpaquePointer, Int32)
    }

    let source: Source

    func isNull(_ column: Int32) -> Bool {
        switch source {
        case .sqlite(let statement): sqlite3_column_type(statement, column) == SQLITE_NULL
        case .postgres(let result, let row): PQgetisnull(result, row, column) == 1
        }
    }

    func int(_ column: Int32) -> Int64 {
        switch source {
        case .sqlite(let statement):
            return sqlite3_column_int64(statement, column)
        case .postgres(let result, let row):
            guard let value = PQgetvalue(result, row, column) else { return 0 }
            // A boolean reads as SQLite's 1 or 0; a fraction is cut toward zero, as SQLite does.
            switch value.pointee {
            case UInt8(ascii: "t").asCChar: return 1
            case UInt8(ascii: "f").asCChar: return 0
            default:
                var end: UnsafeMutablePointer<CChar>?
                let integer = strtoll(value, &end, 10)
                if let end, end.pointee == UInt8(ascii: ".").asCChar || end.pointee == UInt8(ascii: "e").asCChar {
                    return Int64(strtod(value, nil))
                }
                return integer
            }
        }
    }

    func double(_ column: Int32) -> Double {
        switch source {
        case .sqlite(let statement): sqlite3_column_double(statement, column)
        case .postgres(let result, let row): PQgetvalue(result, row, column).map { strtod($0, nil) } ?? 0
        }
    }

    func text(_ column: Int32) -> String {
        switch source {
        case .sqlite(let statement):
            guard let pointer = sqlite3_column_text(statement, column) else { return "" }
            return String(cString: pointer)
        case .postgres(let result, let row):
            guard let pointer = PQgetvalue(result, row, column) else { return "" }
            return String(cString: pointer)
        }
    }

    /// Column `column` as the value it holds: for SQLite, of its stored type; for PostgreSQL, text.
    func value(_ column: Int32) -> SQLValue {
        if isNull(column) { return .null }
        switch source {
        case .sqlite(let statement):
            switch sqlite3_column_type(statement, column) {
            case SQLITE_INTEGER: return .int(int(column))
            case SQLITE_FLOAT: return .double(double(column))
            default: return .text(text(column))
            }
        case .postgres: return .text(text(column))
        }
    }

    func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }
    func optionalDouble(_ column: Int32) -> Double? { isNull(column) ? nil : double(column) }
    func optionalInt(_ column: Int32) -> Int64? { isNull(column) ? nil : int(column) }
}

extension UInt8 {
    fileprivate var asCChar: CChar { CChar(bitPattern: self) }
}
