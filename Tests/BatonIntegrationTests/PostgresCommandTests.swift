import BatonCore
import BatonStore
import BatonTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `baton` on a PostgreSQL store, as a team runs it: commands, servers and their workers in separate
/// processes with separate `BATON_HOME`s, one database (`BATON_DATABASE_URL` or `--database`) on the
/// tests' throwaway server. Skipped where this machine has no PostgreSQL.
@Suite(.enabled(if: PostgresServer.shared != nil, "no PostgreSQL server on this machine"))
struct PostgresCommandTests {
    let server = PostgresServer.shared!

    func count(_ sql: String, _ url: String) throws -> Int {
        Int(try server.psql(sql, database: String(url.split(separator: "/").last!)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test func commandsKeepTheirRecordsInTheDatabaseTheyAreGiven() async throws {
        let url = try server.makeDatabase()
        let sandbox = try Sandbox()
        let inDatabase = [StoreSelection.variable: url]
        let registered = try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows"), environment: inDatabase)
        try #require(registered.status == 0, "\(registered.stderr)")
        let run = try sandbox.baton("run", "bench-map", "--param", "n=200", environment: inDatabase)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("Completed"))

        // Every task run is in the database; the SQLite file in BATON_HOME has none of it.
        #expect(try count("SELECT count(*) FROM task_runs", url) == 200)
        #expect(try count("SELECT count(*) FROM flow_runs WHERE state_type = 'completed'", url) == 1)
        #expect(try sandbox.runs().isEmpty, "without the URL, the SQLite store in BATON_HOME")
        // --database names it as the variable does, before or after the command's words.
        #expect(try sandbox.baton("--database", url, "run", "ls", "--json").json.arrayValue?.count == 1)
        #expect(try sandbox.baton("run", "ls", "--json", "--database", url).json.arrayValue?.count == 1)

        // The commands that work on the SQLite file say why they do not apply, in one line.
        for command in [["store", "check"], ["store", "backup", "copy.db"]] {
            let refused = try sandbox.batonArguments(command, environment: inDatabase)
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("PostgreSQL database named by BATON_DATABASE_URL"), "\(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1)
        }
    }

    /// A SQLite store moved into PostgreSQL: every table's rows with their ids, counted on both sides;
    /// the copy then used as the store, new records following the copied ids; a database that already
    /// holds records refused.
    @Test func storeCopyMovesEveryRecordIntoAnEmptyDatabase() async throws {
        let sandbox = try Sandbox()
        let registered = try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows"))
        try #require(registered.status == 0, "\(registered.stderr)")
        #expect(try sandbox.baton("run", "bench-map", "--param", "n=300").status == 0)
        #expect(try sandbox.baton("run", "bench-etl").status == 0)
        #expect(try sandbox.baton("user", "create", "ada", "--admin").status == 0)
        #expect(try sandbox.baton("key", "create", "--name", "ci", "--role", "operator").status == 0)
        #expect(try sandbox.baton("deployment", "create", "bench-etl", "--name", "nightly", "--cron", "0 2 * * *").status == 0)
        let before = try sandbox.runs().compactMap { $0["id"]?.stringValue }

        let url = try server.makeDatabase()
        let copied = try sandbox.baton("store", "copy", "--to", url, "--json")
        try #require(copied.status == 0, "\(copied.stderr)")
        let tables = copied.json["tables"]?.objectValue ?? [:]
        for table in ["task_runs", "flow_runs", "versions", "users", "api_keys", "deployments", "states", "logs", "audit", "libraries"] {
            let count = Int(tables[table]?.intValue ?? -1)
            #expect(count > 0, "\(table)")
            #expect(try self.count("SELECT count(*) FROM \(table)", url) == count, "\(table)")
        }
        #expect(tables["task_runs"]?.intValue == 304)

        // The database is now the store: the same runs, and new records after the copied ids.
        let inDatabase = [StoreSelection.variable: url]
        let listed = try sandbox.baton("run", "ls", "--json", "--limit", "1000", environment: inDatabase).json.arrayValue ?? []
        #expect(listed.compactMap { $0["id"]?.stringValue } == before)
        #expect(try sandbox.baton("run", "bench-etl", environment: inDatabase).status == 0)
        #expect(try sandbox.baton("user", "create", "bob", environment: inDatabase).status == 0)
        #expect(try sandbox.baton("deployment", "inspect", "nightly", environment: inDatabase).status == 0)

        let again = try sandbox.baton("store", "copy", "--to", url)
        #expect(again.status == 2)
        #expect(again.stderr.contains("already holds Baton records"), "\(again.stderr)")
        let missing = try sandbox.baton("store", "copy")
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--to is required"))
    }

    /// The database server goes away under a running flow and comes back: the run goes on, its events
    /// wait in the supervisor's memory, and once the server is back every state and log line is
    /// written once, in order, and the run ends completed. A server of its own, as it is stopped.
    @Test(.timeLimit(.minutes(10)))
    func aRunLivesThroughTheDatabaseServerGoingAwayAndLosesNothing() async throws {
        let own = try PostgresServer.dedicated()
        defer { own.stop() }
        let url = try own.makeDatabase()
        let inDatabase = [StoreSelection.variable: url]
        let sandbox = try Sandbox()
        let registered = try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows"), environment: inDatabase)
        try #require(registered.status == 0, "\(registered.stderr)")

        let lines = 2_000
        let gate = sandbox.directory + "/gate"
        let run = try WatchedProcess(sandbox, ["run", "gated", "--param", "gate=\(gate)", "--param", "lines=\(lines)"], environment: inDatabase)
        defer { if run.process.isRunning { kill(run.process.processIdentifier, SIGKILL) } }
        try #require(await run.line(containing: "waiting for the gate") != nil, "\(run.output)")
        let runners = sandboxProcesses(sandbox, "runner")
        try #require(runners.count == 1, "\(runners)")

        try own.halt()
        FileManager.default.createFile(atPath: gate, contents: nil)
        let notice = await run.line(containing: "wait in memory")
        #expect(notice?.contains("cannot be reached") == true, "\(run.output.suffix(2000))")
        // The runner finishes while nothing can be written; the run cannot end before the server is back.
        // Long waits run off the cooperative pool, which the other tests need meanwhile.
        #expect(try await onThread { waitForExit(runners[0], limit: 300) }, "the runner did not finish while the server was away")
        #expect(run.process.isRunning)
        try own.start()

        let ended = try await onThread { waitForExit(run.process.processIdentifier, limit: 300) }
        #expect(ended, "baton run did not end once the server was back: \(run.output.suffix(2000))")
        #expect(try await onThread { run.wait() } == 0, "\(run.output.suffix(2000))")

        let store = try PostgresStore(url: url, home: BatonHome(path: sandbox.home))
        let gated = try #require(try store.flowRuns(FlowRunQuery(limit: 10)).first { $0.flow == "gated" })
        #expect(gated.state.type == .completed, "\(gated.state)")
        #expect(gated.state.message?.contains("the store could not be written for") == true, "\(gated.state.message ?? "")")
        // Every line once, in order; both task runs once, final.
        let printed = try store.logs(flowRunID: gated.id, afterID: 0, limit: 100_000).compactMap { log in
            log.message.components(separatedBy: "gate line ").dropFirst().first?.split(separator: " ").first.flatMap { Int($0) }
        }
        #expect(printed == Array(0..<lines), "stored \(printed.count) lines")
        let taskRuns = try store.taskRuns(flowRunID: gated.id)
        #expect(taskRuns.map(\.taskName).sorted() == ["chatter", "wait-for-gate"])
        #expect(taskRuns.allSatisfy { $0.state.type == .completed })
    }

    @Test func aBadDatabaseURLIsOneLineAndChangesNothing() async throws {
        let sandbox = try Sandbox()
        let other = try sandbox.baton("run", "ls", environment: [StoreSelection.variable: "mysql://root@127.0.0.1/baton"])
        #expect(other.status == 2)
        #expect(other.stderr.contains("is not a PostgreSQL URL; expected postgresql://"), "\(other.stderr)")
        let port = try PostgresServer.freePort()
        let unreachable = try sandbox.baton("run", "ls", "--database", "postgresql://baton:hunter2@127.0.0.1:\(port)/baton")
        #expect(unreachable.status != 0)
        #expect(unreachable.stderr.contains("cannot be reached"), "\(unreachable.stderr)")
        #expect(!unreachable.stderr.contains("hunter2"))
        #expect(unreachable.stderr.split(separator: "\n").count == 1)
    }

    /// Two servers on one database, each with its own home: one schedules; SIGKILLed, the other takes
    /// over, reaps its runs, and schedules on; no slot of the deployment is ever run twice and nothing
    /// is left running.
    @Test func aSecondServerTakesOverSchedulingWhenTheFirstIsKilled() async throws {
        let url = try server.makeDatabase()
        let inDatabase = [StoreSelection.variable: url]
        let first = try Sandbox()
        let second = try Sandbox()
        let registered = try first.baton("register", try await Builds.shared.fixture("FixtureFlows"), environment: inDatabase)
        try #require(registered.status == 0, "\(registered.stderr)")
        let created = try first.baton("deployment", "create", "bench-etl", "--name", "tick", "--interval", "1", environment: inDatabase)
        try #require(created.status == 0, "\(created.stderr)")

        let leader = try WatchedProcess(first, ["server", "start", "--port", "0", "--no-auth"], environment: inDatabase)
        defer { if leader.process.isRunning { leader.process.terminate() } }
        #expect(await leader.line(containing: "now schedules") != nil, "\(leader.output)")
        #expect(await leader.line(containing: "Completed in") != nil, "\(leader.output)")

        let standby = try WatchedProcess(second, ["server", "start", "--port", "0", "--no-auth"], environment: inDatabase)
        defer { if standby.process.isRunning { standby.process.terminate() } }
        #expect(await standby.line(containing: "Baton is ready") != nil, "\(standby.output)")
        #expect(!standby.output.contains("now schedules"), "one scheduler at a time")

        kill(leader.process.processIdentifier, SIGKILL)
        _ = try await onThread { leader.wait() }
        #expect(await standby.line(containing: "now schedules") != nil, "\(standby.output)")
        let takenOver = try count("SELECT count(*) FROM flow_runs WHERE state_type = 'completed'", url)
        // The new scheduler's runs complete: wait for two more, woken by the store's changes.
        let home = second.home
        try await onThread { [self] in
            let store = try PostgresStore(url: url, home: BatonHome(path: home))
            let bell = try store.changeDoorbell()
            let deadline = Date().addingTimeInterval(120)
            while try count("SELECT count(*) FROM flow_runs WHERE state_type = 'completed'", url) < takenOver + 2 && Date() < deadline {
                var entry = pollfd(fd: bell.fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&entry, 1, 1000)
                _ = bell.drain()
            }
        }
        #expect(try count("SELECT count(*) FROM flow_runs WHERE state_type = 'completed'", url) >= takenOver + 2, "\(standby.output)")
        kill(standby.process.processIdentifier, SIGTERM)
        #expect(try await onThread { standby.wait() } == 0, "\(standby.output)")

        #expect(
            try count(
                "SELECT count(*) FROM (SELECT scheduled_time FROM flow_runs WHERE deployment_id IS NOT NULL GROUP BY scheduled_time HAVING count(*) > 1) twice",
                url) == 0, "no slot scheduled twice")
        #expect(try count("SELECT count(*) FROM flow_runs WHERE state_type IN ('running', 'pending')", url) == 0, "nothing left running")
    }

    /// Two servers on one database: the one that schedules evaluates the automations; killed, the
    /// other takes over and goes on from where it got. Each failure fires once and is delivered.
    @Test(.timeLimit(.minutes(10)))
    func automationsFireOnceAcrossTwoServersAndATakeover() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let url = try server.makeDatabase()
        let inDatabase = [StoreSelection.variable: url]
        let first = try Sandbox()
        let second = try Sandbox()
        let client = try Sandbox()
        #expect(try first.baton("register", try await Builds.shared.fixture("FixtureFlows"), environment: inDatabase).status == 0)
        #expect(try first.baton("channel", "create", "ops", "--webhook", receiver.url + "/hook", environment: inDatabase).status == 0)
        #expect(try first.baton("automation", "create", "page", "--on-state", "failed", "--notify", "ops", environment: inDatabase).status == 0)

        let leader = try WatchedProcess(first, ["server", "start", "--port", "0", "--no-auth", "--no-worker"], environment: inDatabase)
        defer { if leader.process.isRunning { leader.process.terminate() } }
        #expect(await leader.line(containing: "now schedules") != nil, "\(leader.output)")
        let standby = try WatchedProcess(second, ["server", "start", "--port", "0", "--no-auth", "--no-worker"], environment: inDatabase)
        defer { if standby.process.isRunning { standby.process.terminate() } }
        #expect(await standby.line(containing: "Baton is ready") != nil, "\(standby.output)")

        func fail() throws -> String {
            let run = try client.baton("run", "flaky", "--param", "failures=5", "--json", environment: inDatabase)
            return try #require(run.json["name"]?.stringValue, "\(run.stdout) \(run.stderr)")
        }
        let one = try fail()
        #expect(await leader.line(containing: "(run '\(one)'): notify ops: delivered") != nil, "\(leader.output)")
        kill(leader.process.processIdentifier, SIGKILL)
        _ = try await onThread { leader.wait() }
        #expect(await standby.line(containing: "now schedules") != nil, "\(standby.output)")
        let two = try fail()
        let three = try fail()
        for name in [two, three] {
            #expect(await standby.line(containing: "(run '\(name)'): notify ops: delivered") != nil, "\(standby.output)")
        }
        #expect(!standby.output.contains("(run '\(one)')"), "the first failure is not fired again by the new scheduler")
        #expect(try count("SELECT count(*) FROM automation_firings", url) == 3)
        #expect(try count("SELECT count(*) FROM deliveries WHERE status = 'delivered'", url) == 3)
        let runs = receiver.waitForRequests(3, timeout: 60).compactMap { try? JSONValue(json: $0.body)["event"]?["flowRunName"]?.stringValue }
        #expect(Set(runs) == [one, two, three] && runs.count == 3, "\(runs)")
    }
}
