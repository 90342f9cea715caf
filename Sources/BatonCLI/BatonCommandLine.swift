import BatonCore
import BatonStore
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
    ] + DeploymentCommands.all + ValueCommands.all + AutomationCommands.all + StoreCommands.all + AccessCommands.all + [
        WorkerCommands.start, WorkerCommands.list, AuditCommands.list, LoginCommands.login, LoginCommands.logout,
        ServerCommands.start.onlyLocal("serves this machine's store"),
        QuickstartCommand.spec.onlyLocal("builds and runs the examples on this machine's store"),
    ]

    /// `baton --help`: every command with what it does, in two aligned columns.
    static var overview: String {
        let rows = commands.filter { !$0.hidden }.map { ($0.path.joined(separator: " "), $0.summary) }
        return """
            baton: workflow orchestration for Swift.

            USAGE: baton <command> [options]

            COMMANDS:
            \(Format.columns(rows))

            Every command takes --help. State lives in $BATON_HOME (default ~/.baton); with --api URL (before
            or after the command) or $BATON_API_URL set, commands speak to the Baton server at URL instead.
            An https:// server's certificate must be signed by a CA the system trusts, or by one in
            --ca-file FILE or $BATON_CA_FILE. With --database URL or $BATON_DATABASE_URL set
            (postgresql://user@host:port/db), records are kept in that PostgreSQL database instead of the
            SQLite file in $BATON_HOME.
            """
    }

    /// Runs the command line and returns the exit status.
    public static func main(_ arguments: [String]) async -> Int32 {
        if arguments.first == "runner" { return await RunnerChild.main(Array(arguments.dropFirst())) }
        let err = Terminal.standardError
        var arguments = arguments
        var leading: [String: String] = [:]
        // Global options (`--api URL`, `--database URL`, …) before the command's words.
        while let first = arguments.first,
            let option = OptionSpec.global.first(where: { first == "--" + $0.name || first.hasPrefix("--" + $0.name + "=") })
        {
            if first == "--" + option.name {
                guard arguments.count >= 2 else {
                    err.line(err.paint("error: ", "31") + option.missingValue)
                    return 2
                }
                leading[option.name] = arguments[1]
                arguments.removeFirst(2)
            } else {
                leading[option.name] = String(first.dropFirst(option.name.count + 3))
                arguments.removeFirst()
            }
        }
        guard let first = arguments.first else {
            // No command is a mistake too: the overview goes where errors go.
            err.line(overview)
            return 2
        }
        if helpWords.contains(first) {
            guard arguments.count > 1 else {
                Terminal.standardOutput.line(overview)
                return 0
            }
            // `baton help flow ls` is `baton flow ls --help`.
            arguments = Array(arguments.dropFirst()) + ["--help"]
        }
        if first == "--version" || first == "version" {
            Terminal.standardOutput.line("baton 0.1.0 (ABI 1.0, \(BatonRuntimeInfo.swift))")
            return 0
        }
        let spec: CommandSpec
        switch resolve(arguments) {
        case .command(let found): spec = found
        case .groupHelp(let text):
            Terminal.standardOutput.line(text)
            return 0
        case .refused(let message):
            err.line(err.paint("error: ", "31") + message)
            return 2
        }
        Interrupts.install()
        let rest = Array(arguments.dropFirst(spec.path.count))
        if rest.contains("--help") || rest.contains("-h") {
            Terminal.standardOutput.line(spec.help)
            return 0
        }
        var parsed: ParsedArguments?
        do {
            let arguments = try ArgumentParser.parse(rest, for: spec)
            parsed = arguments
            let context = CommandContext(
                home: BatonHome.fromEnvironment(),
                api: setting(arguments.value("api") ?? leading["api"], option: "--api", variable: "BATON_API_URL").map { ($0.value, $0.origin) },
                caFile: setting(arguments.value("ca-file") ?? leading["ca-file"], option: "--ca-file", variable: "BATON_CA_FILE").map { ($0.value, $0.origin) },
                project: setting(arguments.value("project") ?? leading["project"], option: "--project", variable: "BATON_PROJECT")?.value,
                database: setting(arguments.value("database") ?? leading["database"], option: "--database", variable: StoreSelection.variable)
                    .map { ($0.value, $0.origin) })
            // The processes this one starts (workers, runners) keep their records in the same store.
            if let database = context.database { setenv(StoreSelection.variable, database.url, 1) } else { unsetenv(StoreSelection.variable) }
            if let reason = spec.localOnly, let api = context.api {
                throw BatonError(
                    .invalidInput,
                    "`\(spec.displayName)` \(reason), so it does not run through the server at \(api.url) (\(api.origin)); "
                        + "unset BATON_API_URL and leave out --api to run it here")
            }
            return try await spec.run(arguments, context)
        } catch let error as BatonError {
            err.line(err.paint("error: ", "31") + error.message + (parsed.flatMap { subcommandHint(error, spec, $0) } ?? ""))
            return error.code.exitStatus
        } catch {
            err.line(err.paint("error: ", "31") + String(describing: error))
            return 1
        }
    }
}

extension BatonCommandLine {
    /// A global option's value and where it was given: the option's, else the environment
    /// `variable`'s; nil when neither is set or the one set is empty (`--api ''` speaks to the local
    /// store whatever BATON_API_URL says).
    static func setting(_ given: String?, option: String, variable: String) -> (value: String, origin: String)? {
        if let given { return given.isEmpty ? nil : (given, option) }
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else { return nil }
        return (value, variable)
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
