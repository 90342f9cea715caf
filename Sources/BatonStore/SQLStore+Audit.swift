import BatonCore
import Foundation

extension SQLStore {
    @discardableResult
    public func appendAudit(_ entry: AuditEntry) throws -> AuditEntry {
        try write { db in
            let id = try db.scalar(
                "INSERT INTO audit (at, actor, project, action, target, address, result) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [
                    entry.at.sqlValue, entry.actor.sqlValue, entry.project.sqlValue, .text(entry.action), entry.target.sqlValue,
                    entry.address.sqlValue, .text(entry.result),
                ])
            var stored = entry
            stored.id = id ?? 0
            return stored
        }
    }

    public func auditEntries(_ query: AuditQuery) throws -> [AuditEntry] {
        try withConnection { db in
            try db.query(
                """
                SELECT id, at, actor, project, action, target, address, result FROM audit
                WHERE (CAST(? AS TEXT) IS NULL OR project = ?) AND (CAST(? AS TEXT) IS NULL OR actor = ?) AND (CAST(? AS TEXT) IS NULL OR at >= ?)
                ORDER BY id DESC LIMIT ?
                """,
                [
                    query.project.sqlValue, query.project.sqlValue, query.actor.sqlValue, query.actor.sqlValue,
                    query.since.map(\.sqlValue) ?? .null, query.since.map(\.sqlValue) ?? .null, .int(Int64(query.limit)),
                ]
            ) { row in
                AuditEntry(
                    id: row.int(0), at: Date(sql: row.double(1)), actor: row.optionalText(2), project: row.optionalText(3), action: row.text(4),
                    target: row.optionalText(5), address: row.optionalText(6), result: row.text(7))
            }
        }
    }
}
