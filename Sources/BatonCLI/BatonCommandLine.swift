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
        EngineCommands.cacheClear,
        EngineCommands.limitSet, EngineCommands.limitList, EngineCommands.limitRemove,
        EngineCommands.artifactList, EngineCommands.artifactShow,
        ScheduleCommands.preview,
    ] + DeploymentCommands.all + StoreCommands.all + [
        WorkerCommands.start.onlyLocal("runs flows from this machine's store"), WorkerCommands.list,
        ServerCommands.start.onlyLocal("serves this machine's store"),
        QuickstartCommand.spec.onlyLocal("builds and runs the examples on this machine's store"),
    ]

    static let overview = """
        baton: workflow orchestration for Swift.

        USAGE: baton <command> [options]

        COMMANDS:
        \(commands.filter { !$0.hidden }.map { "  " + $0.path.joined(separator: " ").padding(toLength: 18, withPad: " ", startingAt: 0) + $0.summary }.joined(separator: "\n"))

        Every command takes --help. State lives in $BATON_HOME (default ~/.baton); with --api URL (before
        or after the command) or $BATON_API_URL set, commands speak to the Baton server at URL instead.
        """

    /// Runs the command line and returns the exit status.
    public static func main(_ arguments: [String]) async -> Int32 {
        if arguments.first == "runner" { return await RunnerChild.main(Array(arguments.dropFirst())) }
        let err = Terminal.standardError
        var arguments = arguments
        var leadingAPI: String?
        // `--api URL` before the command's words.
        while let first = arguments.first, first == "--api" || first.hasPrefix("--api=") {
            if first == "--api" {
                guard arguments.count >= 2 else {
                    err.line(err.paint("error: ", "31") + "option --api needs a value (URL), such as --api http://127.0.0.1:4200")
                    return 2
                }
                leadingAPI = arguments[1]
                arguments.removeFirst(2)
            } else {
                leadingAPI = String(first.dropFirst("--api=".count))
                arguments.removeFirst()
            }
        }
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
            let context = CommandContext(home: BatonHome.fromEnvironment(), api: apiURL(parsed.value("api") ?? leadingAPI))
            if let reason = spec.localOnly, let api = context.api {
                throw BatonError(
                    .invalidInput,
                    "`\(spec.displayName)` \(reason), so it does not run through the server at \(api.url) (\(api.origin)); "
                        + "unset BATON_API_URL and leave out --api to run it here")
            }
            return try await spec.run(parsed, context)
        } catch let error as BatonError {
            err.line(err.paint("error: ", "31") + error.message)
            return [.invalidInput, .invalidParameter, .conflict, .notFound].contains(error.code) ? 2 : 1
        } catch {
            err.line(err.paint("error: ", "31") + String(describing: error))
            return 1
        }
    }
}

extension BatonCommandLine {
    /// The server to speak to: `--api URL`, else `BATON_API_URL`; nil (the local store) when neither
    /// is set or the one set is empty.
    static func apiURL(_ option: String?) -> (url: String, origin: String)? {
        if let option { return option.isEmpty ? nil : (option, "--api") }
        guard let variable = ProcessInfo.processInfo.environment["BATON_API_URL"], !variable.isEmpty else { return nil }
        return (variable, "BATON_API_URL")
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
