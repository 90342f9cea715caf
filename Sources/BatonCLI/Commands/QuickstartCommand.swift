import BatonCore
import BatonRunner
import BatonServices
import BatonServer
import Foundation

enum QuickstartCommand {
    static let spec = CommandSpec(
        path: ["quickstart"],
        summary: "Build, register and run the example flows of flows/, then serve the web UI",
        details: """
            Builds each flow package under the flows folder in release, registers it, and runs each of its
            flows once with its default parameters. Files the flows write go to $BATON_HOME/quickstart.
            Then it starts the server (`baton server start`: API, web UI, scheduler and a worker) and prints
            the UI's address; Ctrl-C stops it.
            """,
        options: [
            .value("flows", "DIR", "The folder of flow packages (default: ./flows)"),
            .value("port", "N", "The server's port (default 4200)"),
            .flag("no-server", "Stop after the runs instead of serving the UI"),
        ],
        run: run)

    static func run(_ args: ParsedArguments, _ context: CommandContext) async throws -> Int32 {
        let folder = URL(fileURLWithPath: args.value("flows") ?? "flows").standardizedFileURL.path
        let fm = FileManager.default
        guard let entries = try? fm.contentsOfDirectory(atPath: folder) else {
            throw BatonError(
                .notFound, "no flows folder at '\(folder)'; run this from the baton checkout or pass --flows DIR")
        }
        let packages = entries.sorted().map { folder + "/" + $0 }.filter { fm.fileExists(atPath: $0 + "/Package.swift") }
        guard !packages.isEmpty else { throw BatonError(.notFound, "'\(folder)' holds no flow packages (folders with Package.swift)") }

        let out = context.out
        let services = try context.services()
        let caller = context.storeOwner
        out.line(out.bold("Baton quickstart") + " — store \(services.store.location)")
        var flows: [(flow: String, version: Int)] = []
        for package in packages {
            out.line()
            out.line(out.bold("Registering \((package as NSString).lastPathComponent)") + out.dim(" (a first release build takes a while)"))
            let reports = try services.registration.register(path: package, label: nil, source: nil, timeout: 30, progress: { line in
                if line.hasPrefix("[") || line.hasPrefix("Build") || line.hasPrefix("Building") || line.contains("error") {
                    out.line(out.dim("  \(line)"))
                }
            }, caller)
            for report in reports {
                for version in report.versions {
                    out.line("  \(version.flow) version \(version.version)\(version.created ? "" : " (already registered)")")
                    flows.append((version.flow, version.version))
                }
            }
        }

        let workspace = context.home.path + "/quickstart"
        try fm.createDirectory(atPath: workspace, withIntermediateDirectories: true)
        // Runners inherit this directory, so the flows' relative output paths land in the workspace.
        guard fm.changeCurrentDirectoryPath(workspace) else {
            throw BatonError(.io, "cannot enter the quickstart workspace \(workspace)")
        }

        var finals: [FlowRunRecord] = []
        for (flow, number) in flows {
            // Made here, supervised by this process as `baton run` does, with the defaults of its parameters.
            let started = try services.runs.create(flow: flow, .number(number), given: [:], .here, caller)
            out.line()
            out.line(out.bold("Running \(flow)"))
            let printer = RunPrinter(terminal: out, run: started.run)
            finals.append(try services.runs.execute(started.run.id, observer: printer.print, caller).final)
        }

        out.line()
        out.line(out.bold("Summary"))
        let rows = finals.map { run in
            [run.flow, "\(run.version)", String(run.id.prefix(8)), run.name, out.state(run.state), Format.duration(run.duration())]
        }
        out.line(FlowCommands.indent(Format.table(["FLOW", "VERSION", "RUN", "NAME", "STATE", "DURATION"], rows)))
        out.line()
        out.line("Outputs are in \(workspace).")
        let allCompleted = finals.allSatisfy { $0.state.type == .completed }
        if args.flag("no-server") {
            out.line(
                "Next (`baton …` with baton on PATH, else `swift run baton …`): baton flow ls, baton run ls, "
                    + "baton run show \(finals.first?.name ?? "<run>"), baton deployment ls, baton server start")
            return allCompleted ? 0 : 1
        }
        out.line()
        out.line(out.bold("Serving") + " the API, the web UI, the scheduler and a worker (the examples' default deployments run on their schedules)")
        var options = ServerOptions()
        if let port = try args.integer("port", minimum: 0) { options.port = port }
        // The UI asks for a login: a server admin of this store, let in by a one-time link.
        let admin = try services.access.localAdmin(caller)
        try ServerCommands.serve(options, context: context, started: Date(), loginUser: admin)
        return allCompleted ? 0 : 1
    }
}
