import BatonCore

/// Which command the words of a command line name, and what to say when they name none: a typo is
/// an error on one line with the nearest command, never a usage screen that exits 0.
extension BatonCommandLine {
    static let helpWords: Set<String> = ["-h", "--help", "help"]

    /// What the words of a command line (after leading global options such as `--api URL`) name.
    enum Resolution {
        /// A command; its own words are the first `path.count` of the arguments.
        case command(CommandSpec)
        /// The help of a group of commands (`baton flow --help`), for standard output.
        case groupHelp(String)
        /// A mistake, in one line for standard error.
        case refused(String)
    }

    static func resolve(_ arguments: [String]) -> Resolution {
        let matching = commands.filter { $0.path.count <= arguments.count && Array(arguments.prefix($0.path.count)) == $0.path }
        if let spec = matching.max(by: { $0.path.count < $1.path.count }) { return .command(spec) }
        let first = arguments[0]
        let group = verbs(of: first)
        if !group.isEmpty {
            let listed = group.map { "'\(first) \($0)'" }
            guard arguments.count > 1, !arguments[1].hasPrefix("-") || helpWords.contains(arguments[1]) else {
                return .refused("`baton \(first)` needs a command: \(Format.list(listed, or: true)); see `baton \(first) --help`")
            }
            let verb = arguments[1]
            if helpWords.contains(verb) { return .groupHelp(groupHelp(first)) }
            if let near = Spelling.closest(to: verb, among: group) {
                return .refused("unknown command '\(first) \(verb)'; did you mean '\(first) \(near)'?")
            }
            return .refused("unknown command '\(first) \(verb)'; expected \(Format.list(listed, or: true))")
        }
        if first.hasPrefix("-") {
            let near = Spelling.closest(to: first, among: ["--help", "--version"] + OptionSpec.global.map { "--" + $0.name })
            return .refused("unknown option '\(first)'" + (near.map { "; did you mean '\($0)'?" } ?? "; see `baton --help`"))
        }
        let words = commands.filter { !$0.hidden }.map { $0.path[0] }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        guard let near = Spelling.closest(to: first, among: words + ["help", "version"]) else {
            return .refused("unknown command '\(first)'; see `baton --help`")
        }
        // `baton flwo ls`: the whole command when its second word is right.
        if arguments.count > 1, verbs(of: near).contains(arguments[1]) {
            return .refused("unknown command '\(first)'; did you mean '\(near) \(arguments[1])'?")
        }
        return .refused("unknown command '\(first)'; did you mean '\(near)'?")
    }

    /// The second words of the visible commands whose first word is `word`.
    static func verbs(of word: String) -> [String] {
        commands.filter { $0.path.first == word && $0.path.count > 1 && !$0.hidden }.map { $0.path[1] }
    }

    /// `baton flow --help`: the group's commands, in two aligned columns.
    static func groupHelp(_ word: String) -> String {
        let rows = commands.filter { $0.path.first == word && $0.path.count > 1 && !$0.hidden }.map { ($0.path[1], $0.summary) }
        return "USAGE: baton \(word) <command> [options]\n\nCOMMANDS:\n\(Format.columns(rows))\n\n"
            + "Every command takes --help, such as `baton \(word) \(rows[0].0) --help`."
    }

    /// For a command that is also a group (`baton run FLOW` beside `baton run ls`): when what it was
    /// given was not found and is close to one of the group's commands, the suggestion to add.
    static func subcommandHint(_ error: BatonError, _ spec: CommandSpec, _ parsed: ParsedArguments) -> String? {
        guard error.code == .notFound, spec.path.count == 1, let given = parsed.positionals.first,
            let near = Spelling.closest(to: given, among: verbs(of: spec.path[0]))
        else { return nil }
        return "; did you mean `baton \(spec.path[0]) \(near)`?"
    }
}
