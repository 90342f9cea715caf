import BatonCore
import BatonRunner
import Foundation

enum RegisterCommand {
    static let spec = CommandSpec(
        path: ["register"],
        summary: "Register a flow library, or build and register a flow package, as the next version of its flows",
        details: """
            A flow package directory is built in release first (`swift build -c release`), exporting only the
            Baton entry point. Each flow in the library gets a new version when the library's bytes are new;
            identical bytes keep their version. The library's code runs in a child process, time-limited.
            Through a server (--api URL or BATON_API_URL) the package is built here and each library is
            uploaded; the server records its own source for it.

            EXAMPLES:
              baton register flows/windspeed
              baton register .build/release/libWindspeed.so --label "$(git rev-parse --short HEAD)"
            """,
        positionals: [PositionalSpec(name: "path", help: "A flow library (.so) or a flow package directory")],
        options: [
            .value("label", "TEXT", "A label for the new versions, such as a git commit"),
            .value("source", "PATH", "The source to record (default: the package directory or library path)"),
            .value("timeout", "SECONDS", "How long the library may take to describe itself (default 30)"),
            .json,
        ],
        run: run)

    static func run(_ args: ParsedArguments, _ context: CommandContext) async throws -> Int32 {
        let json = args.flag("json")
        let timeout = try args.seconds("timeout") ?? 30
        let err = context.err
        let reports = try context.backend().register(
            path: args.positionals[0], label: args.value("label"), source: args.value("source"), timeout: timeout,
            progress: { line in err.line(err.dim("  \(line)")) })
        if json {
            struct Row: Encodable {
                var flow: String
                var version: Int
                var created: Bool
                var hash: String
                var label: String?
                var library: String
                var seconds: Double
                var buildSeconds: Double?
                var deployment: String?
            }
            let rows = reports.flatMap { report in
                report.versions.map {
                    Row(
                        flow: $0.flow, version: $0.version, created: $0.created, hash: $0.hash, label: $0.label,
                        library: report.library, seconds: report.totalSeconds, buildSeconds: report.buildSeconds,
                        deployment: $0.deploymentNote)
                }
            }
            context.out.line(Format.json(rows))
            return 0
        }
        for report in reports {
            let file = (report.library as NSString).lastPathComponent
            for version in report.versions {
                let label = version.label.map { ", label \"\($0)\"" } ?? ""
                if version.created {
                    context.out.line(
                        "Registered \(context.out.bold(version.flow)) version \(version.version) "
                            + "(sha256 \(version.hash.prefix(12))\(label)) from \(file)")
                } else {
                    context.out.line(
                        "\(context.out.bold(version.flow)): identical bytes are already version \(version.version) "
                            + "(sha256 \(version.hash.prefix(12))); no new version")
                }
                if let note = version.deploymentNote { context.out.line("  " + note) }
            }
            let build = report.buildSeconds.map { ", of which building \(Format.duration($0))" } ?? ""
            context.err.line(context.err.dim("  took \(Format.duration(report.totalSeconds))\(build)"))
        }
        return 0
    }
}
