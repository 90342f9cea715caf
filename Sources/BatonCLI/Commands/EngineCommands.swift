import BatonCore
import BatonStore
import Foundation

/// `baton cache …`, `baton limit …` and `baton artifact …`.
enum EngineCommands {
    static let cacheClear = CommandSpec(
        path: ["cache", "clear"], summary: "Remove cached task results, of one task or all",
        options: [.value("task", "NAME", "Only this task's results")]
    ) { args, context in
        let removed = try context.backend().clearCache(task: args.value("task"))
        context.out.line("Removed \(removed) cached result\(removed == 1 ? "" : "s")\(args.value("task").map { " of task '\($0)'" } ?? "").")
        return 0
    }

    static let limitSet = CommandSpec(
        path: ["limit", "set"],
        summary: "Limit how many task runs with a tag run at once, across every process on this store",
        details: """
            A task declared with `tags: ["db"]` waits for a slot of each limited tag before each attempt (a
            scheduled state named AwaitingConcurrencySlot) and starts as soon as one frees.

            EXAMPLE:
              baton limit set db 4
            """,
        positionals: [
            PositionalSpec(name: "tag", help: "The tag"), PositionalSpec(name: "slots", help: "How many at once (0 to pause the tag)"),
        ]
    ) { args, context in
        let tag = args.positionals[0]
        guard !tag.isEmpty, tag.count <= 100, !tag.contains(",") else {
            throw BatonError(.invalidInput, "tag '\(tag)' is not valid: expected 1 to 100 characters without commas")
        }
        guard let slots = Int(args.positionals[1]), slots >= 0 else {
            throw BatonError(.invalidInput, "slots '\(args.positionals[1])' is not valid: expected a whole number of at least 0")
        }
        try context.backend().setLimit(tag: tag, slots: slots)
        context.out.line("Tag '\(tag)' is limited to \(slots) task run\(slots == 1 ? "" : "s") at once.")
        return 0
    }

    static let limitList = CommandSpec(
        path: ["limit", "ls"], summary: "List the concurrency limits and how many of their slots are taken", options: [.json]
    ) { args, context in
        let limits = try context.backend().limits()
        if args.flag("json") {
            context.out.line(Format.json(limits))
        } else if limits.isEmpty {
            context.out.line("No concurrency limits. Set one with `baton limit set <tag> <n>`.")
        } else {
            context.out.line(Format.table(["TAG", "SLOTS", "ACTIVE"], limits.map { [$0.tag, "\($0.slots)", "\($0.active)"] }))
        }
        return 0
    }

    static let limitRemove = CommandSpec(
        path: ["limit", "rm"], summary: "Remove a concurrency limit",
        positionals: [PositionalSpec(name: "tag", help: "The tag")]
    ) { args, context in
        guard try context.backend().removeLimit(tag: args.positionals[0]) else {
            throw BatonError(.notFound, "no concurrency limit on tag '\(args.positionals[0])'; see `baton limit ls`")
        }
        context.out.line("Removed the limit on tag '\(args.positionals[0])'.")
        return 0
    }

    static let artifactList = CommandSpec(
        path: ["artifact", "ls"], summary: "List artifacts, newest first",
        options: [
            .value("run", "RUN", "Only artifacts of this flow run"), .value("key", "KEY", "Only artifacts of this key"),
            .value("limit", "N", "How many to list (default 50)"), .json,
        ]
    ) { args, context in
        let backend = try context.backend()
        let run = try args.value("run").map { try backend.flowRun($0) }
        let artifacts = try backend.artifacts(flowRunID: run?.id, key: args.value("key"), limit: try args.integer("limit", minimum: 1) ?? 50)
        if args.flag("json") {
            context.out.line(Format.json(artifacts))
        } else if artifacts.isEmpty {
            context.out.line("No artifacts yet. A flow publishes one with `Artifact.markdown(…, key:)`, `.table` or `.link`.")
        } else {
            let rows = artifacts.map { a in
                [a.key, a.kind, String(a.flowRunID.prefix(8)), Format.dateTime(a.createdAt), a.description ?? ""]
            }
            context.out.line(Format.table(["KEY", "KIND", "RUN", "CREATED", "DESCRIPTION"], rows))
        }
        return 0
    }

    static let artifactShow = CommandSpec(
        path: ["artifact", "show"], summary: "Show the latest artifact of a key, rendered for the terminal",
        positionals: [PositionalSpec(name: "key", help: "The artifact's key")],
        options: [.value("run", "RUN", "The artifact of this flow run rather than the latest"), .json]
    ) { args, context in
        let backend = try context.backend()
        let run = try args.value("run").map { try backend.flowRun($0) }
        guard let artifact = try backend.artifacts(flowRunID: run?.id, key: args.positionals[0], limit: 1).first else {
            throw BatonError(.notFound, "no artifact with key '\(args.positionals[0])'\(run.map { " in run '\($0.name)'" } ?? ""); see `baton artifact ls`")
        }
        if args.flag("json") {
            context.out.line(Format.json(artifact))
            return 0
        }
        let out = context.out
        out.line(out.bold(artifact.key) + out.dim("  \(artifact.kind), run \(artifact.flowRunID.prefix(8)), \(Format.dateTime(artifact.createdAt))"))
        if let description = artifact.description { out.line(out.dim(description)) }
        out.line()
        switch artifact.kind {
        case "table":
            let rows = (try? JSONValue(json: artifact.data))?.arrayValue?.compactMap(\.objectValue) ?? []
            var columns: [String] = []
            for row in rows { for key in row.keys.sorted() where !columns.contains(key) { columns.append(key) } }
            let cells = rows.map { row in columns.map { row[$0].map { $0.stringValue ?? $0.jsonText } ?? "" } }
            out.line(Format.table(columns.map { $0.uppercased() }, cells))
        case "link":
            let link = try? JSONValue(json: artifact.data)
            out.line("\(link?["text"]?.stringValue ?? "") <\(link?["url"]?.stringValue ?? artifact.data)>")
        default:
            out.line(artifact.data)
        }
        return 0
    }
}
