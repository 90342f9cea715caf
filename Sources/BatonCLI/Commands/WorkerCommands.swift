import BatonCore
import BatonStore
import BatonWorker
import Foundation

/// `baton worker start` and `baton worker ls`.
enum WorkerCommands {
    static let start = CommandSpec(
        path: ["worker", "start"], summary: "Run the deployments of a pool as their runs come due (and schedule them)",
        details: """
            Claims each run of its pool when it is due, starts it on time in a runner child as `baton run`
            does, and heartbeats. One worker per store also schedules every deployment and ends the runs of
            workers that died (retrying them when their flow retries). Ctrl-C or SIGTERM stops claiming,
            lets running flows finish for up to --grace seconds, then cancels them.

            With --api URL (or BATON_API_URL) it works on another host, through the server's API only, with
            an API key whose role allows running (BATON_API_KEY, or the key `baton login` saved): it claims
            the runs of its pool in the key's project, fetches each version's library by its SHA-256 into
            its own BATON_HOME, and sends each run's events back in batches, kept on disk while the server
            is out of reach. It never schedules.
            """,
        options: [
            .value("pool", "NAME", "The pool whose runs to execute (default 'default')"),
            .value("limit", "N", "How many runs at once (default 10)"),
            .value("name", "NAME", "A name for `baton worker ls` (default worker-PID)"),
            .value("grace", "SECONDS", "How long running flows may finish after Ctrl-C (default 30)"),
            .flag("no-schedule", "Never act as the scheduler"),
            .value("heartbeat", "SECONDS", "How often it says it lives (default 10); silent for three, it is taken for gone"),
            LogLines.option,
        ]
    ) { args, context in
        let pool = args.value("pool") ?? DeploymentNames.defaultPool
        try DeploymentNames.validate(pool, what: "pool name")
        let options = WorkerOptions(
            pool: pool, limit: try args.integer("limit", minimum: 1) ?? 10,
            name: args.value("name"), grace: try args.seconds("grace") ?? 30, heartbeat: Double(try args.integer("heartbeat", minimum: 1) ?? 10),
            schedules: !args.flag("no-schedule"))
        if let name = args.value("name") { try DeploymentNames.validate(name, what: "worker name") }
        let log = try LogLines(args, component: "worker", terminal: context.out)
        if context.api != nil {
            guard let remote = try context.backend() as? RemoteBackend else { return 1 }
            let worker = try RemoteWorker(link: remote.link, home: context.home, options: options) { line in log.say(line) }
            try worker.run()
            return 0
        }
        let store = try context.services().store
        let worker = try Worker(store: store, home: context.home, options: options) { line in log.say(line) }
        try worker.run()
        return 0
    }

    static let list = CommandSpec(
        path: ["worker", "ls"], summary: "List workers with their pool, runs, last heartbeat and host (silent: not heard from for three heartbeats)", options: [.json]
    ) { args, context in
        let workers = try context.backend().workers()
        if args.flag("json") {
            context.out.line(Format.json(workers))
            return 0
        }
        guard !workers.isEmpty else {
            context.out.line("No workers have run on this store. Start one with `baton worker start`.")
            return 0
        }
        let rows = workers.map { w in
            [
                context.out.bold(w.name), w.pool,
                w.stoppedAt.map { "stopped \(Format.ago($0))" } ?? (w.healthy ? "running" : "silent"),
                "\(w.activeRuns)/\(w.limit)", Format.ago(w.heartbeatAt), "\(w.host):\(w.pid)",
            ]
        }
        context.out.line(Format.table(["WORKER", "POOL", "STATE", "RUNS", "HEARTBEAT", "PROCESS"], rows))
        return 0
    }
}
