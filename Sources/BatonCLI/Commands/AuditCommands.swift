import BatonCore
import BatonServices
import Foundation

/// `baton audit ls`: the audit log, on this machine's store or through a server (admins).
enum AuditCommands {
    static let list = CommandSpec(
        path: ["audit", "ls"], summary: "List the audit log: changes made through the API, logins, and changes to users and keys",
        details: """
            Newest first. Every change made through the API is a row, allowed or refused, with who
            (a user, `key NAME`, or nobody for credentials that were not valid), the project, the
            operation, its target, the client's address and how it ended; so is every login, and
            every change to users, members and keys. Rows are never changed or removed.

            EXAMPLES:
              baton audit ls
              baton audit ls --actor "key ci" --since 24h
              baton audit ls --project default --since 2026-12-01T00:00:00Z --json
            """,
        options: [
            .value("project", "P", "Only rows of this project"),
            .value("actor", "NAME", "Only rows of this actor: a user, `key NAME`, or an account"),
            .value("since", "TIME", "Only rows since TIME: an ISO 8601 time, or a time ago such as 90m, 24h or 7d"),
            .value("limit", "N", "At most N rows (default \(AuditService.listDefault), up to \(AuditService.listLimit.upperBound))"),
            .json,
        ]
    ) { args, context in
        var query = AuditQuery(project: args.value("project"), actor: args.value("actor"), since: try args.value("since").map(since))
        if let limit = try args.integer("limit", minimum: AuditService.listLimit.lowerBound) {
            guard AuditService.listLimit.contains(limit) else {
                throw BatonError(.invalidInput, "--limit \(limit) is not valid: expected a number from 1 to \(AuditService.listLimit.upperBound)")
            }
            query.limit = limit
        }
        let entries = try context.backend().audit(query)
        if args.flag("json") {
            context.out.line(Format.json(entries))
            return 0
        }
        guard !entries.isEmpty else {
            context.out.line("No audit rows" + (query.actor != nil || query.project != nil || query.since != nil ? " match." : " yet."))
            return 0
        }
        let rows = entries.map { e in
            [
                Timestamps.iso(e.at), e.actor ?? "-", e.project ?? "-", e.action, e.target ?? "-", e.address ?? "-",
                e.result == "ok" ? e.result : context.out.bold(e.result),
            ]
        }
        context.out.line(Format.table(["TIME", "ACTOR", "PROJECT", "ACTION", "TARGET", "ADDRESS", "RESULT"], rows))
        return 0
    }

    /// `--since`: an ISO 8601 time, or a time ago (`90m`, `24h`, `7d`).
    static func since(_ text: String) throws -> Date {
        if let date = Timestamps.parse(text) { return date }
        if let seconds = Durations.withUnit(text) { return Date().addingTimeInterval(-seconds) }
        throw BatonError(
            .invalidInput, "--since '\(text)' is not valid: expected an ISO 8601 time such as 2026-12-01T09:00:00Z, or a time ago such as 90m, 24h or 7d")
    }
}
