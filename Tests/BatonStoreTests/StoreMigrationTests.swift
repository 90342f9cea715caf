import BatonCore
import BatonTestSupport
import Foundation
import Testing

@testable import BatonStore

/// A store made before projects (schema 10, the previous release's) opened by this build: migrated
/// in place into the project `default`, every run, version, deployment, limit and cached result kept.
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
        let now = Date()
        do {
            let store = try file.open()
            _ = try store.register(sampleRegistration("hash-1", flows: ["etl", "report"]))
            _ = try store.register(sampleRegistration("hash-2", flows: ["etl"], label: "v2"))
            try store.createFlowRuns((0..<500).map { i in
                NewFlowRun(flow: i % 2 == 0 ? "etl" : "report", version: 1, parameters: ["n": .int(Int64(i))], state: RunState(.completed), name: "run-\(i)")
            })
            _ = try store.insertDeployment(NewDeployment(name: "nightly", flow: "etl"), schedule: nil, isDefault: false, now: now)
            try store.setLimit(tag: "db", slots: 2, project: ProjectNames.default)
            let run = try store.flowRun("run-0", project: nil)
            try store.apply([.cacheStore(CacheEntry(key: "k", taskName: "extract", result: "7", flowRunID: run.id, taskRunID: "t", createdAt: now, expiresAt: nil))])
        }
        // Back to schema 10: the tables as the previous release made them, without projects.
        try sqlite(file.path, """
            PRAGMA foreign_keys=OFF;
            BEGIN;
            CREATE TABLE f10 (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at REAL NOT NULL);
            INSERT INTO f10 SELECT id, name, created_at FROM flows;
            DROP TABLE flows; ALTER TABLE f10 RENAME TO flows;
            CREATE TABLE d10 (
                id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, flow_id INTEGER NOT NULL REFERENCES flows(id), version INTEGER,
                parameters TEXT NOT NULL, schedule TEXT, pool TEXT NOT NULL, catchup INTEGER NOT NULL DEFAULT 0, max_active INTEGER,
                paused INTEGER NOT NULL DEFAULT 0, is_default INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL, updated_at REAL NOT NULL,
                scheduled_through INTEGER, working_directory TEXT);
            INSERT INTO d10 SELECT id, name, flow_id, version, parameters, schedule, pool, catchup, max_active, paused, is_default,
                created_at, updated_at, scheduled_through, working_directory FROM deployments;
            DROP TABLE deployments; ALTER TABLE d10 RENAME TO deployments;
            DROP INDEX flow_runs_by_project_time; DROP INDEX flow_runs_by_project_state_time;
            ALTER TABLE flow_runs DROP COLUMN project_id;
            CREATE INDEX flow_runs_by_time ON flow_runs(COALESCE(start_time, scheduled_time, created_at), id);
            CREATE INDEX flow_runs_by_state_time ON flow_runs(state_type, COALESCE(start_time, scheduled_time, created_at), id);
            CREATE TABLE c10 (key TEXT PRIMARY KEY, task_name TEXT NOT NULL, result TEXT, result_path TEXT, flow_run_id TEXT NOT NULL,
                task_run_id TEXT NOT NULL, task_run_name TEXT, created_at REAL NOT NULL, expires_at REAL);
            INSERT INTO c10 SELECT key, task_name, result, result_path, flow_run_id, task_run_id, task_run_name, created_at, expires_at FROM cache;
            DROP TABLE cache; ALTER TABLE c10 RENAME TO cache;
            CREATE INDEX cache_by_task ON cache(task_name);
            CREATE TABLE l10 (tag TEXT PRIMARY KEY, slots INTEGER NOT NULL, created_at REAL NOT NULL);
            INSERT INTO l10 SELECT tag, slots, created_at FROM concurrency_limits;
            DROP TABLE concurrency_limits; ALTER TABLE l10 RENAME TO concurrency_limits;
            ALTER TABLE concurrency_slots DROP COLUMN project_id;
            ALTER TABLE workers DROP COLUMN heartbeat_seconds;
            DROP TABLE event_batches;
            DROP TABLE library_files;
            DROP TABLE named_values;
            DROP TABLE deliveries; DROP TABLE automation_firings; DROP TABLE automations; DROP TABLE channels;
            DROP TABLE automation_cursor; DROP TABLE webhooks; ALTER TABLE workers DROP COLUMN gone_at;
            COMMIT;
            PRAGMA user_version = 10;
            """)

        let store = try file.open()
        let all = FlowRunQuery(when: .all, limit: 1000, project: ProjectNames.default)
        #expect(try store.flowRuns(all).count == 500)
        #expect(try store.flowRuns(FlowRunQuery(flow: "report", when: .all, limit: 1000, project: ProjectNames.default)).count == 250)
        #expect(try store.flowRuns(all).allSatisfy { $0.project == ProjectNames.default })
        #expect(try store.versionRecords(of: "etl", project: ProjectNames.default).map(\.number) == [1, 2])
        #expect(try store.versionRecords(of: "etl", project: ProjectNames.default).last?.label == "v2")
        #expect(try store.deploymentRecord(named: "nightly", project: ProjectNames.default)?.flow == "etl")
        #expect(try store.limits(project: ProjectNames.default).map(\.tag) == ["db"])
        let run = try store.flowRun("run-0", project: ProjectNames.default)
        #expect(try store.cachedResult(key: "k", forRun: run.id, now: now)?.result == "7")
        #expect(try store.projectNames() == [ProjectNames.default], "everything is in the project default")
        // The new constraints hold: the same names may now live in another project.
        #expect(try store.insertProject("other", at: now))
        var registration = sampleRegistration("hash-1", flows: ["etl"])
        registration.project = "other"
        #expect(try store.register(registration).map(\.version) == [1])
        // Opened again, nothing is migrated twice.
        let again = try file.open()
        #expect(try again.projectNames() == [ProjectNames.default, "other"])
        #expect(try again.flowRuns(all).count == 500)
    }
}
