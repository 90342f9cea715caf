import BatonCore
import BatonStore
import Foundation

extension RunCommands {
    static let list = CommandSpec(
        path: ["run", "ls"], summary: "List flow runs that started or ended, newest first (--upcoming: those scheduled ahead)",
        details: """
            By default the runs that started, ended or are due, newest first by start time (a run not
            started yet is placed at its scheduled time, else when it was made). A scheduled run not
            started within \(Int(RunTiming.lateGrace)) s of its time reads as Late, whether or not a scheduler is running.
            --upcoming lists the runs scheduled for a later time instead, soonest first; --all lists both.

            EXAMPLES:
              baton run ls --flow windspeed --limit 5
              baton run ls --upcoming --deployment windspeed
            """,
        options: [
            .value("flow", "NAME", "Only runs of this flow"), .value("version", "N", "Only runs of this version"),
            .value("state", "STATE", "Only runs in this state (\(StateType.allCases.map(\.rawValue).joined(separator: ", ")))"),
            .value("deployment", "NAME", "Only runs of this deployment"),
            .flag("upcoming", "List the runs scheduled for a later time, soonest first"),
            .flag("all", "List past and upcoming runs together, newest first"),
            .value("limit", "N", "How many runs to show (default 20)"), .json,
        ]
    ) { args, context in
        var query = FlowRunQuery(
            flow: args.value("flow"), version: try args.integer("version", minimum: 1), deployment: args.value("deployment"),
            when: try when(args), limit: try args.integer("limit", minimum: 1) ?? 20)
        if let text = args.value("state") {
            guard let state = StateType(rawValue: text.lowercased()) else {
                throw BatonError(
                    .invalidInput, "--state '\(text)' is not a state; expected one of \(StateType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.state = state
        }
        let backend = try context.backend()
        RunCommands.sweepOrphans(backend, context: context)
        if let flow = query.flow { _ = try backend.versions(of: flow) }
        if let deployment = query.deployment { _ = try backend.deployment(named: deployment) }
        let runs = try backend.flowRuns(query)
        if args.flag("json") {
            context.out.line(Format.json(runs))
            return 0
        }
        let out = context.out
        let upcoming = query.when == .upcoming
        if runs.isEmpty {
            let of = query.flow.map { " of \($0)" } ?? ""
            out.line(upcoming ? "No upcoming runs\(of): nothing is scheduled ahead." : "No flow runs\(of) yet. Start one with `baton run <flow>`.")
        } else {
            let rows = runs.map { run in
                [
                    String(run.id.prefix(8)), run.name, run.flow, "\(run.version)", out.state(run),
                    Format.dateTime(upcoming ? run.scheduledTime ?? run.listTime : run.listTime),
                    upcoming ? (run.deployment ?? "-") : Format.duration(run.durationSeconds),
                ]
            }
            let last = upcoming ? ["SCHEDULED", "DEPLOYMENT"] : ["START", "DURATION"]
            out.line(Format.table(["ID", "NAME", "FLOW", "VERSION", "STATE"] + last, rows))
        }
        if query.when == .past {
            var ahead = query
            ahead.when = .upcoming
            ahead.limit = 1
            if try !backend.flowRuns(ahead).isEmpty {
                out.line(out.dim("Runs scheduled ahead are not listed: `baton run ls --upcoming` lists them."))
            }
        }
        return 0
    }

    /// Which runs `run ls` lists: past ones unless --upcoming or --all says otherwise.
    static func when(_ args: ParsedArguments) throws -> RunWhen {
        switch (args.flag("upcoming"), args.flag("all")) {
        case (true, true): throw BatonError(.invalidInput, "--upcoming and --all cannot go together: give one (--all lists upcoming runs too)")
        case (true, false): .upcoming
        case (false, true): .all
        case (false, false): .past
        }
    }

    static let show = CommandSpec(
        path: ["run", "show"],
        summary: "Show a flow run: state history, task runs and attempts, graph, subflows, artifacts, parameters, result",
        positionals: [PositionalSpec(name: "run", help: "The run's id, id prefix or name")],
        options: [.flag("states", "List every state of each task run, with its time and message (default: one line each)"), .json]
    ) { args, context in
        let backend = try context.backend()
        var details = try backend.details(of: try backend.flowRun(args.positionals[0]))
        details.edges = inCreationOrder(details.edges, of: details.taskRuns)
        let (run, tasks, edges, subflows, artifacts) = (details.run, details.taskRuns, details.edges, details.subflowRuns, details.artifacts)
        if args.flag("json") {
            // The version is for the text below; scripts have the run's version number.
            var shown = details
            shown.version = nil
            context.out.line(Format.json(shown))
            return 0
        }
        let out = context.out
        let version = details.version
        var facts: [(String, String)] = [
            ("Flow run", "\(out.bold(run.name)) (\(run.id))"),
            ("Flow", "\(run.flow) version \(run.version)" + (version.map { " (sha256 \($0.hash.prefix(12))\($0.label.map { ", label \"\($0)\"" } ?? ""))" } ?? "")),
            ("State", out.state(run) + (run.message.map { ": \($0)" } ?? "")),
            ("Attempt", "\(run.attempt)"),
            ("Created", Format.dateTime(run.createdAt) + " (\(Format.ago(run.createdAt)))"),
            ("Duration", Format.duration(run.durationSeconds)),
            ("Parameters", Format.parameters(run.parameters)),
            ("Result", run.result.map { Format.truncated($0.jsonText, 300) } ?? "-"),
        ]
        if let rerunOf = run.rerunOf { facts.append(("Rerun of", String(rerunOf.prefix(8)))) }
        if let parent = run.parentFlowRunID { facts.append(("Subflow of", String(parent.prefix(8)))) }
        if let deployment = run.deployment {
            let scheduled = run.scheduledTime.map { ", scheduled for \(Format.dateTime($0))" } ?? ""
            facts.append(("Deployment", deployment + scheduled + (run.pool.map { ", pool \($0)" } ?? "")))
        }
        for (key, value) in facts { out.line(key.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
        out.line()
        out.line(out.bold("State history"))
        for state in details.states {
            out.line("  \(Format.clock(state.timestamp))  \(out.state(state))" + (state.message.map { ": \($0)" } ?? ""))
        }
        out.line()
        out.line(out.bold("Task runs") + (tasks.count > 200 ? out.dim(" (the first 200 of \(tasks.count); --json lists all)") : ""))
        if tasks.isEmpty { out.line("  (none)") }
        let shown = Array(tasks.prefix(200))
        // A resumed run's task runs, by the attempt of the flow run they belong to.
        let attemptLine = { (index: Int) -> String? in
            let attempt = shown[index].flowRunAttempt
            guard run.attempt > 1, index == 0 || shown[index - 1].flowRunAttempt != attempt else { return nil }
            return out.dim("  attempt \(attempt)")
        }
        let byID = details.taskRunStates
        if args.flag("states") {
            for (index, task) in shown.enumerated() {
                if let line = attemptLine(index) { out.line(line) }
                out.line("  \(out.bold(task.name))  \(out.state(task.state))  \(task.attempts) attempt\(task.attempts == 1 ? "" : "s")  \(took(task))\(kind(task))")
                for state in byID[task.id] ?? [] {
                    out.line(out.dim("      \(Format.clock(state.timestamp))  ") + out.state(state) + (state.message.map { ": \($0)" } ?? ""))
                }
            }
        } else if !shown.isEmpty {
            let rows = shown.map { task in
                [out.bold(task.name), out.state(task.state), "\(task.attempts)", took(task), folded(byID[task.id] ?? [task.state], out) + kind(task)]
            }
            let lines = Format.table(["TASK RUN", "STATE", "ATTEMPTS", "DURATION", "HISTORY"], rows).split(separator: "\n", omittingEmptySubsequences: false)
            out.line("  " + out.dim(String(lines[0])))
            for (index, line) in lines.dropFirst().enumerated() {
                if let separator = attemptLine(index) { out.line(separator) }
                out.line("  " + line)
            }
        }
        if !edges.isEmpty {
            let names = Dictionary(tasks.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
            out.line()
            out.line(out.bold("Graph"))
            let name = { (id: String) in names[id] ?? String(id.prefix(8)) }
            out.line(Format.columns(edges.prefix(200).map { ("\(name($0.upstream)) → \(name($0.downstream))", out.dim($0.kind)) }))
        }
        if !subflows.isEmpty {
            out.line()
            out.line(out.bold("Subflow runs"))
            for sub in subflows {
                out.line("  \(sub.name) (\(sub.id.prefix(8)))  \(sub.flow) version \(sub.version)  \(out.state(sub))")
            }
        }
        if !artifacts.isEmpty {
            out.line()
            out.line(out.bold("Artifacts"))
            for artifact in artifacts.reversed() { out.line("  \(artifact.key)  \(artifact.kind)" + (artifact.description.map { "  \($0)" } ?? "")) }
        }
        return 0
    }

    /// How long a task run took (so far), or `-` before it started.
    static func took(_ task: TaskRunRecord) -> String {
        task.startTime.map { start in Format.duration((task.endTime ?? Date()).timeIntervalSince(start)) } ?? "-"
    }

    static func kind(_ task: TaskRunRecord) -> String {
        task.kind == "subflow" ? "  subflow run \(task.childFlowRunID.map { String($0.prefix(8)) } ?? "")" : ""
    }

    /// A task run's states on one line, `Pending → Running → Completed`, with the last one's message;
    /// a long history keeps its first two and last three states around how many it leaves out.
    static func folded(_ states: [RunState], _ out: Terminal) -> String {
        var names = states.map { out.state($0) }
        if names.count > 8 { names = names.prefix(2) + [out.dim("… \(names.count - 5) more …")] + names.suffix(3) }
        let message = states.last?.message.map { ": " + Format.truncated($0.split(separator: "\n").first.map(String.init) ?? "", 120) } ?? ""
        return names.joined(separator: " → ") + message
    }

    /// Graph edges by the creation order of their task runs: upstream first, then downstream, so that
    /// `validate-0 → aggregate-0` comes before `validate-1 → aggregate-0`.
    static func inCreationOrder(_ edges: [TaskRunEdge], of tasks: [TaskRunRecord]) -> [TaskRunEdge] {
        let position = Dictionary(tasks.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        return edges.sorted {
            (position[$0.upstream] ?? Int.max, position[$0.downstream] ?? Int.max, $0.kind)
                < (position[$1.upstream] ?? Int.max, position[$1.downstream] ?? Int.max, $1.kind)
        }
    }

    static let logs = CommandSpec(
        path: ["run", "logs"], summary: "Print the log lines of a flow run",
        positionals: [PositionalSpec(name: "run", help: "The run's id, id prefix or name")],
        options: [
            .value("level", "LEVEL", "Only lines at this level or above (debug, info, warning, error)"),
            .flag("follow", "Keep printing new lines as they are written, until the run is over"),
        ]
    ) { args, context in
        let backend = try context.backend()
        let run = try backend.flowRun(args.positionals[0])
        let printer = RunPrinter(terminal: context.out, run: run)
        printer.showsTaskRuns = false
        if let text = args.value("level") {
            guard let level = LogLevel.allCases.first(where: { $0.name.lowercased() == text.lowercased() }) else {
                throw BatonError(.invalidInput, "--level '\(text)' is not a level; expected debug, info, warning or error")
            }
            printer.minimumLevel = level
        }
        var after: Int64 = 0
        while true {
            let page = try backend.logs(flowRunID: run.id, after: after, limit: 1000)
            for line in page { printer.print(log: line) }
            after = page.last?.id ?? after
            if page.count < 1000 { break }
        }
        if args.flag("follow") { _ = try backend.follow(run, printer: printer, after: after) }
        return 0
    }
}
