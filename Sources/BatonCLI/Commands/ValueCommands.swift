import BatonCore
import Foundation

/// `baton secret …` and `baton variable …`: named values of a project that flows read at run time.
enum ValueCommands {
    static let secretSet = CommandSpec(
        path: ["secret", "set"], summary: "Set a secret of the project, from standard input or a file (stored encrypted)",
        details: """
            The value is read from standard input (all of it, less one final newline) or from --from-file,
            never from the command line, where it would stay in the shell's history and in `ps`. It is
            stored sealed with AES-256-GCM under this host's key (`BATON_SECRET_KEY`, else
            $BATON_HOME/secret.key, made on first use), so a copy of the store reveals nothing. Servers
            and workers that run flows reading it need the same key.

            A flow reads it with `try await Secret.value("NAME")`; from then on the run's logs, results,
            artifacts and error messages show it as ****.

            EXAMPLES:
              printf '%s' "$TOKEN" | baton secret set warehouse-token
              baton secret set tls-key --from-file ./key.pem --project analytics
            """,
        positionals: [PositionalSpec(name: "name", help: "The secret's name")],
        options: [.value("from-file", "PATH", "Read the value from this file instead of standard input")]
    ) { args, context in
        let name = args.positionals[0]
        try NamedValueKind.secret.validate(name: name)
        let value = try secretValue(args, name: name)
        let view = try context.backend().setValue(.secret, name: name, value: value)
        context.out.line("Secret '\(view.name)' is set (\(value.utf8.count) bytes, stored encrypted). Flows read it with Secret.value(\"\(view.name)\").")
        return 0
    }

    /// The value of `secret set`: the file's bytes, or standard input's, less one final newline.
    static func secretValue(_ args: ParsedArguments, name: String) throws -> String {
        let data: Data
        if let path = args.value("from-file") {
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw BatonError(.invalidInput, "--from-file '\(path)' cannot be read: expected a readable file")
            }
            data = contents
        } else {
            guard isatty(0) != 1 else {
                throw BatonError(
                    .invalidInput, "no value for secret '\(name)': pipe it on standard input (printf '%s' \"$VALUE\" | baton secret set \(name)) or use --from-file")
            }
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw BatonError(.invalidInput, "the value of secret '\(name)' is not UTF-8 text: expected text (base64 binary first)")
        }
        if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    static let secretList = CommandSpec(
        path: ["secret", "ls"], summary: "List the project's secrets: names, who set them and when (never values)", options: [.json]
    ) { args, context in
        let secrets = try context.backend().values(.secret)
        if args.flag("json") {
            context.out.line(Format.json(secrets))
        } else if secrets.isEmpty {
            context.out.line("No secrets. Set one with `printf '%s' \"$VALUE\" | baton secret set NAME`.")
        } else {
            context.out.line(Format.table(["NAME", "SET BY", "SET"], secrets.map { [$0.name, $0.setBy ?? "-", Format.ago($0.setAt)] }))
        }
        return 0
    }

    static let secretRemove = CommandSpec(
        path: ["secret", "rm"], summary: "Remove a secret", positionals: [PositionalSpec(name: "name", help: "The secret's name")]
    ) { args, context in
        try context.backend().removeValue(.secret, name: args.positionals[0])
        context.out.line("Removed secret '\(args.positionals[0])'.")
        return 0
    }

    static let variableSet = CommandSpec(
        path: ["variable", "set"], summary: "Set a variable of the project (a setting flows read; not secret)",
        details: """
            A flow reads it with `try await Variable.get("NAME")` (or `Variable.get("NAME", default: "…")`).
            Variables are stored and shown as they are: keep passwords in secrets.

            EXAMPLE:
              baton variable set landing-bucket s3://acme-landing
            """,
        positionals: [PositionalSpec(name: "name", help: "The variable's name"), PositionalSpec(name: "value", help: "Its value")]
    ) { args, context in
        let view = try context.backend().setValue(.variable, name: args.positionals[0], value: args.positionals[1])
        context.out.line("Variable '\(view.name)' is set to '\(view.value ?? "")'.")
        return 0
    }

    static let variableGet = CommandSpec(
        path: ["variable", "get"], summary: "Print a variable's value", positionals: [PositionalSpec(name: "name", help: "The variable's name")],
        options: [.json]
    ) { args, context in
        let view = try context.backend().variable(args.positionals[0])
        context.out.line(args.flag("json") ? Format.json(view) : view.value ?? "")
        return 0
    }

    static let variableList = CommandSpec(
        path: ["variable", "ls"], summary: "List the project's variables and their values", options: [.json]
    ) { args, context in
        let variables = try context.backend().values(.variable)
        if args.flag("json") {
            context.out.line(Format.json(variables))
        } else if variables.isEmpty {
            context.out.line("No variables. Set one with `baton variable set NAME VALUE`.")
        } else {
            context.out.line(
                Format.table(["NAME", "VALUE", "SET BY", "SET"], variables.map { [$0.name, $0.value ?? "", $0.setBy ?? "-", Format.ago($0.setAt)] }))
        }
        return 0
    }

    static let variableRemove = CommandSpec(
        path: ["variable", "rm"], summary: "Remove a variable", positionals: [PositionalSpec(name: "name", help: "The variable's name")]
    ) { args, context in
        try context.backend().removeValue(.variable, name: args.positionals[0])
        context.out.line("Removed variable '\(args.positionals[0])'.")
        return 0
    }

    static let all = [secretSet, secretList, secretRemove, variableSet, variableGet, variableList, variableRemove]
}
