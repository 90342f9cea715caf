import BatonCore
import Foundation

extension SQLStore {
    public func projectNames() throws -> [String] {
        try withConnection { db in try db.query("SELECT name FROM projects ORDER BY name") { $0.text(0) } }
    }

    public func insertProject(_ name: String, at: Date) throws -> Bool {
        try write { db in
            try db.run("INSERT INTO projects (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", [.text(name), at.sqlValue])
            return db.changes > 0
        }
    }

    public func deleteProject(_ name: String) throws -> [String] {
        try write { db in
            let id = try Self.projectID(name, db)
            let flows = try db.query("SELECT name FROM flows WHERE project_id = ? ORDER BY name", [.int(id)]) { $0.text(0) }
            guard flows.isEmpty else { return flows }
            try db.run("DELETE FROM projects WHERE id = ?", [.int(id)])
            return []
        }
    }

    static let userColumns = "id, name, is_admin, password_hash, created_at, disabled_at FROM users"

    static func user(_ row: SQLRow) -> UserRecord {
        UserRecord(
            id: row.int(0), name: row.text(1), isAdmin: row.int(2) != 0, passwordHash: row.optionalText(3),
            createdAt: Date(sql: row.double(4)), disabledAt: row.optionalDouble(5).map(Date.init(sql:)))
    }

    public func insertUser(_ new: NewUser) throws -> UserRecord? {
        try write { db in
            guard try db.scalar("SELECT count(*) FROM users WHERE name = ?", [.text(new.name)]) ?? 0 == 0 else { return nil }
            let id = try db.scalar(
                "INSERT INTO users (name, is_admin, password_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id",
                [.text(new.name), .int(new.isAdmin ? 1 : 0), new.passwordHash.sqlValue, new.now.sqlValue])
            return try db.query("SELECT \(Self.userColumns) WHERE id = ?", [id.map(SQLValue.int) ?? .null], row: Self.user).first
        }
    }

    public func userRecord(named name: String) throws -> UserRecord? {
        try withConnection { db in try db.query("SELECT \(Self.userColumns) WHERE name = ?", [.text(name)], row: Self.user).first }
    }

    public func users() throws -> [UserRecord] {
        try withConnection { db in try db.query("SELECT \(Self.userColumns) ORDER BY name", row: Self.user) }
    }

    public func setPasswordHash(user: String, _ hash: String?) throws -> Bool {
        try write { db in
            try db.run("UPDATE users SET password_hash = ? WHERE name = ?", [hash.sqlValue, .text(user)])
            return db.changes > 0
        }
    }

    public func setDisabled(user: String, at: Date?) throws -> Bool {
        try write { db in
            try db.run("UPDATE users SET disabled_at = ? WHERE name = ?", [at.map(\.sqlValue) ?? .null, .text(user)])
            return db.changes > 0
        }
    }

    /// The id of a project, or `notFound` naming it.
    static func projectID(_ name: String, _ db: any SQLConnection) throws -> Int64 {
        guard let id = try db.scalar("SELECT id FROM projects WHERE name = ?", [.text(name)]) else {
            throw BatonError(.notFound, "no project '\(name)'")
        }
        return id
    }

    public func setMembership(_ membership: Membership) throws {
        try write { db in
            let project = try Self.projectID(membership.project, db)
            guard let user = try db.scalar("SELECT id FROM users WHERE name = ?", [.text(membership.user)]) else {
                throw BatonError(.notFound, "no user '\(membership.user)'")
            }
            try db.run(
                """
                INSERT INTO memberships (project_id, user_id, role) VALUES (?, ?, ?)
                ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role
                """,
                [.int(project), .int(user), .text(membership.role.rawValue)])
        }
    }

    public func removeMembership(project: String, user: String) throws -> Bool {
        try write { db in
            try db.run(
                """
                DELETE FROM memberships WHERE project_id = (SELECT id FROM projects WHERE name = ?)
                  AND user_id = (SELECT id FROM users WHERE name = ?)
                """,
                [.text(project), .text(user)])
            return db.changes > 0
        }
    }

    public func memberships(project: String?) throws -> [Membership] {
        try withConnection { db in
            try db.query(
                """
                SELECT p.name, u.name, m.role FROM memberships m
                JOIN projects p ON p.id = m.project_id JOIN users u ON u.id = m.user_id
                WHERE CAST(? AS TEXT) IS NULL OR p.name = ? ORDER BY p.name, u.name
                """,
                [project.sqlValue, project.sqlValue]
            ) { row in Membership(project: row.text(0), user: row.text(1), role: Role(rawValue: row.text(2)) ?? .viewer) }
        }
    }

    static let keyColumns = """
        k.id, k.name, k.prefix, k.hash, p.name, k.role, k.created_by, k.created_at, k.last_used_at, k.expires_at, k.revoked_at, u.name
        FROM api_keys k JOIN projects p ON p.id = k.project_id LEFT JOIN users u ON u.id = k.user_id
        """

