import BatonCore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The command line speaking to a Baton server (`BATON_API_URL`, `--api`): the same commands print
/// the same bytes as against the server's store itself, `register` uploads, and runs are followed live.
@Suite(.timeLimit(.minutes(20)))
struct RemoteCLITests {
    /// `baton server start` on one sandbox's store, and a client sandbox of its own that speaks to it.
    final class Served {
        let store: Sandbox
        let client: Sandbox
        /// Stopped when the last reference goes (ServerProcess's deinit).
        let server: ServerProcess
        var url: String { server.baseURL }

        init() async throws {
            store = try Sandbox()
            client = try Sandbox()
            server = try await ServerProcess.start(store)
        }

        /// `baton` on the server's store, as a person on the server's machine would run it.
        func local(_ arguments: String...) throws -> CommandResult { try store.batonArguments(arguments) }

        /// `baton` from the client sandbox, through the server.
        func remote(_ arguments: String...) throws -> CommandResult {
            try client.batonArguments(arguments, environment: server.remote)
        }

        /// Expects the same output and status from the server's store and through the server.
        func expectSame(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws {
            let here = try store.batonArguments(arguments)
            let there = try client.batonArguments(arguments, environment: server.remote)
            #expect(here.status == 0, "\(arguments): \(here.stderr)", sourceLocation: sourceLocation)
            #expect(there.status == here.status, "\(arguments): \(there.stderr)", sourceLocation: sourceLocation)
            #expect(stable(there.stdout) == stable(here.stdout), "\(arguments)", sourceLocation: sourceLocation)
        }

        /// Relative times ("3 s ago") move on between two commands, and with them the widths of their
        /// table's columns; everything else must not.
        func stable(_ text: String) -> String {
            let masked = text.replacing(/just now|[0-9]+ (s|min|h|d) ago/, with: "<ago>")
            return masked == text ? text : masked.replacing(/[ ]{2,}/, with: "  ")
        }
    }

    func registered() async throws -> Served {
        let served = try await Served()
        let result = try served.remote("register", try await Builds.shared.fixture("FixtureFlows"))
        try #require(result.status == 0, "\(result.stderr)")
        return served
    }

    @Test func registerUploadsTheLibraryAndPrintsWhatALocalRegistrationPrints() async throws {
        let served = try await Served()
        let library = try await Builds.shared.fixture("FixtureFlows")
        let uploaded = try served.remote("register", library, "--label", "abc123")
        #expect(uploaded.status == 0, "\(uploaded.stderr)")
        let elsewhere = try Sandbox()
        let local = try elsewhere.baton("register", library, "--label", "abc123")
        #expect(uploaded.stdout == local.stdout)
        #expect(uploaded.stdout.contains("Registered echo version 1 (sha256 ") && uploaded.stdout.contains(", label \"abc123\") from libFixtureFlows.so"))

        let versions = try served.local("flow", "versions", "echo", "--json").json.arrayValue ?? []
        #expect(versions.count == 1)
        #expect(versions.first?["label"] == .string("abc123"))
        #expect(!FileManager.default.fileExists(atPath: served.client.home + "/baton.db"), "the client's own store is untouched")
        let again = try served.remote("register", library)
        #expect(again.stdout.contains("echo: identical bytes are already version 1"))
    }

