import BatonCore
import Foundation
import Testing

/// `baton project` and `--project` as a team's administrator and its developers use them on one
/// store: a project of its own flows and runs, the same names in two projects, one-line refusals,
/// and a project that still holds flows kept.
@Suite struct ProjectCommandTests {
    @Test func aSecondProjectHoldsItsOwnFlowsRunsAndLimits() async throws {
        let sandbox = try Sandbox()
        let library = try await Builds.shared.fixture("FixtureFlows")
        let created = try sandbox.baton("project", "create", "analytics")
        #expect(created.status == 0 && created.stdout.hasPrefix("Project 'analytics' created."), "\(created)")
        #expect(try sandbox.baton("project", "ls").stdout == "analytics\ndefault\n")

        // The same library in both projects: each has its own `echo`, numbered from 1.
        #expect(try sandbox.baton("register", library).status == 0)
        let there = try sandbox.baton("register", library, "--project", "analytics")
        #expect(there.status == 0, "\(there)")
        let flows = try sandbox.baton("flow", "ls", "--json", environment: ["BATON_PROJECT": "analytics"]).json.arrayValue ?? []
        #expect(flows.contains { $0["name"] == .string("echo") && $0["latestVersion"] == .int(1) }, "\(flows)")

        // A run in analytics is listed there, and not found from default.
        let run = try sandbox.baton("run", "echo", "--json", environment: ["BATON_PROJECT": "analytics"])
        #expect(run.status == 0, "\(run)")
        let id = try #require(run.json["id"]?.stringValue)
        #expect(run.json["project"] == .string("analytics"))
        #expect(try sandbox.baton("run", "ls", "--json", "--project", "analytics").json.arrayValue?.map { $0["id"] } == [.string(id)])
        #expect(try sandbox.baton("run", "ls", "--json").json.arrayValue?.isEmpty == true)
        let elsewhere = try sandbox.baton("run", "show", id)
        #expect(elsewhere.status != 0 && elsewhere.stderr.contains("no flow run '\(id)'"), "\(elsewhere)")
        #expect(try sandbox.baton("run", "show", id, "--project", "analytics").status == 0)

        // Limits and deployments are per project too.
        #expect(try sandbox.baton("limit", "set", "db", "1", "--project", "analytics").status == 0)
        #expect(try sandbox.baton("limit", "ls", "--json").json.arrayValue?.isEmpty == true)
        #expect(try sandbox.baton("deployment", "create", "echo", "--name", "nightly", "--project", "analytics").status == 0)
        #expect(try sandbox.baton("deployment", "create", "echo", "--name", "nightly").status == 0, "the same name in default")

        // A project that holds flows is kept; an empty one goes; default stays.
        let kept = try sandbox.baton("project", "delete", "analytics")
        #expect(kept.status != 0 && kept.stderr.contains("project 'analytics' still has flows"), "\(kept)")
        #expect(kept.stderr.split(separator: "\n").count == 1)
        #expect(try sandbox.baton("project", "create", "scratch").status == 0)
        #expect(try sandbox.baton("project", "delete", "scratch").stdout == "Project 'scratch' deleted, with its members and keys.\n")
        let base = try sandbox.baton("project", "delete", "default")
        #expect(base.status != 0 && base.stderr.contains("project 'default' cannot be deleted"), "\(base)")
        #expect(try sandbox.baton("project", "ls").stdout == "analytics\ndefault\n")
    }

    @Test func badProjectsAreRefusedWithOneLine() throws {
        let sandbox = try Sandbox()
        let cases: [([String], String)] = [
            (["flow", "ls", "--project", "nope"], "no project 'nope'; projects: default"),
            (["run", "ls", "--project", "nope"], "no project 'nope'"),
            (["project", "create", "bad name"], "project name 'bad name' is not valid"),
            (["project", "create", "default"], "a project named 'default' exists already"),
            (["project", "delete", "nope"], "no project 'nope'"),
        ]
        for (arguments, message) in cases {
            let result = try sandbox.batonArguments(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): one line: \(result.stderr)")
        }
        let environment = try sandbox.baton("flow", "ls", environment: ["BATON_PROJECT": "nope"])
        #expect(environment.status != 0 && environment.stderr.contains("no project 'nope'"), "\(environment)")
    }
}
