import BatonCore
import Foundation
import Testing

/// `baton deployment …`, `baton worker ls` and `baton schedule preview` as a user types them.
@Suite(.timeLimit(.minutes(20)))
struct DeploymentCommandTests {
    func registered() async throws -> Sandbox {
        let sandbox = try Sandbox()
        let result = try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows"))
        try #require(result.status == 0, "\(result.stderr)")
        return sandbox
    }

    @Test func aDeploymentIsCreatedInspectedPausedResumedRunAndDeleted() async throws {
        let sandbox = try await registered()
        // An anchor in the future makes the next fire times known: the anchor, then every hour.
        let created = try sandbox.baton(
            "deployment", "create", "echo", "--name", "hourly", "--param", "count=3", "--interval", "3600",
            "--anchor", "2031-05-01T09:00:00", "--timezone", "UTC", "--max-active", "2", "--json")
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.json["parameters"]?["count"] == .int(3))
        #expect(created.json["maxActive"] == .int(2))
        let inspect = try sandbox.baton("deployment", "inspect", "hourly", "--json").json
        #expect(inspect["next"]?.arrayValue?.compactMap(\.stringValue) == [
            "2031-05-01T09:00:00+00:00", "2031-05-01T10:00:00+00:00", "2031-05-01T11:00:00+00:00",
            "2031-05-01T12:00:00+00:00", "2031-05-01T13:00:00+00:00",
        ])
        let text = try sandbox.baton("deployment", "inspect", "hourly").stdout
        #expect(text.contains("every 1 hour"))
        #expect(text.contains("2031-05-01T13:00:00+00:00"))
        #expect(try sandbox.baton("deployment", "ls").stdout.contains("hourly"))

        #expect(try sandbox.baton("deployment", "pause", "hourly").stdout == "Deployment 'hourly' is paused.\n")
        #expect(try sandbox.baton("deployment", "inspect", "hourly", "--json").json["paused"] == .bool(true))
        #expect(try sandbox.baton("deployment", "resume", "hourly").status == 0)

        let run = try sandbox.baton("deployment", "run", "hourly", "--param", "count=9", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.json["state"] == .string("scheduled"))
        #expect(run.json["deployment"] == .string("hourly"))
        #expect(run.json["parameters"]?["count"] == .int(9), "a run's own parameters win")
        let listed = try sandbox.baton("run", "ls", "--deployment", "hourly", "--json").json.arrayValue ?? []
        #expect(listed.map { $0["id"] } == [run.json["id"]])

        #expect(try sandbox.baton("deployment", "delete", "hourly").status == 0)
        #expect(try sandbox.baton("deployment", "ls", "--json").json == .array([]))
        #expect(try sandbox.runs().isEmpty, "its run that had not started went with it")
    }

    @Test func backfillMakesRunsOnceAndSaysWhatExisted() async throws {
        let sandbox = try await registered()
        #expect(try sandbox.baton("deployment", "create", "hello", "--name", "daily", "--interval", "86400", "--anchor", "2026-01-01T06:00:00Z").status == 0)
        let first = try sandbox.baton("deployment", "backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-05T23:00:00Z", "--json")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.json["created"] == .int(5))
        let second = try sandbox.baton("deployment", "backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-05T23:00:00Z")
        #expect(second.stdout == "Backfill of 'daily': 0 run(s) created, 5 slot(s) already had one.\n")
        let times = try sandbox.baton("run", "ls", "--deployment", "daily", "--json").json.arrayValue?.compactMap { $0["scheduledTime"]?.stringValue }.sorted()
        #expect(times?.count == 5)
        #expect(times?.first?.hasPrefix("2026-01-01T06:00:00") == true)
    }

    @Test func badDeploymentInputIsRefusedInOneLineAndStoresNothing() async throws {
        let sandbox = try await registered()
        let cases: [([String], String)] = [
            (["deployment", "create", "nope", "--name", "x"], "unknown flow 'nope'"),
            (["deployment", "create", "hello"], "--name is required"),
            (["deployment", "create", "hello", "--name", "x", "--version", "0"], "--version '0' is not valid: expected a version number such as 2, or latest"),
            (["deployment", "create", "hello", "--name", "x", "--version", "7"], "flow 'hello' has no version 7"),
            (["deployment", "create", "hello", "--name", "x", "--cron", "* * * * *", "--interval", "60"], "--cron and --interval are both given"),
            (["deployment", "create", "hello", "--name", "x", "--interval", "0"], "--interval '0' is not valid"),
            (["deployment", "create", "hello", "--name", "x", "--interval", "60", "--anchor", "soon"], "'soon' is not ISO 8601"),
            (["deployment", "create", "hello", "--name", "x", "--max-active", "0"], "--max-active '0' is not valid"),
            (["deployment", "create", "echo", "--name", "x", "--param", "colour=red"], "unknown parameter 'colour' for flow 'echo'"),
            (["deployment", "create", "hello", "--name", "bad name"], "deployment name 'bad name' is not valid"),
            (["deployment", "create", "hello", "--name", "x", "--timezone", "UTC"], "--anchor and --timezone need a schedule"),
            (["deployment", "inspect", "missing"], "no deployment 'missing'"),
            (["deployment", "run", "missing"], "no deployment 'missing'"),
            (["schedule", "preview", "--after", "2026-01-01"], "no schedule given"),
            (["worker", "start", "--limit", "0"], "--limit '0' is not valid"),
        ]
        for (arguments, message) in cases {
            let result = try sandbox.batonArguments(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        }
        #expect(try sandbox.baton("deployment", "ls", "--json").json == .array([]))

        #expect(try sandbox.baton("deployment", "create", "hello", "--name", "taken").status == 0)
        let duplicate = try sandbox.baton("deployment", "create", "hello", "--name", "taken", "--interval", "60")
        #expect(duplicate.stderr.contains("a deployment named 'taken' exists already"))
        #expect(try sandbox.baton("deployment", "inspect", "taken", "--json").json["schedule"] == nil, "the first one is unchanged")
        let backwards = try sandbox.baton("deployment", "create", "hello", "--name", "ranged", "--interval", "60")
        #expect(backwards.status == 0)
        let range = try sandbox.baton("deployment", "backfill", "ranged", "--from", "2026-02-01", "--to", "2026-01-01")
        #expect(range.status != 0)
        #expect(range.stderr.contains("is after --to"))
    }
}
