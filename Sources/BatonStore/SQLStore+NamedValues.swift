import BatonCore
import Foundation

extension SQLStore {
    static let namedValueColumns = "v.kind, p.name, v.name, v.value, v.set_by, v.set_at FROM named_values v JOIN projects p ON p.id = v.project_id"

    static func namedValue(_ row: SQLRow) -> NamedValueRecord {
        NamedValueRecord(
            kind: NamedValueKind(rawValue: row.text(0)) ?? .variable, project: row.text(1), name: row.text(2), value: row.text(3),
            setBy: row.optionalText(4), setAt: Date(sql: row.double(5)))
    }

    public func setNamedValue(_ record: NamedValueRecord) throws -> Bool {
        try write { db in
            let project = try Self.projectID(record.project, db)
            let key: [SQLValue] = [.int(project), .text(record.kind.rawValue), .text(record.name)]
            let existed = try db.scalar("SELECT count(*) FROM named_values WHERE project_id = ? AND kind = ? AND name = ?", key) ?? 0 > 0
            try db.run(
                """
                INSERT INTO named_values (project_id, kind, name, value, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (project_id, kind, name) DO UPDATE SET value = excluded.value, set_by = excluded.set_by, set_at = excluded.set_at
                """,
                key + [.text(record.value), record.setBy.sqlValue, record.setAt.sqlValue])
            return existed
        }
    }

    public func namedValue(_ kind: NamedValueKind, name: String, project: String) throws -> NamedValueRecord? {
        try withConnection { db in
            try db.query(
                "SELECT \(Self.namedValueColumns) WHERE p.name = ? AND v.kind = ? AND v.name = ?", [.text(project), .text(kind.rawValue), .text(name)],
                row: Self.namedValue
            ).first
        }
    }

    public func namedValues(_ kind: NamedValueKind, project: String) throws -> [NamedValueRecord] {
        try withConnection { db in
            try db.query(
                "SELECT \(Self.namedValueColumns) WHERE p.name = ? AND v.kind = ? ORDER BY v.name", [.text(project), .text(kind.rawValue)],
                row: Self.namedValue)
        }
    }

    public func removeNamedValue(_ kind: NamedValueKind, name: String, project: String) throws -> Bool {
        try write { db in
            let id = try Self.projectID(project, db)
            try db.run("DELETE FROM named_values WHERE project_id = ? AND kind = ? AND name = ?", [.int(id), .text(kind.rawValue), .text(name)])
            return db.changes > 0
        }
    }
}
