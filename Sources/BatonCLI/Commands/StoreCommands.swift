import BatonCore
import BatonRunner
import BatonServices
import BatonStore
import Foundation

/// `baton store check`, `baton store backup` and `baton store prune`: maintenance of the local store.
enum StoreCommands {
    static let all: [CommandSpec] = [
        check.onlyLocal("reads this machine's store file"), backup.onlyLocal("copies this machine's store file"),
        copy.onlyLocal("reads this machine's store file"), prune.onlyLocal("removes runs from this machine's store"),
    ]

    static let check = CommandSpec(
        path: ["store", "check"], summary: "Check every page of the store for damage (SQLite's integrity check)",
        details: """
            Reads the whole store (seconds for a store of 100,000 runs; progress on standard error; Ctrl-C
            stops it) and lists what is wrong. Exits 0 when the store is sound, 1 when it is damaged. A store
            found damaged is noted as such, so that no process writes to it; one found sound again (after a
            restore, say) loses the note. Safe while runs are executing.
            """,
        options: [.json]
    ) { args, context in
        let path = try context.sqliteStorePath(for: "baton store check")
        let progress = ProgressLine(context.err, "checking store '\(path)'")
        let report = try StoreMaintenance.check(path: path) { progress.tick() }
        progress.end()
        if args.flag("json") {
            context.out.line(Format.json(report))
        } else if report.ok {
            context.out.line("Store '\(path)' is sound (\(megabytes(report.bytes)), checked in \(String(format: "%.1f", report.seconds)) s).")
        } else {
            context.out.line("Store '\(path)' is damaged: \(report.problems.count) problem(s)\(report.problems.count >= 100 ? " (the first 100)" : ""):")
            for problem in report.problems { context.out.line("  " + problem) }
            context.out.line("Nothing more is written to it. Restore a backup: see `baton store backup --help`.")
        }
        return report.ok ? 0 : 1
    }

    static let backup = CommandSpec(
        path: ["store", "backup"], summary: "Copy the store to a file, consistently, while runs go on",
        details: """
            Uses SQLite's online backup API: the copy is one consistent moment of the store, taken in
            batches of pages while other processes keep writing. It is written beside FILE and renamed into
            place when complete; an existing FILE is refused unless --force.

            TO RESTORE: stop every baton process on the store (server, workers, `baton run`), copy the backup
            over $BATON_HOME/baton.db, delete baton.db-wal and baton.db-shm beside it, then run
            `baton store check` (which also removes the note of a damaged store once the check passes).
            """,
        positionals: [PositionalSpec(name: "file", help: "Where to write the copy")],
        options: [.flag("force", "Overwrite FILE if it exists"), .json]
    ) { args, context in
        let path = try context.sqliteStorePath(for: "baton store backup")
        let destination = URL(fileURLWithPath: args.positionals[0]).standardizedFileURL.path
        let progress = ProgressLine(context.err, "backing up store '\(path)'")
        let report = try StoreMaintenance.backup(path: path, to: destination, overwrite: args.flag("force")) { copied, total in
            progress.tick(detail: "\(copied) of \(total) pages")
        }
        progress.end()
        if args.flag("json") {
            context.out.line(Format.json(report))
        } else {
            context.out.line(
                "Backed up store '\(path)' to '\(destination)' (\(megabytes(report.bytes)), \(report.pages) pages, "
                    + "\(String(format: "%.1f", report.seconds)) s).")
        }
        return 0
    }

    static let copy = CommandSpec(
        path: ["store", "copy"], summary: "Copy the SQLite store into an empty PostgreSQL database, to move a team onto it",
        details: """
            Copies every table of $BATON_HOME/baton.db (versions, libraries, runs, task runs, states, logs,
            artifacts, caches, deployments, limits, workers, projects, users, keys, sessions and the audit
            log) with its ids into the database at URL, which must be empty (createdb NAME): one consistent
            moment of the store, read while runs go on, written in one transaction and compared table by
            table before it commits. Interrupted (Ctrl-C) or failed, the database is left empty. Library
            and result files stay in $BATON_HOME, where the processes of this host find them.

            Then point every command, server and worker at the database:
              export BATON_DATABASE_URL=URL

            EXAMPLES:
              baton store copy --to postgresql://baton@db.internal:5432/baton
            """,
        options: [.value("to", "URL", "The empty PostgreSQL database to copy into (required)", example: "postgresql://baton@127.0.0.1:5432/baton"), .json]
    ) { args, context in
        let path = try context.sqliteStorePath(for: "baton store copy")
        guard let url = args.value("to") else {
            throw BatonError(.invalidInput, "--to is required: the empty PostgreSQL database to copy into, as in --to postgresql://baton@127.0.0.1:5432/baton")
        }
        let progress = ProgressLine(context.err, "copying store '\(path)'")
        let report = try StoreCopy.copy(sqlitePath: path, to: url, home: context.home) { table, copied, total in
            progress.tick(detail: "\(table): \(copied) of \(total) rows")
        }
        progress.end()
        if args.flag("json") {
            context.out.line(Format.json(report))
        } else {
            let tables = report.tables.sorted { $0.key < $1.key }.filter { $0.value > 0 }.map { "\($0.key) \($0.value)" }
            context.out.line(
                "Copied store '\(path)' to '\(report.destination)': \(report.rows) rows in \(report.tables.count) tables, "
                    + "every count checked (\(String(format: "%.1f", report.seconds)) s).")
            context.out.line("  " + tables.joined(separator: ", "))
            context.out.line("Use it: export BATON_DATABASE_URL='\(report.destination)' (with the password, if it has one)")
        }
        return 0
    }

