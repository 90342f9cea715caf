import BatonCore
import BatonRunner
import Foundation

/// The `baton` command line: `baton <noun> <verb>`, `--help` everywhere, `--json` for scripts, errors
/// on one line of standard error, exit status 0 only on success.
public enum BatonCommandLine {
    static let commands: [CommandSpec] = [
        RegisterCommand.spec,
        FlowCommands.list, FlowCommands.versions, FlowCommands.inspect,
        RunCommands.start, RunCommands.startExplicit, RunCommands.list, RunCommands.show, RunCommands.logs,
        RunCommands.cancel, RunCommands.resume, RunCommands.rerun,
        EngineCommands.cacheClear, EngineCommands.limitSet, EngineCommands.limitList, EngineCommands.limitRemove,
        EngineCommands.artifactList, EngineCommands.artifactShow,
        ScheduleCommands.preview,
    ] + DeploymentCommands.all + [
        WorkerCommands.start, WorkerCommands.list, ServerCommands.start,
        QuickstartCommand.spec,
    ]

    static let overview = """
        baton: workflow orchestration for Swift.

        USAGE: baton <command> [options]

        COMMANDS:
        \(commands.filter { !$0.hidden }.map { "  " + $0.path.joined(separator: " ").padding(toLength: 18, withPad: " ", startingAt: 0) + $0.summary }.joined(separator: "\n"))

        Every command takes --help. State lives in $BATON_HOME (default ~/.baton).
        """

    /// Runs the command line and returns the exit status.
    public static func main(_ arguments: [String]) async -> Int32 {
        if arguments.first == "runner" { return await RunnerChild.main(Array(arguments.dropFirst())) }
        let err = Terminal.standardError
        guard let first = arguments.first, !["-h", "--help", "help"].contains(first) else {
            Terminal.standardOutput.line(overview)
            return arguments.isEmpty ? 2 : 0
        }
        if first == "--version" || first == "version" {
            Terminal.standardOutput.line("baton 0.1.0 (ABI 1.0, \(BatonRuntimeInfo.swift))")
            return 0
        }
        Interrupts.install()
        let spec = commands.filter { $0.path.count <= arguments.count && Array(arguments.prefix($0.path.count)) == $0.path }
            .max { $0.path.count < $1.path.count }
        guard let spec else {
            let group = commands.filter { $0.path.first == first && $0.path.count > 1 && !$0.hidden }
            if !group.isEmpty {
                Terminal.standardOutput.line(
                    "USAGE: baton \(first) <verb>\n\nVERBS:\n" + group.map { "  " + $0.path[1].padding(toLength: 12, withPad: " ", startingAt: 0) + $0.summary }.joined(separator: "\n"))
                return arguments.count == 1 ? 2 : 0
            }
            err.line("error: unknown command '\(first)'; see `baton --help`")
            return 2
        }
        let rest = Array(arguments.dropFirst(spec.path.count))
        if rest.contains("--help") || rest.contains("-h") {
            Terminal.standardOutput.line(spec.help)
            return 0
        }
        do {
            let parsed = try ArgumentParser.parse(rest, for: spec)
            let context = CommandContext(home: BatonHome.fromEnvironment())
            return try await spec.run(parsed, context)
        } catch let error as BatonError {
            err.line(err.paint("error: ", "31") + error.message)
            return error.code == .invalidInput || error.code == .notFound ? 2 : 1
        } catch {
            err.line(err.paint("error: ", "31") + String(describing: error))
            return 1
        }
    }
}

enum BatonRuntimeInfo {
    static var swift: String {
        #if compiler(>=6.3)
        "built with Swift 6.3 or later"
        #else
        "built with Swift before 6.3"
        #endif
    }
}
