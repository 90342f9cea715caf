import BatonCore
import BatonRunner
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
            it failed, 3 when it crashed and 130 when it was interrupted. Through a server (--api URL or
            BATON_API_URL) a worker of the server runs it, its lines come from the server's live events, and
            Ctrl-C cancels it on the server.

            SUBCOMMANDS: baton run ls | show RUN | logs RUN | cancel RUN | resume RUN
            (`baton run start FLOW` runs a flow named like a subcommand)

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
        let backend = try context.backend()
        let hold = holdInterrupts()
        defer { Interrupts.remove(hold) }
        sweepOrphans(backend, context: context)
        let version = try backend.version(of: args.positionals[0], number: try args.integer("version", minimum: 1))
        let schema = try ParameterSchema(jsonSchema: version.parameters, flow: version.flow)
        let given = try ParameterInput.read(params: args.all("param"), file: args.value("params-file"), schema: schema)
        if let stopped = interruptedBeforeStart(context) { return stopped }
        let started = try backend.start(.new(flow: version.flow, version: version.version, given: given))
        return try execute(started.run, backend: backend, context: context, json: args.flag("json"))
    }

    /// Keeps a Ctrl-C or SIGTERM during start-up from ending the process at once (which could leave
    /// a run just created with nobody to carry it): the run's supervisor, registering later, hears
    /// the signal at once and cancels the run. Returns the token to remove.
    static func holdInterrupts() -> Int { Interrupts.add { _ in } }

    /// The exit status of a command interrupted before it created its run, if it was.
    static func interruptedBeforeStart(_ context: CommandContext) -> Int32? {
        guard let signal = Interrupts.signalReceived else { return nil }
        context.err.line("interrupted before the run started")
        return 128 + signal
    }

    /// Crashes the runs of the local store whose supervisor died (a `baton run` killed, say) and
    /// schedules again those whose flow retries, as every `baton run` and `baton run ls` does first;
    /// a server does this itself.
    static func sweepOrphans(_ backend: any Backend, context: CommandContext) {
        do {
            if let line = try backend.sweepOrphans() { context.err.line(context.err.dim(line)) }
        } catch {
            context.err.line("warning: runs whose supervisor died could not be ended: \(error)")
        }
    }

    /// Carries a created run to its end, streaming its events, and reports how it ended.
    static func execute(_ run: RunView, backend: any Backend, context: CommandContext, json: Bool) throws -> Int32 {
        let terminal = json ? context.err : context.out
        terminal.line(
            terminal.dim("Running \(run.flow) version \(run.version) as '\(run.name)' (\(run.id.prefix(8))) with \(Format.parameters(run.parameters))"))
        let final = try backend.carry(run, printer: RunPrinter(terminal: terminal, run: run))
        return report(final, context: context, json: json)
    }

    /// Prints how a run ended (its view, with --json) and returns the exit status its state means.
    static func report(_ final: RunView, context: CommandContext, json: Bool) -> Int32 {
        let terminal = json ? context.err : context.out
        if json {
            context.out.line(Format.json(final))
        } else {
            let message = final.message.map { ": \($0)" } ?? ""
            terminal.line(
                "Flow run '\(final.name)' (\(final.id.prefix(8))) of \(final.flow) version \(final.version) "
                    + "\(terminal.state(final)) in \(Format.duration(final.durationSeconds))\(message)")
            if let result = final.result, final.stateType == .completed {
                let text = result.jsonText
                terminal.line("Result: " + (text.count > 300 ? text.prefix(297) + "..." : text))
            }
        }
        return exitCode(final.stateType)
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
        let backend = try context.backend()
        let hold = holdInterrupts()
        defer { Interrupts.remove(hold) }
        let original = try backend.flowRun(args.positionals[0])
        let version = try args.value("version").map { try VersionChoice(parsing: $0, naming: "--version") }
        if let stopped = interruptedBeforeStart(context) { return stopped }
        let started = try backend.start(.rerun(original: original, version: version))
        return try execute(started.run, backend: backend, context: context, json: args.flag("json"))
    }

    static let resume = CommandSpec(
        path: ["run", "resume"],
        summary: "Run a failed, crashed or cancelled run again as its next attempt, reusing completed task results",
        details: """
            The run keeps its id, version and parameters. Every task call whose task and input match a task run
            that completed in an earlier attempt returns that result at once (a completed state named Cached)
            instead of running again.
            """,
        positionals: [PositionalSpec(name: "run", help: "The run's id, id prefix or name")], options: [.json]
    ) { args, context in
        let backend = try context.backend()
        let hold = holdInterrupts()
        defer { Interrupts.remove(hold) }
        let original = try backend.flowRun(args.positionals[0])
        if let stopped = interruptedBeforeStart(context) { return stopped }
        let started = try backend.start(.resume(original))
        let run = started.run
        let reuse = started.reusable.map { " with \($0) completed task result\($0 == 1 ? "" : "s") to reuse" } ?? ", reusing its completed task results"
        context.err.line(context.err.dim("Resuming '\(run.name)' as attempt \(run.attempt)\(reuse)"))
        return try execute(run, backend: backend, context: context, json: args.flag("json"))
    }

    static let cancel = CommandSpec(
        path: ["run", "cancel"],
        summary: "Cancel a run: cancelling, then cancelled once its runner has stopped",
        positionals: [PositionalSpec(name: "run", help: "The run's id, id prefix or name")],
        options: [.value("timeout", "SECONDS", "How long to wait for the run to stop (default 60)"), .json]
    ) { args, context in
        let backend = try context.backend()
        let timeout = try args.seconds("timeout") ?? 60
        let requested = try backend.flowRun(args.positionals[0])
        let run = try backend.cancel(requested, timeout: timeout) {
            context.err.line(context.err.dim("Cancelling '\(requested.name)'; waiting for its runner to stop…"))
        }
        if args.flag("json") {
            context.out.line(Format.json(run))
        } else {
            context.out.line("Flow run '\(run.name)' (\(run.id.prefix(8))) is \(context.out.state(run))" + (run.message.map { ": \($0)" } ?? ""))
        }
        return run.stateType == .cancelled ? 0 : 1
    }
}