    static let prune = CommandSpec(
        path: ["store", "prune"], summary: "Remove final runs older than some days, with everything they left",
        details: """
            Removes flow runs that ended more than DAYS days ago with their task runs, states, logs,
            artifacts, cached results, result files and working directories (BATON_HOME/runs/<run id>/), and
            gives the freed space back to the file system. Runs that are not final are never touched, nor the
            subflows of a run that is not final; a subflow goes with its parent. A store made before
            incremental vacuum is converted once by a full VACUUM (it holds the store's write lock for a
            while). `baton server start --retention-days N` prunes daily.

            EXAMPLES:
              baton store prune --older-than 30 --dry-run
              baton store prune --older-than 7 --keep-failed
            """,
        options: [
            .value("older-than", "DAYS", "Remove runs that ended more than DAYS days ago (required; 0: every final run)"),
            .flag("keep-failed", "Keep failed and crashed runs"),
            .flag("dry-run", "Count what would be removed; remove nothing"),
            .json,
        ]
    ) { args, context in
        guard let text = args.value("older-than") else {
            throw BatonError(.invalidInput, "--older-than is required: the age in days of the runs to remove, as in --older-than 30")
        }
        guard let days = Double(text), days >= 0, days.isFinite else {
            throw BatonError(.invalidInput, "--older-than '\(text)' is not valid: expected a number of days of at least 0")
        }
        let options = PruneOptions(
            endedBefore: Date().addingTimeInterval(-days * 86_400), keepFailed: args.flag("keep-failed"), dryRun: args.flag("dry-run"),
            convert: true)
        let report = try context.services().system.prune(options, .storeOwner())
        if args.flag("json") {
            context.out.line(Format.json(report))
        } else {
            context.out.line(summary(report))
        }
        return 0
    }

    /// One line saying what a prune did.
    static func summary(_ report: PruneReport) -> String {
        let what =
            "\(report.runs) run(s), \(report.taskRuns) task run(s), \(report.logs) log line(s), \(report.artifacts) artifact(s), "
            + "\(report.resultFiles) result file(s) and \(report.runDirectories) working director\(report.runDirectories == 1 ? "y" : "ies")"
        if report.dryRun { return "Would remove \(what) (dry run: nothing was removed)." }
        return "Removed \(what); the store went from \(megabytes(report.bytesBefore)) to \(megabytes(report.bytesAfter))"
            + (report.converted ? " (converted once to incremental vacuum)." : ".")
    }

    static func megabytes(_ bytes: Int64) -> String { String(format: "%.1f MB", Double(bytes) / 1_000_000) }
}

/// A progress line on standard error: rewritten in place on a terminal, else one line every 10 s.
/// `tick` returns false once Ctrl-C or SIGTERM arrived, which stops the work.
final class ProgressLine: @unchecked Sendable {
    // @unchecked: one thread at a time: the store calls `tick` on the thread that runs the check or backup.
    private let terminal: Terminal
    private let title: String
    private let started = Date()
    private var shown = Date.distantPast
    private var wrote = false

    init(_ terminal: Terminal, _ title: String) {
        self.terminal = terminal
        self.title = title
    }

    func tick(detail: String? = nil) -> Bool {
        let now = Date()
        let every: Double = isatty(terminal.fd) == 1 ? 0.5 : 10
        if now.timeIntervalSince(shown) >= every {
            shown = now
            let text = "\(title): \(detail.map { $0 + ", " } ?? "")\(Int(now.timeIntervalSince(started))) s (Ctrl-C to stop)"
            if isatty(terminal.fd) == 1 {
                terminal.write("\r\u{1B}[K" + text)
                wrote = true
            } else {
                terminal.line(text)
            }
        }
        return Interrupts.signalReceived == nil
    }

    func end() {
        if wrote { terminal.write("\r\u{1B}[K") }
    }
}
