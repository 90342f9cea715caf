import CPostgres
import Foundation

/// An error from PostgreSQL: its SQLSTATE code, its message and the statement that failed.
struct PostgresError: Error, CustomStringConvertible {
    /// The five-character SQLSTATE ("" when the connection itself failed).
    let state: String
    let message: String
    let sql: String?

    /// The connection is gone or could not be made (SQLSTATE class 08, or no state at all).
    var isConnectionFailure: Bool { state.isEmpty || state.hasPrefix("08") || state.hasPrefix("57P") }
    /// The server ran out of disk space (class 53: insufficient resources).
    var isOutOfSpace: Bool { state == "53100" }
    var description: String { message + (sql.map { " (in: \($0.prefix(80)))" } ?? "") }
}

/// One connection to a PostgreSQL server through libpq: the only type that calls libpq for the store.
/// Statements are written with SQLite's `?` placeholders, numbered here as `$1, $2, …`, prepared
/// once per connection and sent with their parameters as text, whose types the server infers from
/// where they stand. Not thread-safe: its owner serialises access.
final class PostgresConnection: SQLConnection {
    var dialect: SQLDialect { .postgres }
    private var handle: OpaquePointer
    /// Prepared statements by their text and their parameters' types: their names on the server.
    private var statements: [String: String] = [:]
    private(set) var changes = 0
    /// Whether a transaction is open: a statement that loses the connection inside one is not sent
    /// again (the transaction is gone with the connection), one outside is (see `reconnecting`).
    private var inTransaction = false
    /// Where it connects, for messages: the URL without its password.
    let location: String
    private let url: String

    init(url: String) throws {
        self.url = url
        location = PostgresConnection.redacted(url)
        guard let handle = PQconnectdb(url) else {
            throw PostgresError(state: "", message: "libpq could not allocate a connection", sql: nil)
        }
        self.handle = handle
        guard PQstatus(handle) == CONNECTION_OK else {
            // Every property is set: the deinit finishes the handle.
            throw PostgresError(state: "", message: Self.trimmed(PQerrorMessage(handle)), sql: nil)
        }
        try configure()
    }

    deinit { PQfinish(handle) }

    /// Notices (such as "relation already exists, skipping") are not Baton's to print.
    private func configure() throws {
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        try execute("SET client_min_messages = warning; SET TIME ZONE 'UTC'")
    }

    /// The socket the connection reads from: readable when the server sent something (a notification).
    var socket: Int32 { PQsocket(handle) }

    /// What cancels the statement this connection is running, from another thread (`PQcancel`); the
    /// caller frees it with `PQfreeCancel`.
    func canceller() -> OpaquePointer? { PQgetCancel(handle) }

    /// Waits up to `milliseconds` for the server to send something, and says whether the connection
    /// is still up (a server that ended the session makes the socket readable, at its end).
    func isAlive(waitingMilliseconds milliseconds: Int32) -> Bool {
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, milliseconds) > 0 && PQconsumeInput(handle) == 0 { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Whether the connection is up, as far as libpq last saw.
    var isConnected: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Checks the connection before a statement: one lost (the server restarted, the network went
    /// away) is made again once, and its prepared statements with it.
    func ensureConnected() throws {
        guard PQstatus(handle) != CONNECTION_OK else { return }
        PQreset(handle)
        statements.removeAll()
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(state: "", message: Self.trimmed(PQerrorMessage(handle)), sql: nil)
        }
        try configure()
    }

    /// Runs `body`, and once more on a new connection when the connection was lost outside a
    /// transaction: the server restarted or ended the session, and the statement never ran. (Outside
    /// a transaction the store only reads, begins a transaction or notifies, so sending again is
    /// safe.)
    private func reconnecting<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError where error.isConnectionFailure && !inTransaction && PQstatus(handle) != CONNECTION_OK {
            try ensureConnected()
            return try body()
        }
    }

    func execute(_ sql: String) throws {
        try reconnecting {
            try ensureConnected()
            let result = PQexec(handle, sql)
            defer { PQclear(result) }
            try check(result, sql)
            changes = Self.affectedRows(result)
        }
    }

    func query<T>(_ sql: String, _ parameters: [SQLValue], row: (SQLRow) throws -> T) throws -> [T] {
        try reconnecting { try send(sql, parameters, row: row) }
    }

