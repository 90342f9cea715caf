import BatonCore
import BatonSchedule
import BatonStore
import Foundation

/// `baton deployment …`: flows with parameters and schedules, run by the workers of a pool.
enum DeploymentCommands {
    static let all = [create, list, inspect, pause, resume, delete, run, backfill]

    static let create = CommandSpec(
        path: ["deployment", "create"], summary: "Deploy a flow: a version, parameters and a schedule for workers to run",
        details: """
            The scheduler (inside `baton worker start`) creates the deployment's runs ahead of their time,
            exactly once per fire time, and a worker of its pool starts each on time. Without --version it
            runs the latest version, also one registered later; with --version N it stays on N.

            EXAMPLES:
              baton deployment create windspeed --name oslo-wind --param city=Oslo --cron "*/15 * * * *"
              baton deployment create tables --name nightly --interval 86400 --anchor 2026-01-01T02:00:00 --timezone Europe/Berlin --catchup
            """,
        positionals: [PositionalSpec(name: "flow", help: "The flow to deploy")],
        options: [
            .value("name", "NAME", "The deployment's name, unique in this store"),
            .value("version", "latest|N", "The version to run (default latest)"),
            .value("param", "KEY=VALUE", "A parameter for its runs", repeatable: true),
            .value("params-file", "FILE", "Parameters from a JSON object"),
        ] + ScheduleCommands.scheduleOptions + [
            .value("pool", "NAME", "The worker pool that runs it (default 'default')"),
            .flag("catchup", "Give slots missed while no scheduler ran a run each (default: record them as skipped)"),
            .value("max-active", "N", "How many of its runs may run at once"),
            .value("working-directory", "DIR", "Where its runs execute (default: each in BATON_HOME/runs/<run id>/)"),
            .json,
        ]
    ) { args, context in
        let backend = try context.backend()
        let flow = args.positionals[0]
        guard let name = args.value("name") else {
            throw BatonError(.invalidInput, "--name is required: the deployment's name, as in --name nightly")
        }
        let version = try args.value("version").flatMap { try VersionChoice(parsing: $0, naming: "--version").number }
        let schema = try ParameterSchema(jsonSchema: backend.version(of: flow, number: version).parameters, flow: flow)
        let parameters = try ParameterInput.read(params: args.all("param"), file: args.value("params-file"), schema: schema)
        let deployment = try backend.createDeployment(NewDeployment(
            name: name, flow: flow, version: version, parameters: parameters,
            schedule: try ScheduleCommands.schedule(from: args, required: false),
            pool: args.value("pool") ?? DeploymentNames.defaultPool, catchup: args.flag("catchup"),
            maxActive: try args.integer("max-active", minimum: 1),
            workingDirectory: args.value("working-directory").map { URL(fileURLWithPath: $0).standardizedFileURL.path }))
        if args.flag("json") {
            context.out.line(Format.json(deployment))
        } else {
            context.out.line("Deployment '\(deployment.name)' of \(flow) \(version.map { "v\($0)" } ?? "(latest)") created: "
                + (deployment.schedule?.summary ?? "no schedule, runs on request") + ", pool '\(deployment.pool)'.")
            context.out.line(context.out.dim("A worker of the pool runs it: baton worker start --pool \(deployment.pool)"))
        }
        return 0
    }

    static let list = CommandSpec(
        path: ["deployment", "ls"], summary: "List deployments with their schedules and next runs",
        options: [.value("flow", "FLOW", "Only this flow's"), .json]
    ) { args, context in
        let deployments = try context.backend().deployments(flow: args.value("flow"))
        if args.flag("json") {
            context.out.line(Format.json(deployments))
            return 0
        }
        guard !deployments.isEmpty else {
            context.out.line("No deployments yet. Create one with `baton deployment create <flow> --name NAME --cron EXPR`.")
            return 0
        }
        let rows = deployments.map { deployment -> [String] in
            [
                context.out.bold(deployment.name), deployment.flow, deployment.pinned.map { "v\($0)" } ?? "latest",
                deployment.schedule?.summary ?? "-", deployment.paused ? "paused" : (deployment.next.first ?? "-"), deployment.pool,
            ]
        }
        context.out.line(Format.table(["DEPLOYMENT", "FLOW", "VERSION", "SCHEDULE", "NEXT", "POOL"], rows))
        return 0
    }

    static let inspect = CommandSpec(
        path: ["deployment", "inspect"], summary: "Show a deployment: schedule, next five fire times, parameters and runs",
        positionals: [PositionalSpec(name: "name", help: "The deployment")], options: [.json]
    ) { args, context in
        let backend = try context.backend()
        let deployment = try backend.deployment(named: args.positionals[0])
        let view = deployment
        if args.flag("json") {
            context.out.line(Format.json(view))
            return 0
        }
        var lines = [
            "\(context.out.bold(deployment.name)): flow \(deployment.flow) \(deployment.pinned.map { "v\($0)" } ?? "(latest version)")"
                + (deployment.isDefault ? ", the flow's default deployment" : ""),
            "  schedule     " + (deployment.schedule.map { $0.summary + ($0.kind == "rrule" ? " from \(Timestamps.iso($0.anchor ?? deployment.createdAt))" : "") } ?? "none (runs on request)"),
            "  in words     " + (deployment.schedule?.inWords ?? "-"),
            "  pool         \(deployment.pool)" + (deployment.maxActive.map { ", at most \($0) at once" } ?? ""),
            "  catchup      " + (deployment.catchup ? "on: missed slots get runs" : "off: missed slots are skipped"),
            "  state        " + (deployment.paused ? context.out.bold("paused") : "active"),
            "  parameters   " + (deployment.parameters.isEmpty ? "the version's defaults" : JSONValue.object(deployment.parameters).jsonText),
        ]
        if !view.next.isEmpty {
            lines.append("  next         " + view.next.joined(separator: "\n               "))
        }
        lines.append("  runs         \(view.scheduledRuns) scheduled, \(view.activeRuns) active, \(view.skippedSlots) slot(s) skipped")
        context.out.line(lines.joined(separator: "\n"))
        // The runs ahead are the `next` above; the table holds the latest that ran or are due.
        let runs = try backend.flowRuns(FlowRunQuery(deployment: deployment.name, when: .past, limit: 10))
        if !runs.isEmpty {
            context.out.line("")
            context.out.line(Format.table(
                ["RUN", "NAME", "VERSION", "STATE", "SCHEDULED"],
                runs.map { ["\($0.id.prefix(8))", $0.name, "v\($0.version)", context.out.state($0), $0.scheduledTime.map(Format.dateTime) ?? "-"] }))
        }
        return 0
    }

