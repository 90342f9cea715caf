import BatonCore
import Foundation

extension SQLStore {
    public func register(_ r: LibraryRegistration) throws -> [RegisteredVersion] {
        let manifestText = String(decoding: try BatonCoding.encoder().encode(r.manifest), as: UTF8.self)
        let now = Date()
        defer { ring("deployments") }
        return try write { db in
            try db.run(
                """
                INSERT INTO libraries (hash, file_name, path, size, manifest, registered_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (hash) DO NOTHING
                """,
                [.text(r.hash), .text(r.fileName), .text(r.path), .int(Int64(r.size)), .text(manifestText), now.sqlValue])
            if keepsLibraryContent, let content = r.content {
                try db.run(
                    "INSERT INTO library_files (hash, content) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING",
                    [.text(r.hash), .text(Data(content).base64EncodedString())])
            }
            let projectID = try Self.projectID(r.project, db)
            var results: [RegisteredVersion] = []
            for flow in r.manifest.flows {
                var flowID = try db.scalar("SELECT id FROM flows WHERE project_id = ? AND name = ?", [.int(projectID), .text(flow.name)])
                if flowID == nil {
                    flowID = try db.scalar(
                        "INSERT INTO flows (project_id, name, created_at) VALUES (?, ?, ?) RETURNING id", [.int(projectID), .text(flow.name), now.sqlValue])
                }
                let id = flowID!
                let existing = try db.query(
                    "SELECT number, label FROM versions WHERE flow_id = ? AND library_hash = ?", [.int(id), .text(r.hash)]
                ) { (Int($0.int(0)), $0.optionalText(1)) }.first
                if let (number, label) = existing {
                    results.append(RegisteredVersion(flow: flow.name, version: number, created: false, hash: r.hash, label: label))
                    continue
                }
                let number = Int(try db.scalar("SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE flow_id = ?", [.int(id)]) ?? 1)
                let flowManifest = String(decoding: try BatonCoding.encoder().encode(flow), as: UTF8.self)
                try db.run(
                    """
                    INSERT INTO versions (flow_id, number, library_hash, manifest, description, registered_at,
                                          registered_by, source_path, label)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .int(id), .int(Int64(number)), .text(r.hash), .text(flowManifest), flow.description.sqlValue,
                        now.sqlValue, r.registeredBy.sqlValue, r.sourcePath.sqlValue, r.label.sqlValue,
                    ])
                results.append(RegisteredVersion(flow: flow.name, version: number, created: true, hash: r.hash, label: r.label))
            }
            return results
        }
    }

    public func flows(project: String) throws -> [FlowSummary] {
        try withConnection { db in
            try db.query(
                """
                SELECT f.name, v.description, v.number,
                       (SELECT count(*) FROM versions WHERE flow_id = f.id), v.registered_at,
                       (SELECT r.state_type FROM flow_runs r WHERE r.flow_id = f.id AND r.state_type != 'scheduled'
                        ORDER BY \(Self.listTimeSQL) DESC, r.id DESC LIMIT 1),
                       (SELECT \(Self.listTimeSQL) FROM flow_runs r WHERE r.flow_id = f.id AND r.state_type != 'scheduled'
                        ORDER BY \(Self.listTimeSQL) DESC, r.id DESC LIMIT 1)
                FROM flows f
                JOIN versions v ON v.flow_id = f.id AND v.number = (SELECT MAX(number) FROM versions WHERE flow_id = f.id)
                WHERE f.project_id = \(Self.projectIDSQL)
                ORDER BY f.name
                """, [.text(project)]
            ) { row in
                FlowSummary(
                    name: row.text(0), description: row.optionalText(1), latestVersion: Int(row.int(2)),
                    versionCount: Int(row.int(3)), latestRegisteredAt: Date(sql: row.double(4)),
                    lastRunState: row.optionalText(5).flatMap(StateType.init(rawValue:)),
                    lastRunAt: row.optionalDouble(6).map(Date.init(sql:)))
            }
        }
    }

    static let versionColumns = """
        f.name, v.number, v.library_hash, l.path, v.manifest, v.registered_at, v.registered_by, v.source_path, v.label, p.name
        FROM versions v JOIN flows f ON f.id = v.flow_id JOIN libraries l ON l.hash = v.library_hash JOIN projects p ON p.id = f.project_id
        """

    static func version(_ row: SQLRow) throws -> VersionRecord {
        VersionRecord(
            flow: row.text(0), number: Int(row.int(1)), libraryHash: row.text(2), libraryPath: row.text(3),
            manifest: try BatonCoding.decoder().decode(FlowManifest.self, from: Data(row.text(4).utf8)),
            registeredAt: Date(sql: row.double(5)), registeredBy: row.optionalText(6), sourcePath: row.optionalText(7),
            label: row.optionalText(8), project: row.text(9))
    }

    /// A flow of a project, by name, in SQL: `f.project_id = … AND f.name = ?`, bound to the project and the name.
    static let flowSQL = "f.project_id = \(projectIDSQL) AND f.name = ?"

    public func versionRecords(of flow: String, project: String) throws -> [VersionRecord] {
        try withConnection { db in
            try db.query(
                "SELECT \(Self.versionColumns) WHERE \(Self.flowSQL) ORDER BY v.number", [.text(project), .text(flow)], row: Self.version)
        }
    }

    public func versionRecord(of flow: String, number: Int?, project: String) throws -> VersionRecord? {
        try withConnection { db in
            if let number {
                return try db.query(
                    "SELECT \(Self.versionColumns) WHERE \(Self.flowSQL) AND v.number = ?", [.text(project), .text(flow), .int(Int64(number))],
                    row: Self.version
                ).first
            }
            return try db.query(
                "SELECT \(Self.versionColumns) WHERE \(Self.flowSQL) ORDER BY v.number DESC LIMIT 1", [.text(project), .text(flow)],
                row: Self.version
            ).first
        }
    }

    public func flowNames(project: String) throws -> [String] {
        try withConnection { db in
            try db.query("SELECT name FROM flows WHERE project_id = \(Self.projectIDSQL) ORDER BY name", [.text(project)]) { $0.text(0) }
        }
    }

    public func library(hash: String) throws -> LibraryRecord? {
        try withConnection { db in
            try db.query("SELECT hash, file_name, path, size, manifest, registered_at FROM libraries WHERE hash = ?", [.text(hash)]) {
                row in
                LibraryRecord(
                    hash: row.text(0), fileName: row.text(1), path: row.text(2), size: Int(row.int(3)),
                    manifest: try BatonCoding.decoder().decode(LibraryManifest.self, from: Data(row.text(4).utf8)),
                    registeredAt: Date(sql: row.double(5)))
            }.first
        }
    }
}

extension SQLStore {
    /// The version of each flow that a library registered, for subflow runs.
    public func flowVersions(libraryHash: String, project: String) throws -> [String: Int] {
        let pairs = try withConnection { db in
            try db.query(
                "SELECT f.name, v.number FROM versions v JOIN flows f ON f.id = v.flow_id WHERE v.library_hash = ? AND f.project_id = \(Self.projectIDSQL)",
                [.text(libraryHash), .text(project)]
            ) { ($0.text(0), Int($0.int(1))) }
        }
        return Dictionary(pairs, uniquingKeysWith: { a, _ in a })
    }

    /// The bytes a store that spans hosts keeps of a library, or nil.
    public func libraryContent(hash: String) throws -> [UInt8]? {
        try withConnection { db in
            try db.query("SELECT content FROM library_files WHERE hash = ?", [.text(hash)]) { row in
                Data(base64Encoded: row.text(0)).map { Array($0) }
            }.first ?? nil
        }
    }
}