    private func send<T>(_ sql: String, _ parameters: [SQLValue], row: (SQLRow) throws -> T) throws -> [T] {
        try ensureConnected()
        let name = try prepared(sql, parameters)
        let texts = parameters.map(Self.text)
        var pointers = texts.map { $0.flatMap { strdup($0) } }
        defer { for pointer in pointers { free(pointer) } }
        let result = pointers.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buffer.count, 1)) { values in
                PQexecPrepared(handle, name, Int32(parameters.count), parameters.isEmpty ? nil : values, nil, nil, 0)
            }
        }
        defer { PQclear(result) }
        try check(result, sql)
        changes = Self.affectedRows(result)
        let count = PQntuples(result)
        var rows: [T] = []
        rows.reserveCapacity(Int(count))
        guard let result else { return rows }
        for index in 0..<count { rows.append(try row(SQLRow(source: .postgres(result, index)))) }
        return rows
    }

    func run(_ sql: StaticString, _ parameters: [SQLValue]) throws {
        _ = try query(sql.description, parameters) { _ in () }
    }

    /// Runs `body` in a transaction. Every write transaction of a store first takes the store's
    /// write lock (a transaction-scoped advisory lock), so writers queue as they do on SQLite and
    /// what a transaction read still holds when it writes.
    ///
    /// A commit whose answer is lost with the connection (the server died at that moment) is not
    /// taken for failed: its transaction id is asked about once the server is back, so that a caller
    /// who tries again never writes the same events twice.
    func transaction<T>(lock key: Int64, _ body: () throws -> T, committing finish: String = "COMMIT") throws -> T {
        try execute("BEGIN; SELECT pg_advisory_xact_lock(\(key))")
        inTransaction = true
        defer { inTransaction = false }
        let result: T
        let transactionID: String
        do {
            transactionID = try query("SELECT txid_current()", []) { $0.text(0) }.first ?? ""
            result = try body()
        } catch {
            if PQstatus(handle) == CONNECTION_OK { try? execute("ROLLBACK") }
            throw error
        }
        do {
            try execute(finish)
        } catch let error as PostgresError where error.isConnectionFailure {
            inTransaction = false
            let status = try? query("SELECT txid_status(?)", [.text(transactionID)]) { $0.text(0) }.first
            guard status == "committed" else { throw error }
        } catch {
            if PQstatus(handle) == CONNECTION_OK { try? execute("ROLLBACK") }
            throw error
        }
        return result
    }

    /// The notifications received since the last call, as (channel, payload).
    func notifications() -> [(channel: String, payload: String)] {
        PQconsumeInput(handle)
        var received: [(String, String)] = []
        while let notification = PQnotifies(handle) {
            received.append((String(cString: notification.pointee.relname), String(cString: notification.pointee.extra)))
            PQfreemem(notification)
        }
        return received
    }

    // MARK: Internals

    /// The statement prepared for `sql` with parameters of the types of `parameters`: whole numbers
    /// are `bigint`, fractions `double precision`, and text and NULL are left for the server to infer
    /// from where they stand (so text reads as a column's type, and NULL as anything).
    private func prepared(_ sql: String, _ parameters: [SQLValue]) throws -> String {
        let types: [Oid] = parameters.map {
            switch $0 {
            case .int: 20
            case .double: 701
            case .text, .null: 0
            }
        }
        let key = types.contains(where: { $0 != 0 }) ? sql + "\u{0}" + types.map(String.init).joined(separator: ",") : sql
        if let name = statements[key] { return name }
        let name = "baton_\(statements.count)"
        let result = types.withUnsafeBufferPointer { PQprepare(handle, name, Self.numberingPlaceholders(sql), Int32(types.count), $0.baseAddress) }
        defer { PQclear(result) }
        try check(result, sql)
        statements[key] = name
        return name
    }

    private func check(_ result: OpaquePointer?, _ sql: String) throws {
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        guard status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK else { return }
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) } ?? ""
        var message = ""
        if let result, let text = PQresultErrorMessage(result) { message = Self.trimmed(String(cString: text)) }
        if message.isEmpty { message = Self.trimmed(PQerrorMessage(handle)) }
        throw PostgresError(state: state, message: message, sql: sql)
    }

    private static func affectedRows(_ result: OpaquePointer?) -> Int {
        guard let result, let text = PQcmdTuples(result) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    /// A parameter as the text PostgreSQL parses for its declared type (see `prepared`).
    private static func text(_ value: SQLValue) -> String? {
        switch value {
        case .null: return nil
        case .int(let v): return String(v)
        case .double(let v): return "\(v)"
        case .text(let v): return v
        }
    }

    /// `?` placeholders outside quotes become `$1, $2, …`.
    static func numberingPlaceholders(_ sql: String) -> String {
        var output = ""
        output.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                output.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                output.append(character)
            } else if character == "?" {
                number += 1
                output += "$\(number)"
            } else {
                output.append(character)
            }
        }
        return output
    }

    private static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        message.map { String(cString: $0) }.map(trimmed) ?? ""
    }

    private static func trimmed(_ message: String) -> String {
        message.split(separator: "\n").first.map { String($0).replacingOccurrences(of: "ERROR:  ", with: "") }?
            .trimmingCharacters(in: .whitespaces) ?? ""
    }

    /// A connection URL without its password, to be shown.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "****"
        return components.string ?? url
    }
}