    static func key(_ row: SQLRow) -> APIKeyRecord {
        APIKeyRecord(
            id: row.int(0), name: row.text(1), prefix: row.text(2), hash: row.text(3), project: row.text(4),
            // A role this build does not know grants the least.
            role: Role(rawValue: row.text(5)) ?? .viewer, user: row.optionalText(11), createdBy: row.optionalText(6), createdAt: Date(sql: row.double(7)),
            lastUsedAt: row.optionalDouble(8).map(Date.init(sql:)), expiresAt: row.optionalDouble(9).map(Date.init(sql:)),
            revokedAt: row.optionalDouble(10).map(Date.init(sql:)))
    }

    public func insertKey(_ new: NewAPIKey) throws -> APIKeyRecord? {
        try write { db in
            let project = try Self.projectID(new.project, db)
            guard try db.scalar("SELECT count(*) FROM api_keys WHERE project_id = ? AND name = ?", [.int(project), .text(new.name)]) ?? 0 == 0
            else { return nil }
            var user: SQLValue = .null
            if let name = new.user {
                guard let id = try db.scalar("SELECT id FROM users WHERE name = ?", [.text(name)]) else {
                    throw BatonError(.notFound, "no user '\(name)' (`baton user ls` lists them)")
                }
                user = .int(id)
            }
            let id = try db.scalar(
                """
                INSERT INTO api_keys (name, prefix, hash, project_id, role, user_id, created_by, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """,
                [
                    .text(new.name), .text(new.prefix), .text(new.hash), .int(project), .text(new.role.rawValue), user, new.createdBy.sqlValue,
                    new.now.sqlValue, new.expiresAt.map(\.sqlValue) ?? .null,
                ])
            return try db.query("SELECT \(Self.keyColumns) WHERE k.id = ?", [id.map(SQLValue.int) ?? .null], row: Self.key).first
        }
    }

    public func keyRecord(prefix: String) throws -> APIKeyRecord? {
        try withConnection { db in try db.query("SELECT \(Self.keyColumns) WHERE k.prefix = ?", [.text(prefix)], row: Self.key).first }
    }

    public func keys(project: String?) throws -> [APIKeyRecord] {
        try withConnection { db in
            try db.query(
                "SELECT \(Self.keyColumns) WHERE CAST(? AS TEXT) IS NULL OR p.name = ? ORDER BY k.created_at DESC, k.id DESC",
                [project.sqlValue, project.sqlValue], row: Self.key)
        }
    }

    public func revokeKey(id: Int64, at: Date) throws -> Bool {
        try write { db in
            try db.run("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [at.sqlValue, .int(id)])
            return db.changes > 0
        }
    }

    public func touchKey(id: Int64, at: Date) throws {
        try write { db in
            try db.run(
                "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                [at.sqlValue, .int(id), at.addingTimeInterval(-60).sqlValue])
        }
    }

    public func roles(user: String) throws -> [String: Role] {
        try withConnection { db in
            let rows = try db.query(
                """
                SELECT p.name, m.role FROM memberships m
                JOIN projects p ON p.id = m.project_id JOIN users u ON u.id = m.user_id WHERE u.name = ?
                """,
                [.text(user)]
            ) { row in (row.text(0), Role(rawValue: row.text(1)) ?? .viewer) }
            return Dictionary(rows, uniquingKeysWith: { first, _ in first })
        }
    }

    public func insertSession(_ new: NewSession) throws -> SessionRecord? {
        try write { db in
            guard let user = try db.scalar("SELECT id FROM users WHERE name = ?", [.text(new.user)]) else { return nil }
            let id = try db.scalar(
                "INSERT INTO sessions (token_hash, kind, user_id, created_at, expires_at, address) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                [.text(new.tokenHash), .text(new.kind.rawValue), .int(user), new.now.sqlValue, new.expiresAt.sqlValue, new.address.sqlValue])
            return try db.query("SELECT \(Self.sessionColumns) WHERE s.id = ?", [id.map(SQLValue.int) ?? .null], row: Self.session).first
        }
    }

    public func sessionRecord(tokenHash: String) throws -> SessionRecord? {
        try withConnection { db in
            try db.query("SELECT \(Self.sessionColumns) WHERE s.token_hash = ?", [.text(tokenHash)], row: Self.session).first
        }
    }

    public func endSession(id: Int64, at: Date) throws -> Bool {
        try write { db in
            try db.run("UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL", [at.sqlValue, .int(id)])
            return db.changes > 0
        }
    }

    static let sessionColumns = """
        s.id, s.kind, s.created_at, s.expires_at, s.ended_at, s.address,
        u.id, u.name, u.is_admin, u.password_hash, u.created_at, u.disabled_at
        FROM sessions s JOIN users u ON u.id = s.user_id
        """

    static func session(_ row: SQLRow) -> SessionRecord {
        let user = UserRecord(
            id: row.int(6), name: row.text(7), isAdmin: row.int(8) != 0, passwordHash: row.optionalText(9),
            createdAt: Date(sql: row.double(10)), disabledAt: row.optionalDouble(11).map(Date.init(sql:)))
        // A kind this build does not know is a link: it lets in at most once.
        return SessionRecord(
            id: row.int(0), kind: SessionRecord.Kind(rawValue: row.text(1)) ?? .link, user: user, createdAt: Date(sql: row.double(2)),
            expiresAt: Date(sql: row.double(3)), endedAt: row.optionalDouble(4).map(Date.init(sql:)), address: row.optionalText(5))
    }
}
