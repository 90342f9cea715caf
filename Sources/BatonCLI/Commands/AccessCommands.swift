import BatonCore
import BatonServices
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `baton user …`, `baton key …` and `baton project …`: who may do what on a server of this
/// machine's store. The store's owner (whoever can write its file) manages them.
enum AccessCommands {
    static let localOnly = "manages who may use this machine's store"
    static var all: [CommandSpec] {
        [userCreate, userList, userDisable, userEnable, userPassword, userLink, keyCreate, keyList, keyRevoke, projectCreate, projectList, projectDelete, memberAdd, memberRemove, memberList]
            .map { $0.onlyLocal(localOnly) }
    }

    static let passwordStdin = OptionSpec.flag("password-stdin", "Read the password from the first line of standard input")
    static let project = OptionSpec.value("project", "P", "The project (default '\(ProjectNames.default)', or $BATON_PROJECT)")

    /// The project a command is about: `--project`, else `BATON_PROJECT`, else `default`.
    static func project(_ args: ParsedArguments) -> String {
        args.value("project") ?? ProcessInfo.processInfo.environment["BATON_PROJECT"].flatMap { $0.isEmpty ? nil : $0 } ?? ProjectNames.default
    }

    /// The role `--role` names; refuses none or an unknown one.
    static func role(_ args: ParsedArguments) throws -> Role {
        guard let text = args.value("role") else {
            throw BatonError(.invalidInput, "--role is missing: expected one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return try Role(parsing: text, naming: "--role")
    }

    // MARK: Users

    static let userCreate = CommandSpec(
        path: ["user", "create"], summary: "Add a user who can log in to the web UI",
        details: """
            The password comes from standard input with --password-stdin, or is asked for twice on a
            terminal; it is stored only as a PBKDF2-HMAC-SHA256 hash (600,000 iterations). A user without
            a password can only use API keys. --admin makes a server admin, who manages users and
            projects and is an admin of every project.

            EXAMPLES:
              baton user create ada --admin
              printf '%s\\n' "$PASSWORD" | baton user create ci --password-stdin
            """,
        positionals: [PositionalSpec(name: "name", help: "The user's name")],
        options: [.flag("admin", "Make the user a server admin"), passwordStdin, .json]
    ) { args, context in
        let name = args.positionals[0]
        let password = try readPassword(args, context: context, required: false, for: name)
        let user = try context.services().access.createUser(name, admin: args.flag("admin"), password: password, .storeOwner())
        if args.flag("json") {
            context.out.line(Format.json(UserView(user)))
        } else {
            context.out.line(
                "User '\(user.name)' created" + (user.isAdmin ? " (server admin)" : "")
                    + (user.passwordHash == nil ? ", without a password: API keys only" : ""))
        }
        return 0
    }

    static let userList = CommandSpec(path: ["user", "ls"], summary: "List users", options: [.json]) { args, context in
        let users = try context.services().access.users(.storeOwner())
        if args.flag("json") {
            context.out.line(Format.json(users.map(UserView.init)))
            return 0
        }
        guard !users.isEmpty else {
            context.out.line("No users yet. Add one with `baton user create NAME --admin`.")
            return 0
        }
        let rows = users.map { user in
            [
                context.out.bold(user.name), user.isAdmin ? "admin" : "", user.passwordHash == nil ? "no" : "yes",
                user.disabledAt.map { "disabled \(Format.ago($0))" } ?? "active", Format.ago(user.createdAt),
            ]
        }
        context.out.line(Format.table(["USER", "SERVER", "PASSWORD", "STATE", "CREATED"], rows))
        return 0
    }

    static let userDisable = CommandSpec(
        path: ["user", "disable"], summary: "Stop a user from logging in",
        positionals: [PositionalSpec(name: "name", help: "The user")]
    ) { args, context in
        let user = try context.services().access.setDisabled(args.positionals[0], true, .storeOwner())
        context.out.line("User '\(user.name)' is disabled")
        return 0
    }

    static let userEnable = CommandSpec(
        path: ["user", "enable"], summary: "Let a disabled user log in again",
        positionals: [PositionalSpec(name: "name", help: "The user")]
    ) { args, context in
        let user = try context.services().access.setDisabled(args.positionals[0], false, .storeOwner())
        context.out.line("User '\(user.name)' is enabled")
        return 0
    }

    static let userLink = CommandSpec(
        path: ["user", "link"], summary: "Print a one-time link that logs a user in to the web UI",
        details: """
            The link lets its user in once, within 24 hours, and starts a session as a password would;
            it suits a user without a password, such as the admin `baton quickstart` makes.

            EXAMPLES:
              baton user link admin
              baton user link ada --url https://baton.example.com
            """,
        positionals: [PositionalSpec(name: "name", help: "The user")],
        options: [.value("url", "URL", "The server's address as the browser reaches it (default http://127.0.0.1:4200)")]
    ) { args, context in
        let token = try context.services().access.loginLink(user: args.positionals[0], .storeOwner())
        context.out.line(AccessService.loginURL(base: args.value("url") ?? "http://127.0.0.1:4200", token: token))
        return 0
    }

    static let userPassword = CommandSpec(
        path: ["user", "password"], summary: "Set a user's password",
        positionals: [PositionalSpec(name: "name", help: "The user")], options: [passwordStdin]
    ) { args, context in
        let name = args.positionals[0]
        let password = try readPassword(args, context: context, required: true, for: name) ?? ""
        try context.services().access.setPassword(name, password, .storeOwner())
        context.out.line("The password of '\(name)' is set")
        return 0
    }

    /// The password from standard input (`--password-stdin`), or asked for twice without echo on a
    /// terminal; nil when neither is possible and none is `required`.
    static func readPassword(_ args: ParsedArguments, context: CommandContext, required: Bool, for user: String) throws -> String? {
        if args.flag("password-stdin") {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw BatonError(.invalidInput, "--password-stdin read no password: expected it on the first line of standard input")
            }
            return line
        }
        guard isatty(0) == 1 else {
            if required {
                throw BatonError(.invalidInput, "no password given: pass it on standard input with --password-stdin, or run this on a terminal")
            }
            return nil
        }
        let first = try prompt("Password for \(user): ")
        let second = try prompt("Again: ")
        guard first == second else { throw BatonError(.invalidInput, "the two passwords differ: nothing was changed") }
        return first
    }

    /// A line read from the terminal with echo off.
    static func prompt(_ text: String) throws -> String {
        FileHandle.standardError.write(Data(text.utf8))
        var saved = termios()
        tcgetattr(0, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(0, TCSAFLUSH, &quiet)
        defer {
            tcsetattr(0, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return readLine(strippingNewline: true) ?? ""
    }

    // MARK: API keys

    static let keyCreate = CommandSpec(
        path: ["key", "create"], summary: "Make an API key for scripts, CI and workers",
        details: """
            The key is printed once: store it where the script reads it (BATON_API_KEY). Only its prefix
            and a hash are kept, so a lost key cannot be shown again: revoke it and make another.
            Roles: viewer (read), operator (+ run, rerun, resume, cancel, pause and resume
            deployments), developer (+ register, deployments, limits, cache), admin (+ members, keys).

            EXAMPLES:
              baton key create --name ci --role developer --expires 90
              baton key create --name nightly --role operator --json
            """,
        options: [
            .value("name", "N", "A name for the key, unique in its project"), project,
            .value("role", "R", "viewer, operator, developer or admin"), .value("expires", "DAYS", "Expire after this many days (default never)"),
            .value("user", "U", "The user the key belongs to: it lets nobody in while they are disabled"),
            .json,
        ]
    ) { args, context in
        guard let name = args.value("name") else { throw BatonError(.invalidInput, "--name is missing: expected a name for the key, such as ci") }
        let role = try role(args)
        let expires = try args.integer("expires", minimum: 1)
        let created = try context.services().access.createKey(
            name: name, project: project(args), role: role, user: args.value("user"), expiresInDays: expires, .storeOwner())
        if args.flag("json") {
            var view = KeyView(created.record)
            view.key = created.key
            context.out.line(Format.json(view))
        } else {
            context.out.line(created.key)
            context.err.line(
                context.err.dim(
                    "API key '\(name)' (\(role.rawValue) in project '\(created.record.project)')"
                        + (created.record.expiresAt.map { ", expires \(Format.dateTime($0))" } ?? "")
                        + ": shown once, keep it now (BATON_API_KEY)"))
        }
        return 0
    }

    static let keyList = CommandSpec(
        path: ["key", "ls"], summary: "List API keys: name, prefix, role, created, last used, expiry",
        options: [.value("project", "P", "Only the keys of this project (default: every project)"), .json]
    ) { args, context in
        let keys = try context.services().access.keys(project: args.value("project"), .storeOwner())
        if args.flag("json") {
            context.out.line(Format.json(keys.map(KeyView.init)))
            return 0
        }
        guard !keys.isEmpty else {
            context.out.line("No API keys yet. Make one with `baton key create --name N --role R`.")
            return 0
        }
        let now = Date()
        let rows = keys.map { key in
            [
                context.out.bold(key.name), key.project, key.prefix + "…", key.role.rawValue, key.user ?? "-", Format.ago(key.createdAt),
                key.lastUsedAt.map { Format.ago($0) } ?? "never",
                key.revokedAt.map { "revoked \(Format.ago($0))" }
                    ?? key.expiresAt.map { $0 <= now ? "expired \(Format.ago($0))" : "expires \(Format.dateTime($0))" } ?? "never expires",
            ]
        }
        context.out.line(Format.table(["KEY", "PROJECT", "PREFIX", "ROLE", "USER", "CREATED", "LAST USED", "EXPIRY"], rows))
        return 0
    }

    static let keyRevoke = CommandSpec(
        path: ["key", "revoke"], summary: "Revoke an API key: it lets nobody in again",
        positionals: [PositionalSpec(name: "name", help: "The key's name or prefix")], options: [project]
    ) { args, context in
        let key = try context.services().access.revokeKey(args.positionals[0], project: project(args), .storeOwner())
        context.out.line("API key '\(key.name)' (\(key.prefix)…) of project '\(key.project)' is revoked")
        return 0
    }

    // MARK: Projects and members

    static let projectCreate = CommandSpec(
        path: ["project", "create"], summary: "Make a project: its own flows, versions, deployments, runs, limits and cache",
        positionals: [PositionalSpec(name: "name", help: "The project's name (letters, digits, '-', '_' and '.')")]
    ) { args, context in
        let name = args.positionals[0]
        try context.services().access.createProject(name, .storeOwner())
        context.out.line("Project '\(name)' created. Work in it with --project \(name) (or BATON_PROJECT=\(name)); "
            + "give people roles in it with `baton project member add \(name) USER --role R`.")
        return 0
    }

    static let projectList = CommandSpec(path: ["project", "ls"], summary: "List projects", options: [.json]) { args, context in
        let names = try context.services().access.projects(.storeOwner())
        context.out.line(args.flag("json") ? Format.json(names) : names.joined(separator: "\n"))
        return 0
    }

    static let projectDelete = CommandSpec(
        path: ["project", "delete"], summary: "Delete an empty project with its members and keys",
        positionals: [PositionalSpec(name: "name", help: "The project")]
    ) { args, context in
        let name = args.positionals[0]
        try context.services().access.deleteProject(name, .storeOwner())
        context.out.line("Project '\(name)' deleted, with its members and keys.")
        return 0
    }

    static let memberAdd = CommandSpec(
        path: ["project", "member", "add"], summary: "Give a user a role in a project",
        positionals: [PositionalSpec(name: "project", help: "The project"), PositionalSpec(name: "user", help: "The user")],
        options: [.value("role", "R", "viewer, operator, developer or admin")]
    ) { args, context in
        let role = try role(args)
        try context.services().access.addMember(project: args.positionals[0], user: args.positionals[1], role: role, .storeOwner())
        context.out.line("'\(args.positionals[1])' is \(role.rawValue) in project '\(args.positionals[0])'")
        return 0
    }

    static let memberRemove = CommandSpec(
        path: ["project", "member", "rm"], summary: "Take a user's role in a project away",
        positionals: [PositionalSpec(name: "project", help: "The project"), PositionalSpec(name: "user", help: "The user")]
    ) { args, context in
        try context.services().access.removeMember(project: args.positionals[0], user: args.positionals[1], .storeOwner())
        context.out.line("'\(args.positionals[1])' is no longer a member of project '\(args.positionals[0])'")
        return 0
    }

    static let memberList = CommandSpec(
        path: ["project", "member", "ls"], summary: "List a project's members and their roles",
        positionals: [PositionalSpec(name: "project", help: "The project")], options: [.json]
    ) { args, context in
        let members = try context.services().access.members(project: args.positionals[0], .storeOwner())
        if args.flag("json") {
            context.out.line(Format.json(members))
            return 0
        }
        guard !members.isEmpty else {
            context.out.line("Project '\(args.positionals[0])' has no members yet. Add one with `baton project member add`.")
            return 0
        }
        context.out.line(Format.table(["USER", "ROLE"], members.map { [context.out.bold($0.user), $0.role.rawValue] }))
        return 0
    }
}

/// A user as listings show it: never the password hash.
struct UserView: Encodable {
    var name: String
    var admin: Bool
    var hasPassword: Bool
    var createdAt: Date
    var disabledAt: Date?

    init(_ user: UserRecord) {
        name = user.name
        admin = user.isAdmin
        hasPassword = user.passwordHash != nil
        createdAt = user.createdAt
        disabledAt = user.disabledAt
    }
}

/// An API key as listings show it: its prefix, never its hash; `key` only in the answer that made it.
struct KeyView: Encodable {
    var key: String?
    var name: String
    var prefix: String
    var project: String
    var role: String
    var user: String?
    var createdBy: String?
    var createdAt: Date
    var lastUsedAt: Date?
    var expiresAt: Date?
    var revokedAt: Date?

    init(_ record: APIKeyRecord) {
        name = record.name
        prefix = record.prefix
        project = record.project
        role = record.role.rawValue
        user = record.user
        createdBy = record.createdBy
        createdAt = record.createdAt
        lastUsedAt = record.lastUsedAt
        expiresAt = record.expiresAt
        revokedAt = record.revokedAt
    }
}
