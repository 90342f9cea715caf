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
            """,
        options: [
            .value("pool", "NAME", "The pool whose runs to execute (default 'default')"),
            .value("limit", "N", "How many runs at once (default 10)"),
            .value("name", "NAME", "A name for `baton worker ls` (default worker-PID)"),
            .value("grace", "SECONDS", "How long running flows may finish after Ctrl-C (default 30)"),
            .flag("no-schedule", "Never act as the scheduler"),
            LogLines.option,
        ]
    ) { args, context in
        let store = try context.services().store
        let options = WorkerOptions(
            pool: args.value("pool") ?? DeploymentNames.defaultPool, limit: try args.integer("limit", minimum: 1) ?? 10,
            name: args.value("name"), grace: try args.seconds("grace") ?? 30, schedules: !args.flag("no-schedule"))
        if let name = args.value("name") { try DeploymentNames.validate(name, what: "worker name") }
        let log = try LogLines(args, component: "worker", terminal: context.out)
        let worker = try Worker(store: store, home: context.home, options: options) { line in log.say(line) }
        try worker.run()
        return 0
    }

    static let list = CommandSpec(
        path: ["worker", "ls"], summary: "List workers with their pool, runs and last heartbeat", options: [.json]
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
                context.out.bold(w.name), w.pool, w.stoppedAt == nil ? "running" : "stopped \(Format.ago(w.stoppedAt!))",
                "\(w.activeRuns)/\(w.limit)", Format.ago(w.heartbeatAt), "\(w.host):\(w.pid)",
            ]
        }
        context.out.line(Format.table(["WORKER", "POOL", "STATE", "RUNS", "HEARTBEAT", "PROCESS"], rows))
        return 0
    }
}
