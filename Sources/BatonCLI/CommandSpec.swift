import BatonCore

/// A command: its words (`["run", "ls"]`), what it does, what it takes, and how to run it.
struct CommandSpec: Sendable {
    let path: [String]
    let summary: String
    var details: String = ""
    var positionals: [PositionalSpec] = []
    var options: [OptionSpec] = []
    var hidden = false
    /// Why the command works on this machine's store only, when it does: it is refused when an API
    /// URL is set.
    var localOnly: String?
    let run: @Sendable (ParsedArguments, CommandContext) async throws -> Int32

    /// The same command, refused when an API URL is set because of `reason`.
    func onlyLocal(_ reason: String) -> CommandSpec {
        var spec = self
        spec.localOnly = reason
        return spec
    }

    var displayName: String { (["baton"] + path).joined(separator: " ") }

    var usage: String {
        var parts = [displayName]
        for positional in positionals {
            parts.append(positional.optional ? "[\(positional.name.uppercased())]" : positional.name.uppercased())
        }
        for option in options {
            let text = option.value.map { "--\(option.name) \($0)" } ?? "--\(option.name)"
            parts.append(option.repeatable ? "[\(text) …]" : "[\(text)]")
        }
        return parts.joined(separator: " ")
    }

    /// The command's help screen; its arguments and options in two columns aligned together.
    var help: String {
        var lines = ["\(summary)", "", "USAGE: \(usage)"]
        if !details.isEmpty { lines += ["", details] }
        let global = localOnly == nil ? OptionSpec.global : [OptionSpec.database]
        let arguments = positionals.map { ($0.name.uppercased(), $0.help) }
        let options = (options + global + [OptionSpec.flag("help", "Show this help")]).map { option in
            ("--\(option.name)" + (option.value.map { " \($0)" } ?? ""), option.help)
        }
        // One width for both lists, so that their descriptions start at one column.
        let width = (arguments + options).map { Format.visibleWidth($0.0) }.max() ?? 0
        if !arguments.isEmpty { lines += ["", "ARGUMENTS:", Format.columns(arguments, width: width)] }
        lines += ["", "OPTIONS:", Format.columns(options, width: width)]
        return lines.joined(separator: "\n")
    }
}
