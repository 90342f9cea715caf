import BatonCore
import BatonTestSupport
import Foundation
import Testing

@testable import BatonStore

/// A store made before access control (schema 6, the previous release's) opened by this build:
/// migrated in place, every run and version kept, and the new tables ready.
@Suite struct StoreMigrationTests {
    /// Runs `sql` on the file at `path` with the sqlite3 shell, as another program would.
    func sqlite(_ path: String, _ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path, sql]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(sql)")
    }

    @Test func aStoreOfThePreviousSchemaMigratesKeepingEveryRunAndVersion() throws {
        let file = try StoreFile()
        do {
            let store = try file.open()
            _ = try store.register(sampleRegistration("hash-1", flows: ["etl", "report"]))
            _ = try store.register(sampleRegistration("hash-2", flows: ["etl"], label: "v2"))
            try store.createFlowRuns((0..<500).map { i in
                NewFlowRun(flow: i % 2 == 0 ? "etl" : "report", version: 1, parameters: ["n": .int(Int64(i))], state: RunState(.completed), name: "run-\(i)")
            })
        }
        // Back to schema 6: what migrations 7 to 9 added is gone, as in a store the previous release made.
        try sqlite(file.path, """
            DROP TRIGGER audit_is_append_only_update; DROP TRIGGER audit_is_append_only_delete; DROP TABLE audit;
            DROP TABLE sessions; DROP TABLE api_keys; DROP TABLE memberships; DROP TABLE users; DROP TABLE projects;
            PRAGMA user_version = 6;
            """)

        let store = try file.open()
        #expect(try store.flowRuns(FlowRunQuery(when: .all, limit: 1000)).count == 500)
        #expect(try store.flowRuns(FlowRunQuery(flow: "report", when: .all, limit: 1000)).count == 250)
        #expect(try store.versionRecords(of: "etl").map(\.number) == [1, 2])
        #expect(try store.versionRecords(of: "etl").last?.label == "v2")
        #expect(try store.projectNames() == [ProjectNames.default], "everything is in the project default")
        #expect(try store.insertUser(NewUser(name: "ada", isAdmin: true, passwordHash: nil, now: Date())) != nil)
        try store.appendAudit(AuditEntry(at: Date(), actor: "ada", project: nil, action: "user create", target: "ada", address: nil, result: "ok"))
        #expect(try store.auditEntries(AuditQuery()).count == 1)
        // Opened again, nothing is migrated twice.
        let again = try file.open()
        #expect(try again.projectNames() == [ProjectNames.default])
        #expect(try again.flowRuns(FlowRunQuery(when: .all, limit: 1000)).count == 500)
    }
}
