import BatonCore
import BatonRunner
import BatonStore
import Foundation

enum RunCommands {
    static let runOptions: [OptionSpec] = [
        .value("version", "N", "The version to run (default: the latest)"),
        .value("param", "KEY=VALUE", "A parameter for this run; repeat for several", repeatable: true),
        .value("params-file", "FILE", "A JSON object of parameters; --param values override it"),
        .json,
    ]

    static let start = CommandSpec(
        path: ["run"],
        summary: "Run a flow now, in a child process, and stream its logs",
        details: """
            Parameters are checked against the version's manifest before the run starts: unknown names and
            wrong types are refused, missing ones take their defaults. Exits 0 when the run completed, 1 when
            it failed, 3 when it crashed and 130 when it was interrupted.

            SUBCOMMANDS: baton run ls | show RUN | logs RUN   (`baton run start FLOW` runs a flow named like one)

            EXAMPLES:
              baton run windspeed --param city=Denver
              baton run windspeed --version 1 --params-file params.json
            """,
        positionals: [PositionalSpec(name: "flow", help: "The flow to run")], options: runOptions,
        run: runFlow)

    static let startExplicit = CommandSpec(
        path: ["run", "start"], summary: "Run a flow now (the same as `baton run FLOW`)",
        positionals: [PositionalSpec(name: "flow", help: "The flow to run")], options: runOptions, hidden: true,
        run: runFlow)

    static func runFlow(_ args: ParsedArguments, _ context: CommandContext) async throws -> Int32 {
        let store = try context.store()
        let version = try store.version(of: args.positionals[0], number: try args.integer("version", minimum: 1))
        let schema = try version.manifest.parameterSchema()
        let given = try ParameterInput.read(params: args.all("param"), file: args.value("params-file"), schema: schema)
        let parameters = try schema.resolve(given)
        let run = try store.createFlowRun(NewFlowRun(flow: version.flow, version: version.number, parameters: parameters))
        return try execute(run, store: store, context: context, json: args.flag("json"))
    }

    /// Executes a created run in a runner child, streaming its events, and reports how it ended.
    static func execute(_ run: FlowRunRecord, store: any Store, context: CommandContext, json: Bool) throws -> Int32 {
        let terminal = json ? context.err : context.out
        terminal.line(
            terminal.dim("Running \(run.flow) version \(run.version) as '\(run.name)' (\(run.id.prefix(8))) with \(Format.parameters(run.parameters))"))
        let printer = RunPrinter(terminal: terminal, runName: run.name)
        let final = try RunSupervisor(store: store).execute(run, observer: printer.print)
        if json {
            context.out.line(Format.json(RunView(final)))
        } else {
            let message = final.state.message.map { ": \($0)" } ?? ""
            terminal.line(
                "Flow run '\(final.name)' (\(final.id.prefix(8))) of \(final.flow) version \(final.version) "
                    + "\(terminal.state(final.state)) in \(Format.duration(final.duration()))\(message)")
            if let result = final.result, final.state.type == .completed {
                let text = result.jsonText
                terminal.line("Result: " + (text.count > 300 ? text.prefix(297) + "..." : text))
            }
        }
        return exitCode(final.state.type)
    }

    static func exitCode(_ state: StateType) -> Int32 {
        switch state {
        case .completed: 0
        case .failed: 1
        case .crashed: 3
        case .cancelled, .cancelling: 130
        default: 1
        }
    }

    static let rerun = CommandSpec(
        path: ["rerun"],
        summary: "Run a flow run again with the same parameters, on its version or another",
        details: """
            EXAMPLES:
              baton rerun brave-otter
              baton rerun 3f2a9c1d --version latest
            """,
        positionals: [PositionalSpec(name: "run", help: "The run's id, id prefix or name")],
        options: [.value("version", "N|latest", "The version to run (default: the run's own)"), .json]
    ) { args, context in
        let store = try context.store()
        let original = try store.flowRun(args.positionals[0])
        let number: Int?
        switch args.value("version") {
        case nil: number = original.version
        case "latest"?: number = nil
        case let text?:
            guard let n = Int(text), n >= 1 else {
                throw BatonError(.invalidInput, "--version '\(text)' is not valid: expected a version number or 'latest'")
            }
            number = n
        }
        let version = try store.version(of: original.flow, number: number)
        let parameters: [String: JSONValue]
        do {
            parameters = try version.manifest.parameterSchema().resolve(original.parameters)
        } catch let error as BatonError {
            throw BatonError(
                .invalidInput, "the parameters of run '\(original.name)' do not fit version \(version.number): \(error.message)")
        }
        let run = try store.createFlowRun(
            NewFlowRun(flow: version.flow, version: version.number, parameters: parameters, rerunOf: original.id))
        return try execute(run, store: store, context: context, json: args.flag("json"))
    }

