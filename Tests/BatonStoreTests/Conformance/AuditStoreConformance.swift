import BatonCore
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// What every backend records of the audit log: rows appended in order, listed newest first by
/// project, actor and time.
@Suite struct AuditStoreConformance {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: StoreBackend.all)
    func rowsAreAppendedInOrderAndListedNewestFirstWithFilters(_ backend: StoreBackend) throws {
        let store = try backend.make().store
        #expect(try store.auditEntries(AuditQuery()).isEmpty)
        let rows = [
            AuditEntry(at: t0, actor: "ada", project: "default", action: "POST /api/flow-runs", target: nil, address: "10.0.0.1", result: "ok"),
            AuditEntry(
                at: t0.addingTimeInterval(1), actor: nil, project: "default", action: "DELETE /api/cache", target: nil, address: "10.0.0.2",
                result: "denied: unauthorized"),
            AuditEntry(at: t0.addingTimeInterval(2), actor: "key ci", project: "etl", action: "key create", target: "ci", address: nil, result: "ok"),
        ]
        var ids: [Int64] = []
        for row in rows { ids.append(try store.appendAudit(row).id) }
        #expect(ids == ids.sorted() && Set(ids).count == 3 && ids.allSatisfy { $0 > 0 })

        let all = try store.auditEntries(AuditQuery())
        #expect(all.map(\.action) == ["key create", "DELETE /api/cache", "POST /api/flow-runs"])
        #expect(all.last == { var first = rows[0]; first.id = ids[0]; return first }(), "every field as appended")
        #expect(try store.auditEntries(AuditQuery(project: "etl")).map(\.target) == ["ci"])
        #expect(try store.auditEntries(AuditQuery(actor: "ada")).count == 1)
        #expect(try store.auditEntries(AuditQuery(since: t0.addingTimeInterval(1))).count == 2)
        #expect(try store.auditEntries(AuditQuery(limit: 1)).map(\.id) == [ids[2]])
    }

    @Test func theSQLiteStoreRefusesToChangeOrRemoveARow() throws {
        let file = try StoreFile()
        let store = try file.open()
        try store.appendAudit(AuditEntry(at: t0, actor: "ada", project: nil, action: "user create", target: "bob", address: nil, result: "ok"))
        for statement in ["UPDATE audit SET result = 'denied'", "DELETE FROM audit"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            process.arguments = [file.path, statement]
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus != 0, "\(statement)")
            #expect(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("the audit log is append-only"))
        }
        #expect(try store.auditEntries(AuditQuery()).map(\.result) == ["ok"])
    }
}
