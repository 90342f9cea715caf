import BatonCore
import Foundation
import Testing

/// What a newcomer meets first: typos that fail with a suggestion, help screens that line up,
/// `run show` that fits a run on a screen, and schedules that can never fire refused.
@Suite(.timeLimit(.minutes(20)))
struct CLIFirstImpressionTests {
    /// A mistake: exit status 2, nothing on standard output, exactly `line` on standard error.
    func expectMistake(_ result: CommandResult, _ line: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 2, "exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "usage went to standard output: \(result.stdout)", sourceLocation: sourceLocation)
        #expect(result.stderr == "error: \(line)\n", sourceLocation: sourceLocation)
    }

    /// A refusal in one line on standard error containing each fragment, nothing on standard output.
    func expectRefused(_ result: CommandResult, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 2, "exit \(result.status): \(result.stdout)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "\(result.stdout)", sourceLocation: sourceLocation)
        #expect(result.stderr.split(separator: "\n").count == 1, "expected one line, got: \(result.stderr)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(result.stderr.contains(fragment), "'\(fragment)' missing from: \(result.stderr)", sourceLocation: sourceLocation)
        }
    }

    func registered() async throws -> Sandbox {
        let sandbox = try Sandbox()
        let result = try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows"))
        try #require(result.status == 0, "\(result.stderr)")
        return sandbox
    }

    // MARK: Typos

    @Test func typosOfCommandsAndSubcommandsExitTwoWithTheNearestCommand() throws {
        let sandbox = try Sandbox()
        expectMistake(try sandbox.baton("flow", "lss"), "unknown command 'flow lss'; did you mean 'flow ls'?")
        expectMistake(try sandbox.baton("deployment", "lss"), "unknown command 'deployment lss'; did you mean 'deployment ls'?")
        expectMistake(try sandbox.baton("deployment", "inspcet", "x"), "unknown command 'deployment inspcet'; did you mean 'deployment inspect'?")
        expectMistake(try sandbox.baton("rnu"), "unknown command 'rnu'; did you mean 'run'?")
        expectMistake(try sandbox.baton("flwo", "ls"), "unknown command 'flwo'; did you mean 'flow ls'?")
        expectMistake(try sandbox.baton("xyzzy"), "unknown command 'xyzzy'; see `baton --help`")
        expectMistake(try sandbox.baton("flow", "zap"), "unknown command 'flow zap'; expected 'flow ls', 'flow versions' or 'flow inspect'")
        expectMistake(
            try sandbox.baton("flow"), "`baton flow` needs a command: 'flow ls', 'flow versions' or 'flow inspect'; see `baton flow --help`")
        // `baton run FLOW` takes any word; a flow that is not there but looks like a command says so.
        expectRefused(try sandbox.baton("run", "lss"), "unknown flow 'lss'", "did you mean `baton run ls`?")
        // No command at all is a mistake too: the overview goes to standard error.
        let bare = try sandbox.baton()
        #expect(bare.status == 2 && bare.stdout.isEmpty && bare.stderr.contains("USAGE: baton <command>"))
    }

    @Test func unknownOptionsExitTwoWithTheNearestOptionOfThatCommand() throws {
        let sandbox = try Sandbox()
        expectMistake(try sandbox.baton("flow", "ls", "--jsn"), "unknown option '--jsn' for `baton flow ls`; did you mean '--json'?")
        expectMistake(
            try sandbox.baton("deployment", "create", "echo", "--nmae", "x"),
            "unknown option '--nmae' for `baton deployment create`; did you mean '--name'?")
        expectMistake(
            try sandbox.baton("schedule", "preview", "--crno", "@daily"),
            "unknown option '--crno' for `baton schedule preview`; did you mean '--cron'?")
        expectMistake(try sandbox.baton("run", "ls", "--bogus"), "unknown option '--bogus' for `baton run ls`; see `baton run ls --help`")
        expectMistake(try sandbox.baton("--verison"), "unknown option '--verison'; did you mean '--version'?")
    }

    @Test func helpAskedForGoesToStandardOutputWithExitZero() throws {
        let sandbox = try Sandbox()
        for arguments in [["--help"], ["help"], ["-h"], ["flow", "--help"], ["flow", "help"], ["help", "flow", "ls"], ["deployment", "create", "--help"]] {
            let result = try sandbox.batonArguments(arguments)
            #expect(result.status == 0 && result.stderr.isEmpty && result.stdout.contains("USAGE: baton"), "\(arguments): \(result)")
        }
        #expect(try sandbox.baton("help", "flow", "ls").stdout == (try sandbox.baton("flow", "ls", "--help").stdout))
    }

    // MARK: Help screens

    /// The column where the descriptions of a help screen's two-column lists begin, line by line:
    /// the lines under COMMANDS:, ARGUMENTS: and OPTIONS: up to the next blank line.
    func descriptionColumns(_ screen: String) -> [(line: String, column: Int?)] {
        var found: [(String, Int?)] = []
        var inList = false
        for line in screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if ["COMMANDS:", "ARGUMENTS:", "OPTIONS:"].contains(line) {
                inList = true
                continue
            }
            if line.isEmpty { inList = false }
            guard inList else { continue }
            // Two spaces, the entry (single spaces inside), at least two spaces, the description.
            let match = line.firstMatch(of: /^  (\S+(?: \S+)*)  +(\S)/)
            found.append((line, match.map { line.distance(from: line.startIndex, to: $0.output.2.startIndex) }))
        }
        return found
    }

    func expectAligned(_ screen: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let columns = descriptionColumns(screen)
        #expect(!columns.isEmpty, "\(name) shows no list", sourceLocation: sourceLocation)
        for (line, column) in columns where column == nil {
            Issue.record("\(name): no two columns in '\(line)'", sourceLocation: sourceLocation)
        }
        let distinct = Set(columns.compactMap(\.column))
        #expect(distinct.count == 1, "\(name): descriptions start at columns \(distinct.sorted()):\n\(screen)", sourceLocation: sourceLocation)
    }

    @Test func everyHelpScreenAlignsItsColumnsWhateverTheCommandsLength() throws {
        let sandbox = try Sandbox()
        let overview = try sandbox.baton("--help").stdout
        expectAligned(overview, "baton --help")
        #expect(overview.contains("  deployment inspect   Show a deployment"), "the longest command is shown whole")
        #expect(overview.contains("  deployment backfill  Make runs"))
        let commands = descriptionColumns(overview).compactMap { entry in
            entry.line.firstMatch(of: /^  (\S+(?: \S+)*) {2}/).map { String($0.output.1).split(separator: " ").map(String.init) }
        }
        #expect(commands.count > 25, "\(commands)")
        for command in commands {
            expectAligned(try sandbox.batonArguments(command + ["--help"]).stdout, "baton \(command.joined(separator: " ")) --help")
        }
        for group in Set(commands.filter { $0.count == 2 }.map { $0[0] }) where group != "run" {
            expectAligned(try sandbox.baton(group, "--help").stdout, "baton \(group) --help")
        }
    }

    // MARK: run show

    /// The lines of `run show` text between a section's title and the next blank line.
    func section(_ text: String, _ title: String) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: title) else { return [] }
        return Array(lines[(start + 1)...].prefix { !$0.isEmpty })
    }

    @Test func runShowFoldsEachTaskRunIntoOneLineUnlessStatesIsGiven() async throws {
        let sandbox = try await registered()
        let run = try sandbox.baton("run", "flaky", "--json")
        try #require(run.status == 0, "\(run.stderr)")
        let id = try #require(run.json["id"]?.stringValue)
        let folded = section(try sandbox.baton("run", "show", id).stdout, "Task runs")
        #expect(folded.count == 2, "a heading and one line for the one task run: \(folded)")
        #expect(folded.first?.contains("TASK RUN") == true)
        let line = try #require(folded.last)
        #expect(line.hasPrefix("  flaky-step-0  Completed  2 "), "\(line)")
        #expect(line.hasSuffix("Pending → Running → AwaitingRetry → Retrying → Completed"), "\(line)")

        let detailed = section(try sandbox.baton("run", "show", id, "--states").stdout, "Task runs")
        #expect(detailed.first?.hasPrefix("  flaky-step-0  Completed  2 attempts") == true, "\(detailed)")
        let times = detailed.dropFirst().map { $0.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true) }
        #expect(times.map { $0.count > 1 ? $0[1].trimmingCharacters(in: [":"]) : "" } == ["Pending", "Running", "AwaitingRetry", "Retrying", "Completed"], "\(detailed)")
        #expect(times.allSatisfy { $0.first?.wholeMatch(of: /\d\d:\d\d:\d\d\.\d\d\d/) != nil }, "each state with its time: \(detailed)")
    }

    @Test func runShowListsGraphEdgesInTheOrderTheirTaskRunsWereCreated() async throws {
        let sandbox = try await registered()
        try #require(try sandbox.baton("register", Paths.root + "/flows/tables").status == 0)
        let run = try sandbox.baton("run", "tables", "--param", "count=4", "--param", "threshold=0", "--json")
        let id = try #require(run.json["id"]?.stringValue, "\(run.stderr)")
        let json = try sandbox.baton("run", "show", id, "--json").json
        let order = (json["taskRuns"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        let graph = section(try sandbox.baton("run", "show", id).stdout, "Graph").map { line in
            line.split(separator: " ").prefix(3).map(String.init)
        }
        // discover-0 feeds each validate one element of its list; each validate feeds aggregate-0.
        #expect(graph.count == 8, "\(graph)")
        let pairs = graph.map { (position[$0[0]] ?? -1, position[$0[2]] ?? -1) }
        #expect(pairs.allSatisfy { $0.0 >= 0 && $0.1 >= 0 }, "every edge names its task runs: \(graph)")
        #expect(zip(pairs, pairs.dropFirst()).allSatisfy { $0 <= $1 }, "by upstream, then downstream, in creation order: \(graph)")
        let aggregate = graph.filter { $0[2] == "aggregate-0" }.map { $0[0] }
        #expect(aggregate == ["validate-0", "validate-1", "validate-2", "validate-3"], "\(graph)")
        let discovered = graph.filter { $0[0] == "discover-0" }.map { $0[2] }
        #expect(discovered == ["validate-0", "validate-1", "validate-2", "validate-3"], "\(graph)")
        // Scripts get the same order.
        let ids = Dictionary(uniqueKeysWithValues: (json["taskRuns"]?.arrayValue ?? []).compactMap { task in
            task["id"]?.stringValue.flatMap { id in task["name"]?.stringValue.map { (id, $0) } }
        })
        let jsonEdges = (json["edges"]?.arrayValue ?? []).map { [ids[$0["upstream"]?.stringValue ?? ""] ?? "?", "→", ids[$0["downstream"]?.stringValue ?? ""] ?? "?"] }
        #expect(jsonEdges == graph, "\(jsonEdges)")
    }

    // MARK: Schedules that never fire

    @Test func aScheduleThatNeverFiresIsRefusedByDeploymentCreateAndFlaggedByPreview() async throws {
        let sandbox = try await registered()
        expectRefused(
            try sandbox.baton("deployment", "create", "echo", "--name", "feb", "--cron", "0 0 31 2 *"),
            "schedule 'cron 0 0 31 2 *' never fires after", "a schedule must fire within 5 years")
        expectRefused(
            try sandbox.baton("deployment", "create", "echo", "--name", "ended", "--rrule", "FREQ=DAILY;COUNT=3", "--anchor", "2020-01-01T09:00:00"),
            "never fires after", "within 5 years")
        expectRefused(
            try sandbox.baton("deployment", "create", "echo", "--name", "later", "--interval", "60", "--anchor", "2045-01-01T00:00:00Z"),
            "first fires at 2045-01-01T00:00:00+00:00, more than 5 years after", "within 5 years")
        #expect(try sandbox.baton("deployment", "ls", "--json").json == .array([]), "nothing was stored")
        let leap = try sandbox.baton("deployment", "create", "echo", "--name", "leap", "--cron", "0 0 29 2 *")
        #expect(leap.status == 0, "29 February fires within 5 years: \(leap.stderr)")

        expectRefused(
            try sandbox.baton("schedule", "preview", "--cron", "0 0 31 2 *"), "schedule 'cron 0 0 31 2 *' never fires after",
            "a schedule must fire within 5 years")
        expectRefused(
            try sandbox.baton("schedule", "preview", "--rrule", "FREQ=DAILY;COUNT=3", "--anchor", "2020-01-01T09:00:00", "--after", "2024-01-01"),
            "never fires after 2024-01-01T00:00:00+00:00")
        let before = try sandbox.baton(
            "schedule", "preview", "--rrule", "FREQ=DAILY;COUNT=3", "--anchor", "2020-01-01T09:00:00", "--after", "2019-12-31")
        #expect(before.status == 0, "\(before.stderr)")
        #expect(before.stdout.split(separator: "\n").count == 3)
    }

    @Test func theAPIRefusesAScheduleThatNeverFiresWithA400AndTheCLIThroughItToo() async throws {
        let server = try await ServerProcess.withFixtures(["--no-worker"])
        defer { _ = server.stop() }
        let refused = try server.post("/api/deployments", #"{"flow": "echo", "name": "feb", "cron": "0 0 31 2 *"}"#)
        #expect(refused.status == 400, "\(refused)")
        #expect(refused.error == "bad_request", "\(refused)")
        #expect(refused.field == "cron", "\(refused)")
        #expect(refused.message.contains("never fires after") && refused.message.contains("a schedule must fire within 5 years"), "\(refused)")
        let rrule = try server.post(
            "/api/deployments", #"{"flow": "echo", "name": "gone", "rrule": "FREQ=WEEKLY;COUNT=2", "anchor": "2021-03-01T10:00:00Z"}"#)
        #expect(rrule.status == 400 && rrule.field == "rrule", "\(rrule)")
        expectRefused(
            try server.sandbox.baton("deployment", "create", "echo", "--name", "feb", "--cron", "0 0 31 2 *", "--api", server.baseURL, environment: server.remote),
            "never fires after", "within 5 years")
        #expect(try server.get("/api/deployments").json["deployments"]?.arrayValue?.isEmpty == true)
    }
}