    @Test func listingsAndInspectionsPrintTheSameBytesAsOnTheServersStore() async throws {
        let served = try await registered()
        #expect(try served.remote(
            "deployment", "create", "echo", "--name", "nightly", "--param", "count=4", "--cron", "0 2 * * *", "--timezone", "Europe/Berlin",
            "--max-active", "2").status == 0)
        // A pool without workers: its backfilled runs stay as they are while the two sides are compared.
        #expect(try served.remote(
            "deployment", "create", "hello", "--name", "weekly", "--rrule", "FREQ=WEEKLY;BYDAY=MO", "--anchor", "2026-01-05T09:00:00",
            "--pool", "elsewhere").status == 0)
        #expect(try served.remote("deployment", "backfill", "weekly", "--from", "2026-01-01", "--to", "2026-02-01").status == 0)
        #expect(try served.remote("limit", "set", "db", "3").status == 0)
        let ok = try served.remote("run", "echo", "--param", "count=2", "--json")
        let failed = try served.remote("run", "flaky", "--param", "failures=5", "--json")
        let reporting = try served.remote("run", "reporting", "--json")
        let ids = [ok, failed, reporting].compactMap { $0.json["id"]?.stringValue }
        try #require(ids.count == 3, "\(ok.stderr) \(failed.stderr) \(reporting.stderr)")

        try served.expectSame("flow", "ls")
        try served.expectSame("flow", "ls", "--json")
        try served.expectSame("flow", "versions", "echo")
        try served.expectSame("flow", "versions", "echo", "--json")
        try served.expectSame("flow", "inspect", "echo")
        try served.expectSame("flow", "inspect", "echo", "--json")
        try served.expectSame("run", "show", ids[0], "--json")
        try served.expectSame("run", "ls")
        try served.expectSame("run", "ls", "--json", "--limit", "1000")
        try served.expectSame("run", "ls", "--deployment", "weekly")
        for id in ids {
            try served.expectSame("run", "show", id)
            try served.expectSame("run", "logs", id)
        }
        try served.expectSame("run", "logs", ids[1], "--level", "warning")
        try served.expectSame("deployment", "ls")
        try served.expectSame("deployment", "ls", "--json")
        try served.expectSame("deployment", "inspect", "nightly")
        try served.expectSame("deployment", "inspect", "weekly")
        try served.expectSame("deployment", "inspect", "nightly", "--json")
        try served.expectSame("limit", "ls", "--json")
        try served.expectSame("artifact", "ls")
        try served.expectSame("artifact", "ls", "--run", ids[2])
        try served.expectSame("artifact", "show", "fixture-table")
        try served.expectSame("artifact", "show", "fixture-link")
    }

    @Test func runThroughTheServerStreamsItsLinesAndExitsByItsFinalState() async throws {
        let served = try await registered()
        let ok = try served.remote("run", "echo", "--param", "count=2")
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("Beginning flow run"))
        #expect(ok.stdout.contains("printed by the flow body"))
        #expect(ok.stdout.contains("greet-0") && ok.stdout.contains("Completed"))
        #expect(ok.stdout.contains("Result: {\"greeting\":\"hello world, hello world\""))

        // A subflow's lines come too, under its own run name.
        let parent = try served.remote("run", "parent-flow")
        #expect(parent.status == 0, "\(parent.stderr)")
        #expect(parent.stdout.contains("child squaring"), "\(parent.stdout)")

        let failed = try served.remote("run", "flaky", "--param", "failures=5")
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("retrying in 10 ms"))
        #expect(failed.stdout.contains("Failed") && failed.stdout.contains("planned failure 3 of 5"))

        let json = try served.remote("run", "flaky", "--json")
        #expect(json.status == 0)
        #expect(json.json["state"] == .string("completed"))
        #expect(json.json["result"] == .int(2))
        let stored = try served.local("run", "show", try #require(json.json["id"]?.stringValue), "--json").json
        #expect(stored["run"]?["state"] == .string("completed"), "the server's store has the run")

        let refused = try served.remote("run", "echo", "--param", "nope=1")
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("unknown parameter 'nope' for flow 'echo'"))
    }

    @Test func rerunsThroughTheServerKeepOrChooseTheVersionAsLocalOnesDo() async throws {
        let served = try await registered()
        let first = try served.remote("run", "echo", "--param", "count=2", "--json")
        #expect(first.status == 0, "\(first.stderr)")
        let id = try #require(first.json["id"]?.stringValue)

        let again = try served.remote("rerun", id, "--json")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.json["rerunOf"] == .string(id))
        #expect(again.json["version"] == .int(1))
        #expect(again.json["parameters"] == first.json["parameters"])
        let latest = try served.remote("rerun", id, "--version", "latest", "--json")
        #expect(latest.status == 0, "\(latest.stderr)")
        #expect(latest.json["rerunOf"] == .string(id) && latest.json["version"] == .int(1))

        for arguments in [["rerun", id, "--version", "9"], ["run", "resume", id]] {
            let here = try served.store.batonArguments(arguments)
            let there = try served.client.batonArguments(arguments, environment: served.server.remote)
            #expect(here.status == 2 && there.status == 2, "\(arguments): \(here.stderr) / \(there.stderr)")
            #expect(there.stderr == here.stderr, "\(arguments)")
        }
        #expect(try served.remote("rerun", id, "--version", "9").stderr.contains("no version 9"))
        #expect(try served.remote("run", "resume", id).stderr.contains("only a failed, crashed or cancelled run can be resumed"))
    }

    @Test func followingEndsWhenTheRunIsCancelledOnTheServer() async throws {
        let served = try await registered()
        let run = try WatchedProcess(served.client, ["--api", served.url, "run", "sleepy"], environment: served.server.remote)
        let started = await run.line(containing: "sleeping")
        let name = try #require(started?.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).first.map(String.init))
        let follower = try WatchedProcess(served.client, ["run", "logs", name, "--follow", "--api", served.url], environment: served.server.remote)
        _ = await follower.line(containing: "sleeping")
        let cancel = try served.remote("run", "cancel", name)
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(cancel.stdout.contains("is Cancelled"))
        #expect(run.wait() == 130, "\(run.output)")
        #expect(run.output.contains("Cancelled"))
        #expect(follower.wait() == 0)
        #expect(follower.output.contains("Finished in state Cancelled"))
    }

    @Test func ctrlCWhileFollowingCancelsTheRunOnTheServer() async throws {
        let served = try await registered()
        let run = try WatchedProcess(served.client, ["--api", served.url, "run", "sleepy"], environment: served.server.remote)
        _ = await run.line(containing: "sleeping")
        kill(run.process.processIdentifier, SIGINT)
        #expect(run.wait() == 130, "\(run.output)")
        #expect(run.output.contains("Cancelling"))
        let stored = try served.local("run", "ls", "--flow", "sleepy", "--json").json.arrayValue ?? []
        #expect(stored.first?["state"] == .string("cancelled"))
    }

    @Test func aServerThatCannotBeReachedOrABadURLGetsOneLine() throws {
        let sandbox = try Sandbox()
        for arguments in [["flow", "ls"], ["run", "echo"], ["run", "show", "some-run"]] {
            let result = try sandbox.batonArguments(arguments, environment: ["BATON_API_URL": "http://127.0.0.1:1"])
            #expect(result.status == 1)
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(
                result.stderr == "error: cannot reach the Baton server at http://127.0.0.1:1: Connection refused; is `baton server start` running?\n")
        }
        let bad = try sandbox.baton("--api", "ftp://example", "flow", "ls")
        #expect(bad.status == 2)
        #expect(bad.stderr == "error: --api 'ftp://example' is not valid: expected http://HOST:PORT or https://HOST[:PORT], such as http://127.0.0.1:4200\n")
        let port = try sandbox.baton("flow", "ls", environment: ["BATON_API_URL": "http://127.0.0.1:99999"])
        #expect(port.status == 2 && port.stderr.contains("BATON_API_URL 'http://127.0.0.1:99999' is not valid"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.home + "/baton.db"), "nothing fell back to the local store")
    }

    @Test func commandsOfTheLocalStoreAreRefusedThroughAServer() throws {
        let sandbox = try Sandbox()
        // (`baton worker start` works through a server: see RemoteWorkerTests.)
        for arguments in [["server", "start", "--port", "0"], ["quickstart"]] {
            let result = try sandbox.batonArguments(arguments, environment: ["BATON_API_URL": "http://127.0.0.1:1"])
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(result.stderr.contains("`baton \(arguments.prefix(arguments[0] == "quickstart" ? 1 : 2).joined(separator: " "))`"))
            #expect(result.stderr.contains("unset BATON_API_URL"), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: sandbox.home + "/baton.db"))
    }
}
