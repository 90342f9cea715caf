import BatonCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `baton login` and `baton logout`: an API key saved for a server, so that commands through it
/// need no `BATON_API_KEY`.
enum LoginCommands {
    static let login = CommandSpec(
        path: ["login"], summary: "Save an API key for a server, checked against it first",
        details: """
            The key (from `baton key create` on the server's machine) is read from standard input
            with --key-stdin, or asked for on a terminal without echo. It is checked against the
            server, then saved for the server's URL in \(SavedKeys.path()) (mode 0600). Commands
            through that server (BATON_API_URL or --api) then send it; BATON_API_KEY, when set,
            is sent instead.

            EXAMPLES:
              baton login http://127.0.0.1:4200
              printf '%s\\n' "$KEY" | baton login https://baton.example.com --key-stdin
            """,
        positionals: [PositionalSpec(name: "url", help: "The server (default: BATON_API_URL or --api)", optional: true)],
        options: [.flag("key-stdin", "Read the key from the first line of standard input")]
    ) { args, context in
        let url = try serverURL(args, context)
        let key: String
        if args.flag("key-stdin") {
            guard let line = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces), !line.isEmpty else {
                throw BatonError(.invalidInput, "--key-stdin read no key: expected an API key (baton_…) on the first line of standard input")
            }
            key = line
        } else {
            guard isatty(0) == 1 else {
                throw BatonError(.invalidInput, "no key given: pass it on standard input with --key-stdin, or run this on a terminal")
            }
            key = try AccessCommands.prompt("API key for \(url): ").trimmingCharacters(in: .whitespaces)
        }
        // Checked before it is saved: a key the server refuses is not kept.
        let backend = try RemoteBackend(url: url, origin: args.positionals.first == nil ? (context.api?.origin ?? "URL") : "URL", caFile: context.caFile, key: key)
        let session = try backend.get("/api/session", as: JSONValue.self)
        try SavedKeys.save(key, for: url)
        let who = session["key"]?.stringValue.map { "key '\($0)' (\(session["role"]?.stringValue ?? "?") in project '\(session["project"]?.stringValue ?? "?")')" }
        context.out.line("Logged in to \(url) as \(who ?? "that key"); saved in \(SavedKeys.path())")
        return 0
    }

    static let logout = CommandSpec(
        path: ["logout"], summary: "Forget the API key saved for a server",
        positionals: [PositionalSpec(name: "url", help: "The server (default: BATON_API_URL or --api)", optional: true)]
    ) { args, context in
        let url = try serverURL(args, context)
        context.out.line(try SavedKeys.remove(for: url) ? "Forgot the key for \(url)" : "No key was saved for \(url)")
        return 0
    }

    private static func serverURL(_ args: ParsedArguments, _ context: CommandContext) throws -> String {
        guard let url = args.positionals.first ?? context.api?.url else {
            throw BatonError(.invalidInput, "no server given: expected its URL, such as baton login http://127.0.0.1:4200 (or set BATON_API_URL)")
        }
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }
}
