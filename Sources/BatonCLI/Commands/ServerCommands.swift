import BatonCore
import BatonHTTP
import BatonServer
import BatonServices
import BatonStore
import Foundation

/// `baton server start`.
enum ServerCommands {
    static let start = CommandSpec(
        path: ["server", "start"], summary: "Serve the API, the web UI and live events, with the scheduler and a worker",
        details: """
            One process: the HTTP API under /api (OpenAPI at /api/openapi.json), the web UI at /, live
            events at /api/events, the scheduler, and a worker for the default pool (--no-worker leaves
            execution to `baton worker start` processes). Flows still run in runner children. Ctrl-C or
            SIGTERM stops accepting requests and lets running flows finish for up to --grace seconds.

            With --tls-cert and --tls-key it serves HTTPS (TLS 1.2 or later) instead of plain HTTP; clients
            that do not trust the certificate's CA are given it with --ca-file or BATON_CA_FILE.

            EXAMPLES:
              baton server start
              baton server start --port 8080 --no-worker
              baton server start --tls-cert cert.pem --tls-key key.pem
            """,
        options: [
            .value("host", "ADDRESS", "The address to listen on (default 127.0.0.1); beyond loopback, credentials are required"),
            .flag("no-auth", "Let requests without credentials do everything: on a loopback address only"),
            .flag("trust-proxy", "Believe a reverse proxy's X-Forwarded-For and X-Forwarded-Proto (only when every request comes through it)"),
            .value(
                "allowed-host", "NAME", "A host name to answer for besides loopback ones, such as a reverse proxy's (any other Host gets 421)",
                repeatable: true),
            .value("port", "N", "The port (default 4200; 0 picks a free one)"),
            .value("tls-cert", "FILE", "Serve HTTPS with this PEM certificate chain, the server's certificate first (needs --tls-key)"),
            .value("tls-key", "FILE", "The unencrypted PEM private key of --tls-cert's certificate"),
            .flag("no-worker", "Schedule only; let separate workers execute the runs"),
            .value("pool", "NAME", "The pool of the built-in worker and of runs created through the API (default 'default')"),
            .value("limit", "N", "How many runs the built-in worker executes at once (default 10)"),
            .value("grace", "SECONDS", "How long running flows may finish after Ctrl-C (default 30)"),
            .value("retention-days", "N", "Prune final runs older than N days at start and daily (default: keep every run)"),
            .value("max-json-bytes", "N", "The largest JSON request body in bytes (default \(InputLimits.defaultMaxJSONBytes), or $\(InputLimits.environmentVariable)); larger gets 413"),
            LogLines.option,
        ]
    ) { args, context in
        let started = Date()
        var options = ServerOptions()
        options.host = args.value("host") ?? options.host
        options.requireCredentials = !args.flag("no-auth")
        options.trustProxy = args.flag("trust-proxy")
        options.allowedHosts = try args.all("allowed-host").map { name in
            guard let host = Loopback.hostName(ofAuthority: name), host == name.lowercased() else {
                throw BatonError(.invalidInput, "--allowed-host '\(name)' is not valid: expected a host name such as baton.example.com, without a port")
            }
            return host
        }
        if let port = try args.integer("port", minimum: 0) {
            guard port <= 65_535 else { throw BatonError(.invalidInput, "--port \(port) is not valid: expected a port from 0 to 65535") }
            options.port = port
        }
        options.tls = try tlsIdentity(args)
        options.worker = !args.flag("no-worker")
        options.pool = args.value("pool") ?? options.pool
        options.workerLimit = try args.integer("limit", minimum: 1) ?? options.workerLimit
        options.grace = try args.seconds("grace") ?? options.grace
        options.maxJSONBytes = try args.value("max-json-bytes").map { try InputLimits.parse($0, name: "--max-json-bytes") } ?? InputLimits.maxJSONBytes()
        let log = try LogLines(args, component: "server", terminal: context.out)
        let retention = try args.integer("retention-days", minimum: 1)
        let pruning = try retention.map { days in RetentionSchedule(store: try context.services().store, days: days) { line in log.say(line) } }
        pruning?.start()
        defer { pruning?.stop() }
        try serve(options, context: context, started: started, log: log)
        return 0
    }

    /// The certificate and key of `--tls-cert` and `--tls-key`, read and checked; nil when neither is given.
    static func tlsIdentity(_ args: ParsedArguments) throws -> TLSIdentity? {
        switch (args.value("tls-cert"), args.value("tls-key")) {
        case (nil, nil):
            return nil
        case (let chain?, let key?):
            do {
                return try TLSIdentity(certificateChainFile: chain, privateKeyFile: key)
            } catch let error as TLSFileError {
                throw BatonError(.invalidInput, error.message { $0 == .privateKey ? "--tls-key" : "--tls-cert" })
            }
        case (_?, nil):
            throw BatonError(.invalidInput, "--tls-cert needs --tls-key: expected the PEM private key of the certificate too")
        case (nil, _?):
            throw BatonError(.invalidInput, "--tls-key needs --tls-cert: expected the PEM certificate chain of the key too")
        }
    }

    /// Runs a server until Ctrl-C, printing its address once it is ready.
    /// Runs a server until Ctrl-C, printing its address once it is ready: with a one-time login link
    /// for `loginUser` when given (quickstart), else a word on how to log in when nobody can yet.
    static func serve(_ options: ServerOptions, context: CommandContext, started: Date, log: LogLines? = nil, loginUser: String? = nil) throws {
        let out = context.out
        let log = log ?? LogLines(format: .text, component: "server", terminal: out)
        let services = try context.services()
        let server = try Server(store: services.store, home: context.home, options: options) { line in log.say(line) }
        let noUsers = try options.requireCredentials && loginUser == nil && services.access.users(.storeOwner()).isEmpty
        try server.run { address in
            let milliseconds = Int((Date().timeIntervalSince(started) * 1000).rounded())
            var web = address + "/"
            if let loginUser, options.requireCredentials, let token = try? services.access.loginLink(user: loginUser, .storeOwner()) {
                web = AccessService.loginURL(base: address, token: token)
            }
            log.say("Baton is ready in \(milliseconds) ms: web UI \(log.format == .text ? out.bold(web) : web), API \(address)/api (Ctrl-C to stop)")
            if let loginUser, options.requireCredentials {
                log.say("that link logs \(loginUser) in once; `baton user link \(loginUser)` prints another")
            }
            if noUsers {
                log.say("nobody can log in yet: `baton user create NAME --admin` adds a user, `baton user link NAME` prints a login link")
            }
        }
    }
}