    static let list = CommandSpec(
        path: ["run", "ls"], summary: "List flow runs, newest first",
        options: [
            .value("flow", "NAME", "Only runs of this flow"), .value("version", "N", "Only runs of this version"),
            .value("state", "STATE", "Only runs in this state (\(StateType.allCases.map(\.rawValue).joined(separator: ", ")))"),
            .value("limit", "N", "How many runs to show (default 20)"), .json,
        ]
    ) { args, context in
        var query = FlowRunQuery(flow: args.value("flow"), version: try args.integer("version", minimum: 1), limit: try args.integer("limit", minimum: 1) ?? 20)
        if let text = args.value("state") {
            guard let state = StateType(rawValue: text.lowercased()) else {
                throw BatonError(
                    .invalidInput, "--state '\(text)' is not a state; expected one of \(StateType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.state = state
        }
        let store = try context.store()
        if let flow = query.flow { _ = try store.versions(of: flow) }
        let runs = try store.flowRuns(query)
        if args.flag("json") {
            context.out.line(Format.json(runs.map(RunView.init)))
            return 0
        }
        guard !runs.isEmpty else {
            context.out.line("No flow runs\(query.flow.map { " of \($0)" } ?? "") yet. Start one with `baton run <flow>`.")
            return 0
        }
        let out = context.out
        let rows = runs.map { run in
            [
                String(run.id.prefix(8)), run.name, run.flow, "\(run.version)", out.state(run.state),
                Format.dateTime(run.startTime ?? run.createdAt), Format.duration(run.duration()),
            ]
        }
        out.line(Format.table(["ID", "NAME", "FLOW", "VERSION", "STATE", "START", "DURATION"], rows))
        return 0
    }

    static let show = CommandSpec(
        path: ["run", "show"], summary: "Show a flow run: state history, task runs and attempts, parameters, result",
        positionals: [PositionalSpec(name: "run", help: "The run's id, id prefix or name")], options: [.json]
    ) { args, context in
        let store = try context.store()
        let run = try store.flowRun(args.positionals[0])
        let tasks = try store.taskRuns(flowRunID: run.id)
        let states = try store.states(flowRunID: run.id)
        if args.flag("json") {
            struct Show: Encodable {
                var run: RunView
                var states: [RunState]
                var taskRuns: [TaskRunRecord]
                var taskRunStates: [String: [RunState]]
            }
            var taskStates: [String: [RunState]] = [:]
            for record in states { if let id = record.taskRunID { taskStates[id, default: []].append(record.state) } }
            context.out.line(
                Format.json(
                    Show(run: RunView(run), states: states.filter { $0.taskRunID == nil }.map(\.state), taskRuns: tasks, taskRunStates: taskStates)))
            return 0
        }
        let out = context.out
        let version = try? store.version(of: run.flow, number: run.version)
        var facts: [(String, String)] = [
            ("Flow run", "\(out.bold(run.name)) (\(run.id))"),
            ("Flow", "\(run.flow) version \(run.version)" + (version.map { " (sha256 \($0.shortHash)\($0.label.map { ", label \"\($0)\"" } ?? ""))" } ?? "")),
            ("State", out.state(run.state) + (run.state.message.map { ": \($0)" } ?? "")),
            ("Created", Format.dateTime(run.createdAt) + " (\(Format.ago(run.createdAt)))"),
            ("Duration", Format.duration(run.duration())),
            ("Parameters", Format.parameters(run.parameters)),
            ("Result", run.result?.jsonText ?? "-"),
        ]
        if let rerunOf = run.rerunOf { facts.append(("Rerun of", String(rerunOf.prefix(8)))) }
        for (key, value) in facts { out.line(key.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
        out.line()
        out.line(out.bold("State history"))
        for record in states where record.taskRunID == nil {
            out.line("  \(Format.clock(record.state.timestamp))  \(out.state(record.state))" + (record.state.message.map { ": \($0)" } ?? ""))
        }
        out.line()
        out.line(out.bold("Task runs"))
        if tasks.isEmpty { out.line("  (none)") }
        for task in tasks {
            let took = task.startTime.map { start in Format.duration((task.endTime ?? Date()).timeIntervalSince(start)) } ?? "-"
            out.line("  \(out.bold(task.name))  \(out.state(task.state))  \(task.attempts) attempt\(task.attempts == 1 ? "" : "s")  \(took)")
            for record in states where record.taskRunID == task.id {
                out.line(out.dim("      \(Format.clock(record.state.timestamp))  ") + out.state(record.state) + (record.state.message.map { ": \($0)" } ?? ""))
            }
        }
        return 0
    }

    static let logs = CommandSpec(
        path: ["run", "logs"], summary: "Print the log lines of a flow run",
        positionals: [PositionalSpec(name: "run", help: "The run's id, id prefix or name")],
        options: [.value("level", "LEVEL", "Only lines at this level or above (debug, info, warning, error)")]
    ) { args, context in
        let store = try context.store()
        let run = try store.flowRun(args.positionals[0])
        var minimum = LogLevel.debug
        if let text = args.value("level") {
            guard let level = LogLevel.allCases.first(where: { $0.name.lowercased() == text.lowercased() }) else {
                throw BatonError(.invalidInput, "--level '\(text)' is not a level; expected debug, info, warning or error")
            }
            minimum = level
        }
        let printer = RunPrinter(terminal: context.out, runName: run.name)
        var after: Int64 = 0
        while true {
            let page = try store.logs(flowRunID: run.id, afterID: after, limit: 1000)
            for record in page where record.level >= minimum {
                printer.line(record.timestamp, record.level, record.taskRunName, record.message)
            }
            guard let last = page.last, page.count == 1000 else { break }
            after = last.id
        }
        return 0
    }
}
