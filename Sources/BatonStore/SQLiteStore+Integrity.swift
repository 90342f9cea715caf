import BatonCore
import Foundation

/// How a store is checked when it is opened, and what happens when it turns out damaged.
///
/// Every open reads the file's 100-byte header (SQLite's magic, page size, format versions, payload
/// fractions, the Baton application id; the schema version is checked by `identify`, through SQLite,
/// which also sees a header still in the WAL) and, after migrating, checks that every
/// table and index of the schema is there. That costs one read of page 1 and of the schema, the same
/// on a store of ten runs or ten million. A full `PRAGMA quick_check` reads every page (seconds on a
/// store of 100,000 runs, measured in the report of issue 9), far too slow for each `baton run ls`;
/// it is `baton store check`'s job. Damage in the middle of the file is found when a page is read
/// (`cell_size_check` makes SQLite check each page it reads) or by `baton store check`; either way
/// the store says so in one line naming `baton store check`, stops using the file, and leaves a note
/// beside it (`baton.db-damaged`) that makes every later process refuse the store too, unchanged,
/// until `baton store check` passes again.
extension SQLiteStore {
    /// The note left beside a store found damaged.
    public static func damageNotePath(for path: String) -> String { path + "-damaged" }

    /// The one error a damaged store gives, whatever found the damage.
    static func damaged(path: String, detail: String) -> BatonError {
        BatonError(
            .store,
            "store '\(path)' is damaged (\(detail)); nothing more is written to it: run `baton store check`, "
                + "then restore a backup (see `baton store backup --help`)")
    }

    /// Notes that the store at `path` is damaged, for every process, and returns the error to throw.
    static func noteDamage(path: String, detail: String) -> BatonError {
        let note = damageNotePath(for: path)
        if !FileManager.default.fileExists(atPath: note) {
            let line = "\(Timestamps.iso(Date())) pid \(getpid()): \(detail)\n"
            FileManager.default.createFile(atPath: note, contents: Data(line.utf8), attributes: [.posixPermissions: 0o600])
        }
        return damaged(path: path, detail: detail)
    }

    /// What the damage note beside `path` says, if there is one.
    static func damageNote(path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: damageNotePath(for: path)) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "noted by an earlier process" : "noted \(text)"
    }

    /// Refuses a store noted as damaged, and a file whose header is not one SQLite writes, before
    /// SQLite reads anything else of it; creates a missing database file private to its owner.
    static func checkHeader(path: String) throws {
        if let note = damageNote(path: path) { throw damaged(path: path, detail: note) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT {
                let created = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, BatonHome.fileMode)
                if created >= 0 { close(created) }
            }
            return
        }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: 100)
        let count = header.withUnsafeMutableBytes { read(fd, $0.baseAddress, 100) }
        guard count != 0 else { return }
        if let problem = headerProblem(header, count: count) {
            if count == 100, header.starts(with: Array("SQLite format 3\0".utf8)) {
                throw noteDamage(path: path, detail: "its header is not valid: \(problem)")
            }
            throw BatonError(.store, "store '\(path)' is not a Baton database (\(problem)); move it away or set BATON_HOME to another directory")
        }
    }

    /// What is wrong with a database header, or nil. See https://www.sqlite.org/fileformat.html.
    static func headerProblem(_ header: [UInt8], count: Int) -> String? {
        guard count == 100, header.starts(with: Array("SQLite format 3\0".utf8)) else { return "it is not a SQLite file" }
        func big(_ offset: Int, _ length: Int) -> Int64 { header[offset..<offset + length].reduce(0) { $0 << 8 | Int64($1) } }
        let pageSize = big(16, 2) == 1 ? 65_536 : big(16, 2)
        if pageSize < 512 || pageSize & (pageSize - 1) != 0 { return "page size \(pageSize)" }
        if !(1...2).contains(header[18]) || !(1...2).contains(header[19]) { return "file format \(header[18]).\(header[19])" }
        if header[21] != 64 || header[22] != 32 || header[23] != 32 { return "payload fractions \(header[21])/\(header[22])/\(header[23])" }
        let application = big(68, 4)
        if application != 0 && application != Schema.applicationID { return "application id \(application) is not Baton's" }
        return nil
    }

    /// Checks that every table and index the migrations created is in the schema.
    static func checkSchema(_ connection: SQLiteConnection, path: String) throws {
        let present = Set(try connection.query("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')") { $0.text(0) })
        let missing = Schema.objectNames.filter { !present.contains($0) }
        if !missing.isEmpty {
            throw noteDamage(path: path, detail: "its schema lacks \(missing.prefix(5).joined(separator: ", "))")
        }
    }
}

extension Schema {
    /// The tables and indexes the migrations leave, read from their statements in order: each
    /// `CREATE` adds one, each `DROP` removes one (a dropped table its indexes too), each
    /// `ALTER TABLE … RENAME TO` renames one.
    static let objectNames: [String] = {
        // Each object with the table it indexes (nil for a table).
        var objects: [(name: String, table: String?)] = []
        for migration in migrations {
            for statement in migration.components(separatedBy: ";") {
                let words = statement.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "(" }).map(String.init)
                guard words.count > 2 else { continue }
                switch (words[0], words[1]) {
                case ("CREATE", "TABLE"): objects.append((words[2], nil))
                case ("CREATE", "INDEX"): objects.append((words[2], words.count > 4 && words[3] == "ON" ? words[4] : nil))
                case ("DROP", "TABLE"): objects.removeAll { $0.name == words[2] || $0.table == words[2] }
                case ("DROP", "INDEX"): objects.removeAll { $0.name == words[2] }
                case ("ALTER", "TABLE") where words.count > 5 && words[3] == "RENAME" && words[4] == "TO":
                    objects = objects.map { ($0.name == words[2] ? words[5] : $0.name, $0.table == words[2] ? words[5] : $0.table) }
                default: continue
                }
            }
        }
        return objects.map(\.name)
    }()
}
