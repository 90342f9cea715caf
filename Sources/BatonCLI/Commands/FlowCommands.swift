import BatonCore
import BatonLoader
import Foundation

enum FlowCommands {
    static let list = CommandSpec(
        path: ["flow", "ls"], summary: "List registered flows with their latest version and last run", options: [.json]
    ) { args, context in
        let flows = try context.backend().flows()
        if args.flag("json") {
            context.out.line(Format.json(flows))
            return 0
        }
        guard !flows.isEmpty else {
            context.out.line("No flows are registered yet. Register one with `baton register <package-or-library>`.")
            return 0
        }
        let rows = flows.map { flow in
            [
                context.out.bold(flow.name), "v\(flow.latestVersion)", "\(flow.versionCount)",
                flow.lastRunState.map { "\($0.rawValue) \(Format.ago(flow.lastRunAt!))" } ?? "-",
                flow.description ?? "",
            ]
        }
        context.out.line(Format.table(["FLOW", "LATEST", "VERSIONS", "LAST RUN", "DESCRIPTION"], rows))
        return 0
    }

    static let versions = CommandSpec(
        path: ["flow", "versions"], summary: "List every version of a flow",
        positionals: [PositionalSpec(name: "flow", help: "The flow's name")], options: [.json]
    ) { args, context in
        let versions = try context.backend().versions(of: args.positionals[0])
        if args.flag("json") {
            context.out.line(Format.json(versions))
            return 0
        }
        let latest = versions.last?.version
        let rows = versions.map { v in
            [
                "\(v.version)" + (v.version == latest ? " (latest)" : ""), String(v.hash.prefix(12)), v.label ?? "-",
                Format.dateTime(v.registeredAt), v.sourcePath ?? "-",
            ]
        }
        context.out.line(Format.table(["VERSION", "HASH", "LABEL", "REGISTERED", "SOURCE"], rows))
        return 0
    }

    static let inspect = CommandSpec(
        path: ["flow", "inspect"], summary: "Show a flow version: parameters, tasks, schedule, hash and label",
        positionals: [PositionalSpec(name: "flow", help: "The flow's name")],
        options: [.value("version", "N", "The version to show (default: the latest)"), .json]
    ) { args, context in
        let inspection = try context.backend().inspect(flow: args.positionals[0], number: try args.integer("version", minimum: 1))
        let version = inspection.version
        let schema = try ParameterSchema(jsonSchema: version.parameters, flow: version.flow)
        let library = inspection.library
        if args.flag("json") {
            struct Inspect: Encodable {
                var version: VersionView
                /// The tasks' manifests, or through a server the API's summaries of them.
                var tasks: JSONValue
                var sdkVersion: String?
                var swiftCompiler: String?
            }
            let tasks = try JSONValue(json: inspection.tasks.map { try BatonCoding.encoder().encode($0) } ?? BatonCoding.encoder().encode(inspection.taskSummaries))
            context.out.line(
                Format.json(
                    Inspect(
                        version: version, tasks: tasks, sdkVersion: library?.manifest.sdkVersion,
                        swiftCompiler: library.map { LibraryMagic.compilerName($0.manifest.swiftCompiler) })))
            return 0
        }
        let out = context.out
        let latest = inspection.latest
        var facts: [(String, String)] = [
            ("Flow", out.bold(version.flow)),
            ("Version", "\(version.version) of \(latest)" + (version.version == latest ? " (latest)" : "")),
        ]
        if let description = version.description { facts.append(("Description", description)) }
        facts.append(("Hash", "sha256 \(version.hash)"))
        facts.append(("Label", version.label ?? "-"))
        facts.append(
            ("Registered", Format.dateTime(version.registeredAt) + (version.registeredBy.map { " by \($0)" } ?? "")))
        facts.append(("Source", version.sourcePath ?? "-"))
        if let library {
            let m = library.manifest
            let swift = LibraryMagic.compilerName(m.swiftCompiler)
            facts.append(("Library", "\(library.path) (\(library.size / 1024) KiB; ABI \(m.abiMajor).\(m.abiMinor), SDK \(m.sdkVersion), Swift \(swift))"))
        }
        facts.append(("Schedule", version.schedule?.summary ?? "none"))
        if let options = inspection.manifest?.options {
            var parts: [String] = []
            if options.retries > 0 { parts.append("\(options.retries) retries (\(options.retryPolicy.description))") }
            if let timeout = options.timeoutSeconds { parts.append("timeout \(Format.duration(timeout))") }
            if let concurrency = options.taskConcurrency { parts.append("task concurrency \(concurrency)") }
            if !options.logPrints { parts.append("prints not captured") }
            if !options.hooks.isEmpty { parts.append("hooks \(options.hooks.joined(separator: ", "))") }
            facts.append(("Options", parts.isEmpty ? "defaults" : parts.joined(separator: "; ")))
        }
        // What only the local store knows: the API does not send a version's result type and source.
        if let manifest = inspection.manifest {
            facts.append(("Result", manifest.resultType))
            facts.append(("Declared at", manifest.sourceLocation ?? "-"))
        }
        for (key, value) in facts { out.line(key.padding(toLength: 13, withPad: " ", startingAt: 0) + value) }

        out.line()
        out.line(out.bold("Parameters"))
        if schema.parameters.isEmpty {
            out.line("  (none)")
        } else {
            let rows = schema.parameters.map { p in
                [p.name, p.type.shortName, p.defaultValue.jsonText, p.type.constraints.summary(base: p.type.base) ?? "-", p.description ?? ""]
            }
            out.line(indent(Format.table(["NAME", "TYPE", "DEFAULT", "ALLOWED", "DESCRIPTION"], rows)))
        }
        out.line()
        out.line(out.bold("Tasks") + out.dim(" (of the library)"))
        if inspection.tasks == nil, !inspection.taskSummaries.isEmpty {
            let rows = inspection.taskSummaries.map { t in
                [t.name, "\(t.retries)", Format.duration(t.timeoutSeconds), t.tags.isEmpty ? "-" : t.tags.joined(separator: ","), t.description ?? ""]
            }
            out.line(indent(Format.table(["NAME", "RETRIES", "TIMEOUT", "TAGS", "DESCRIPTION"], rows)))
            return 0
        }
        let tasks = inspection.tasks ?? []
        if tasks.isEmpty {
            out.line("  (none declared)")
        } else {
            let rows = tasks.map { t in
                let o = t.options
                let cache = o.cache.map { c in
                    c.policy + (c.expirationSeconds.map { ", \(Format.duration($0))" } ?? "") + (c.refresh ? ", refresh" : "")
                } ?? "-"
                return [
                    t.name, t.inputType, t.outputType, "\(o.retries)", o.retries == 0 ? "-" : o.retryDelayDescription,
                    Format.duration(o.timeoutSeconds), o.tags.isEmpty ? "-" : o.tags.joined(separator: ","), cache,
                    o.hooks.isEmpty ? "-" : o.hooks.joined(separator: ","), o.description ?? "",
                ]
            }
            out.line(indent(Format.table(
                ["NAME", "INPUT", "OUTPUT", "RETRIES", "RETRY DELAY", "TIMEOUT", "TAGS", "CACHE", "HOOKS", "DESCRIPTION"], rows)))
        }
        return 0
    }

    static func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
    }
}
