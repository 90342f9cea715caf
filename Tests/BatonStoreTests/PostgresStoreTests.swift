import BatonCore
@testable import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// What only the PostgreSQL store has to show (what both backends do is the conformance suite's):
/// which databases it takes, what it says when it cannot, and how it lives through a server that
/// ends its sessions. Skipped where this machine has no PostgreSQL.
@Suite(.enabled(if: PostgresServer.shared != nil, "no PostgreSQL server on this machine"))
struct PostgresStoreTests {
    let server = PostgresServer.shared!
    let home = try! StoreFile()

    func open(_ url: String) throws -> PostgresStore { try PostgresStore(url: url, home: BatonHome(path: home.folder)) }

    func database(of url: String) -> String { String(url.split(separator: "/").last!) }

    @Test func anEmptyDatabaseIsMigratedOnceByProcessesOpeningItTogether() throws {
        let url = try server.makeDatabase()
        let opened = Locked(0)
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                _ = try open(url)
                opened.withLock { $0 += 1 }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(opened.withLock { $0 } == 4)
        #expect(try server.psql("SELECT application || ' ' || schema_version FROM baton_store", database: database(of: url)).split(separator: "\n").count == 1)
        // Opening it again changes nothing and keeps what was stored.
        _ = try open(url).register(sampleRegistration("aaaa"))
        let run = try open(url).createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:]))
        #expect(try open(url).flowRun(run.id).id == run.id)
    }

    @Test func aDatabaseOfSomethingElseIsRefusedAndLeftAsItWas() throws {
        let url = try server.makeDatabase()
        try server.psql("CREATE TABLE accounts (id int); INSERT INTO accounts VALUES (7)", database: database(of: url))
        #expect {
            _ = try open(url)
        } throws: { error in
            "\(error)".contains("is not a Baton database") && "\(error)".contains("1 tables of something else")
        }
        #expect(try server.psql("SELECT id FROM accounts", database: database(of: url)).trimmingCharacters(in: .whitespacesAndNewlines) == "7")
        #expect(try server.psql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", database: database(of: url)).contains("1"))
    }

    @Test func aURLOfAnotherKindIsRefusedAsBadInput() throws {
        #expect {
            _ = try open("mysql://root@127.0.0.1/baton")
        } throws: { error in
            (error as? BatonError)?.code == .invalidInput && "\(error)".contains("expected postgresql://")
        }
    }

    @Test func aServerThatCannotBeReachedIsOneClearLineWithoutThePassword() throws {
        let port = try PostgresServer.freePort()
        #expect {
            _ = try open("postgresql://baton:hunter2@127.0.0.1:\(port)/baton")
        } throws: { error in
            let text = "\(error)"
            return text.contains("cannot be reached") && text.contains("postgresql://baton:****@127.0.0.1:\(port)/baton") && !text.contains("hunter2")
                && !text.contains("\n")
        }
    }

    @Test func theAuditLogRefusesToChangeOrRemoveARow() throws {
        let url = try server.makeDatabase()
        let store = try open(url)
        try store.appendAudit(AuditEntry(at: Date(), actor: "ada", project: nil, action: "user create", target: "bob", address: nil, result: "ok"))
        for statement in ["UPDATE audit SET result = 'denied'", "DELETE FROM audit"] {
            #expect {
                try server.psql(statement, database: database(of: url))
            } throws: { error in
                "\(error)".contains("the audit log is append-only")
            }
        }
        #expect(try store.auditEntries(AuditQuery()).map(\.result) == ["ok"])
    }

    /// The server ends the session right after a commit, before its answer arrives: the connection
    /// asks whether the transaction took, and reports success, so a caller does not write it again;
    /// a transaction ended before its commit is reported failed and left out.
    @Test func aCommitWhoseAnswerIsLostIsAskedAboutNotTakenForFailed() throws {
        let url = try server.makeDatabase()
        _ = try open(url)
        let connection = try PostgresConnection(url: url)
        try connection.execute("CREATE TABLE probe (n BIGINT)")
        let value = try connection.transaction(lock: 1, {
            try connection.run("INSERT INTO probe VALUES (?)", [.int(1)])
            return 42
        }, committing: "COMMIT; SELECT pg_terminate_backend(pg_backend_pid())")
        #expect(value == 42)
        #expect {
            try connection.transaction(lock: 1, { try connection.run("INSERT INTO probe VALUES (?)", [.int(2)]) },
                committing: "SELECT pg_terminate_backend(pg_backend_pid()); COMMIT")
        } throws: { error in
            (error as? PostgresError)?.isConnectionFailure == true
        }
        #expect(try connection.query("SELECT n FROM probe ORDER BY n", []) { $0.int(0) } == [1])
    }

    @Test func aSessionTheServerEndedIsMadeAgainAndNothingIsLost() throws {
        let url = try server.makeDatabase()
        let store = try open(url)
        _ = try store.register(sampleRegistration("aaaa"))
        let first = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:]))
        // The server ends every session on the database (as a restart or a failover does).
        try server.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database(of: url))'")
        #expect(try store.flowRun(first.id).id == first.id, "a read after the session ended")
        let second = try store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:]))
        try server.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database(of: url))'")
        try store.finish(flowRunID: second.id, state: RunState(.completed))
        #expect(try store.flowRun(second.id).state.type == .completed, "a write after the session ended")
        #expect(Set(try store.flowRuns(FlowRunQuery(limit: 10)).map(\.id)) == [first.id, second.id])
    }
}
