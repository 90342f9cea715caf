import BatonCore

/// One option a command takes: `--name VALUE` (or `--name=VALUE`), or a flag `--name`.
struct OptionSpec: Sendable {
    let name: String
    /// The value's placeholder, such as `N`; nil for a flag.
    let value: String?
    let help: String
    var repeatable = false
    /// A value to show when the option is given without one.
    var example: String?

    static func flag(_ name: String, _ help: String) -> OptionSpec { OptionSpec(name: name, value: nil, help: help) }
    static func value(_ name: String, _ placeholder: String, _ help: String, repeatable: Bool = false, example: String? = nil) -> OptionSpec {
        OptionSpec(name: name, value: placeholder, help: help, repeatable: repeatable, example: example)
    }

    /// "option --NAME needs a value (PLACEHOLDER)", with the example when there is one.
    var missingValue: String {
        "option --\(name) needs a value (\(value ?? ""))" + (example.map { ", such as --\(name) \($0)" } ?? "")
    }
    static let json = OptionSpec.flag("json", "Print JSON for scripts instead of text")
    /// Every command takes it (also before the command's words); `BATON_API_URL` sets it too.
    static let api = OptionSpec.value("api", "URL", "Speak to the Baton server at URL (default: $BATON_API_URL)", example: "http://127.0.0.1:4200")
    /// Every command that `api` applies to takes it (also before the command's words); `BATON_CA_FILE`
    /// sets it too.
    static let caFile = OptionSpec.value(
        "ca-file", "FILE", "For an https:// server, trust the CA certificates in FILE instead of the system's (default: $BATON_CA_FILE)",
        example: "ca.pem")
    /// Every command that works on flows, runs, deployments, limits or the cache takes it (also
    /// before the command's words); `BATON_PROJECT` sets it too.
    static let project = OptionSpec.value(
        "project", "P", "Work in project P (default: $BATON_PROJECT, else an API key's own project, else 'default')", example: "analytics")
    /// Every command takes it (also before the command's words); `BATON_DATABASE_URL` sets it too.
    static let database = OptionSpec.value(
        "database", "URL",
        "Keep Baton's records in the PostgreSQL database at URL (default: $BATON_DATABASE_URL, else the SQLite store in $BATON_HOME)",
        example: "postgresql://baton@db.internal:5432/baton")
    /// The options every command takes, which may also come before its words.
    static let global = [api, caFile, project, database]
}

/// A positional argument.
struct PositionalSpec: Sendable {
    let name: String
    let help: String
    var optional = false
}

/// A command's arguments after parsing.
struct ParsedArguments {
    let command: String
    var positionals: [String] = []
    var values: [String: [String]] = [:]
    var flags: Set<String> = []

    func flag(_ name: String) -> Bool { flags.contains(name) }
    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }

    /// An option's value as a whole number at least `minimum`, or nil when absent.
    func integer(_ name: String, minimum: Int = 0) throws -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text), number >= minimum else {
            throw BatonError(.invalidInput, "--\(name) '\(text)' is not valid: expected a whole number of at least \(minimum)")
        }
        return number
    }

    /// An option's value as a number of seconds greater than zero, or nil when absent.
    func seconds(_ name: String) throws -> Double? {
        guard let text = value(name) else { return nil }
        guard let number = Double(text), number > 0, number.isFinite else {
            throw BatonError(.invalidInput, "--\(name) '\(text)' is not valid: expected a number of seconds greater than 0")
        }
        return number
    }
}

enum ArgumentParser {
    /// Parses `arguments` against a command's options and positionals. Throws a one-line error naming
    /// what was wrong.
    static func parse(_ arguments: [String], for spec: CommandSpec) throws -> ParsedArguments {
        var parsed = ParsedArguments(command: spec.displayName)
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || !argument.hasPrefix("-") || argument == "-" {
                parsed.positionals.append(argument)
                continue
            }
            if argument == "--" {
                optionsEnded = true
                continue
            }
            var name = String(argument.drop { $0 == "-" })
            var inline: String?
            if let equals = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            let known = spec.options + OptionSpec.global
            guard let option = known.first(where: { $0.name == name }) else {
                let near = Spelling.closest(to: name, among: known.map(\.name) + ["help"])
                throw BatonError(
                    .invalidInput, "unknown option '\(argument)' for `\(spec.displayName)`; "
                        + (near.map { "did you mean '--\($0)'?" } ?? "see `\(spec.displayName) --help`"))
            }
            if option.value == nil {
                guard inline == nil else { throw BatonError(.invalidInput, "option --\(name) takes no value") }
                parsed.flags.insert(name)
                continue
            }
            let value: String
            if let inline {
                value = inline
            } else if index < arguments.count {
                value = arguments[index]
                index += 1
            } else {
                throw BatonError(.invalidInput, option.missingValue)
            }
            if !option.repeatable, parsed.values[name] != nil {
                throw BatonError(.invalidInput, "option --\(name) was given twice; give it once")
            }
            parsed.values[name, default: []].append(value)
        }
        let required = spec.positionals.filter { !$0.optional }.count
        if parsed.positionals.count < required {
            let missing = spec.positionals[parsed.positionals.count]
            throw BatonError(
                .invalidInput, "`\(spec.displayName)` needs \(missing.name.uppercased()): \(missing.help); see `\(spec.displayName) --help`")
        }
        if parsed.positionals.count > spec.positionals.count {
            throw BatonError(
                .invalidInput,
                "unexpected argument '\(parsed.positionals[spec.positionals.count])' for `\(spec.displayName)`; see `\(spec.displayName) --help`")
        }
        return parsed
    }
}