    static let pause = CommandSpec(
        path: ["deployment", "pause"], summary: "Pause a deployment: its runs not yet started are removed and no new ones are made",
        positionals: [PositionalSpec(name: "name", help: "The deployment")]
    ) { args, context in
        let deployment = try context.backend().setPaused(args.positionals[0], true)
        context.out.line("Deployment '\(deployment.name)' is paused.")
        return 0
    }

    static let resume = CommandSpec(
        path: ["deployment", "resume"], summary: "Resume a deployment (slots missed while paused are replayed only with catchup)",
        positionals: [PositionalSpec(name: "name", help: "The deployment")]
    ) { args, context in
        let deployment = try context.backend().setPaused(args.positionals[0], false)
        context.out.line("Deployment '\(deployment.name)' is active again" + (deployment.catchup ? "; slots missed while it was paused will run." : "."))
        return 0
    }

    static let delete = CommandSpec(
        path: ["deployment", "delete"], summary: "Delete a deployment and its runs that have not started",
        positionals: [PositionalSpec(name: "name", help: "The deployment")]
    ) { args, context in
        try context.backend().deleteDeployment(args.positionals[0])
        context.out.line("Deployment '\(args.positionals[0])' is deleted; its finished runs are kept.")
        return 0
    }

    static let run = CommandSpec(
        path: ["deployment", "run"], summary: "Make a run of a deployment now, for a worker of its pool to start",
        positionals: [PositionalSpec(name: "name", help: "The deployment")],
        options: [
            .value("param", "KEY=VALUE", "A parameter for this run only", repeatable: true), .value("params-file", "FILE", "Parameters from a JSON object"),
            .flag("follow", "Print what the run does once a worker starts it, until it is over; exit as `baton run` does"), .json,
        ]
    ) { args, context in
        let backend = try context.backend()
        let deployment = try backend.deployment(named: args.positionals[0])
        let schema = try ParameterSchema(jsonSchema: backend.version(of: deployment.flow, number: deployment.pinned).parameters, flow: deployment.flow)
        let overrides = try ParameterInput.read(params: args.all("param"), file: args.value("params-file"), schema: schema)
        let run = try backend.runDeployment(deployment.name, overrides: overrides)
        let json = args.flag("json")
        if args.flag("follow") {
            let terminal = json ? context.err : context.out
            terminal.line(terminal.dim("Run '\(run.name)' (\(run.id.prefix(8))) of deployment '\(deployment.name)' waits for a worker of pool '\(deployment.pool)'"))
            let final = try backend.follow(run, printer: RunPrinter(terminal: terminal, run: run), after: 0)
            return RunCommands.report(final, context: context, json: json)
        }
        if json {
            context.out.line(Format.json(run))
        } else {
            context.out.line("Run '\(run.name)' (\(run.id.prefix(8))) of deployment '\(deployment.name)' is scheduled now; a worker of pool '\(deployment.pool)' will start it.")
        }
        return 0
    }

    static let backfill = CommandSpec(
        path: ["deployment", "backfill"], summary: "Make runs for every fire time of a deployment in a range (again: none twice)",
        positionals: [PositionalSpec(name: "name", help: "The deployment")],
        options: [.value("from", "ISO", "The first time of the range"), .value("to", "ISO", "The last time of the range (included)"), .json]
    ) { args, context in
        let backend = try context.backend()
        let deployment = try backend.deployment(named: args.positionals[0])
        guard let fromText = args.value("from"), let toText = args.value("to") else {
            throw BatonError(.invalidInput, "--from and --to are required: the range of fire times, as in --from 2026-01-01 --to 2026-01-31T23:59:59")
        }
        let zone = try ZoneRules.named(deployment.timezone ?? "UTC")
        let from = Date(timeIntervalSince1970: Double(try ScheduleTime.parse(fromText, in: zone)))
        let to = Date(timeIntervalSince1970: Double(try ScheduleTime.parse(toText, in: zone)))
        let (created, existing) = try backend.backfill(deployment.name, from: from, through: to)
        if args.flag("json") {
            context.out.line(Format.json(["created": created, "existing": existing]))
        } else {
            context.out.line("Backfill of '\(deployment.name)': \(created) run(s) created, \(existing) slot(s) already had one.")
        }
        return 0
    }
}

extension DeploymentView {
    /// The version it is pinned to; nil when it runs the latest.
    var pinned: Int? { Int(version) }
}
