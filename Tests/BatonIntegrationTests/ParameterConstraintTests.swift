import BatonCore
import Foundation
import Testing

/// Every limit a parameter schema states (a range, values, a length, a pattern, an item count) is
/// enforced the same way by `baton run --param`, `--params-file`, deployments and the API, with one
/// message naming the parameter and what it allows; nothing is stored for a refused value.
@Suite(.timeLimit(.minutes(20)))
struct ParameterConstraintTests {
    /// The refusals of the fixture flow `constrained`, each with the value that breaks it.
    static let refusals: [(param: String, message: String)] = [
        ("threshold=1.5", "parameter 'threshold' of flow 'constrained': 1.5 is out of range; expected a number from 0 to 1"),
        ("threshold=-0.25", "parameter 'threshold' of flow 'constrained': -0.25 is out of range; expected a number from 0 to 1"),
        ("parts=11", "parameter 'parts' of flow 'constrained': 11 is out of range; expected an integer from 1 to 10"),
        ("region=mars", "parameter 'region' of flow 'constrained': \"mars\" is not allowed; expected one of \"eu\", \"us\""),
        ("label=abcdefghi", "parameter 'label' of flow 'constrained': \"abcdefghi\" is too long (9 characters); expected a string of 1 to 8 characters"),
        ("label=", "parameter 'label' of flow 'constrained': \"\" is too short (0 characters); expected a string of 1 to 8 characters"),
        ("label=Run", "parameter 'label' of flow 'constrained': \"Run\" does not match the pattern; expected a string matching ^[a-z]+$"),
        (#"tags=["a","b","c","d"]"#, "parameter 'tags' of flow 'constrained': 4 items is too many; expected an array of at most 3 items"),
    ]

    func registered() async throws -> Sandbox {
        let sandbox = try Sandbox()
        let result = try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows"))
        try #require(result.status == 0, "\(result.stderr)")
        return sandbox
    }

    /// A failed command: non-zero, one line on standard error, holding `message`.
    func expectRefused(_ result: CommandResult, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status != 0, "expected a failure, got: \(result.stdout)", sourceLocation: sourceLocation)
        #expect(result.stderr.split(separator: "\n").count == 1, "expected one line, got: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(message), "'\(message)' missing from: \(result.stderr)", sourceLocation: sourceLocation)
    }

    @Test func theCommandLineRefusesEachBrokenLimitWithItsMessage() async throws {
        let sandbox = try await registered()
        for (param, message) in Self.refusals {
            expectRefused(try sandbox.baton("run", "constrained", "--param", param), message)
        }
        #expect(try sandbox.runs().isEmpty, "a refused value must not make a run")

        // The same words from a parameter file.
        let file = sandbox.directory + "/params.json"
        try #"{"threshold": 2, "parts": 3}"#.write(toFile: file, atomically: true, encoding: .utf8)
        expectRefused(
            try sandbox.baton("run", "constrained", "--params-file", file),
            "parameter 'threshold' of flow 'constrained': 2 is out of range; expected a number from 0 to 1")
        #expect(try sandbox.runs().isEmpty)

        // The bounds themselves are allowed, and the run uses them.
        let run = try sandbox.baton("run", "constrained", "--param", "threshold=1", "--param", "parts=10", "--param", "label=abcdefgh", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.json["state"] == .string("completed"), "\(run.stdout)")
        #expect(run.json["result"] == .int(550), "\(run.stdout)")
    }

    @Test func flowInspectShowsTheLimitsItEnforces() async throws {
        let sandbox = try await registered()
        let inspect = try sandbox.baton("flow", "inspect", "constrained")
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let lines = inspect.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("ALLOWED") })
        let expected = [
            ("threshold", "from 0 to 1"), ("parts", "from 1 to 10"), ("region", "one of \"eu\", \"us\""),
            ("label", "1 to 8 characters, matching ^[a-z]+$"), ("tags", "at most 3 items"),
        ]
        for (name, allowed) in expected {
            #expect(lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix(name + " ") && $0.contains(allowed) }, "\(name): \(inspect.stdout)")
        }
    }

    @Test func deploymentsRefuseBrokenLimitsWhenCreatedAndWhenRun() async throws {
        let sandbox = try await registered()
        expectRefused(
            try sandbox.baton("deployment", "create", "constrained", "--name", "daily", "--param", "parts=0", "--interval", "86400"),
            "parameter 'parts' of flow 'constrained': 0 is out of range; expected an integer from 1 to 10")
        #expect(try sandbox.baton("deployment", "ls", "--json").json.arrayValue?.isEmpty == true)

        let created = try sandbox.baton("deployment", "create", "constrained", "--name", "daily", "--param", "parts=2", "--interval", "86400")
        #expect(created.status == 0, "\(created.stderr)")
        let before = try sandbox.runs().count
        expectRefused(
            try sandbox.baton("deployment", "run", "daily", "--param", "region=mars"),
            "parameter 'region' of flow 'constrained': \"mars\" is not allowed; expected one of \"eu\", \"us\"")
        #expect(try sandbox.runs().count == before, "a refused override must not make a run")
    }

    @Test func theAPIAnswers422WithTheSameMessageAndTheField() async throws {
        let server = try await ServerProcess.withFixtures()
        for (param, message) in Self.refusals {
            let equals = try #require(param.firstIndex(of: "="))
            let name = String(param[..<equals])
            let text = String(param[param.index(after: equals)...])
            // The value as JSON: numbers and arrays as they are, the rest as strings.
            let json = (try? JSONValue(json: text)).map { $0.jsonText } ?? JSONValue.string(text).jsonText
            let reply = try server.post("/api/flow-runs", #"{"flow": "constrained", "parameters": {"\#(name)": \#(json)}}"#)
            #expect(reply.status == 422, "\(param): \(reply)")
            #expect(reply.error == "invalid_parameters", "\(reply)")
            #expect(reply.field == name, "\(reply)")
            #expect(reply.message == message, "\(reply)")
        }
        let runs = try server.get("/api/flow-runs?flow=constrained").json["runs"]?.arrayValue ?? []
        #expect(runs.isEmpty, "a refused value must not make a run: \(runs)")

        let deployment = try server.post(
            "/api/deployments", #"{"flow": "constrained", "name": "api-daily", "parameters": {"threshold": 7}, "interval": 86400}"#)
        #expect(deployment.status == 422, "\(deployment)")
        #expect(deployment.message == "parameter 'threshold' of flow 'constrained': 7 is out of range; expected a number from 0 to 1")

        let made = try server.post("/api/deployments", #"{"flow": "constrained", "name": "api-daily", "interval": 86400}"#)
        #expect(made.status == 201, "\(made)")
        let override = try server.post("/api/deployments/api-daily/run", #"{"parameters": {"label": "Nope"}}"#)
        #expect(override.status == 422, "\(override)")
        #expect(override.field == "label")
        #expect(override.message == "parameter 'label' of flow 'constrained': \"Nope\" does not match the pattern; expected a string matching ^[a-z]+$")
        #expect(server.stop() == 0)
    }
}
