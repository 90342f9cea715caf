import Foundation
import PackagePlugin

/// `swift package baton-register [--product NAME] [--label TEXT] [--json]`: builds the flow package's
/// dynamic library in release, exporting only `baton_library_open`, and registers it with `baton`.
///
/// `baton` is found through `BATON_BIN`, then `PATH`, then the `.build` folder of the baton package
/// this flow package depends on.
@main
struct BatonRegister: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        var extractor = ArgumentExtractor(arguments)
        if extractor.extractFlag(named: "help") > 0 {
            print("""
                USAGE: swift package baton-register [--product NAME] [--label TEXT] [--json]

                Builds this flow package's dynamic library in release, with only the Baton entry point
                exported, and registers it with `baton register`. Each build with new bytes becomes the
                next version of each flow it exports.
                """)
            return
        }
        let requested = extractor.extractOption(named: "product")
        let passThrough = extractor.extractOption(named: "label").flatMap { ["--label", $0] }
            + (extractor.extractFlag(named: "json") > 0 ? ["--json"] : [])
        if let unknown = extractor.remainingArguments.first {
            throw PluginFailure("baton-register: unknown argument '\(unknown)'; see --help")
        }

        let dynamic = context.package.products.compactMap { $0 as? LibraryProduct }.filter { $0.kind == .dynamic }
        let products = requested.isEmpty ? dynamic.map(\.name) : requested
        guard !products.isEmpty else {
            throw PluginFailure(
                "baton-register: package '\(context.package.displayName)' has no dynamic library product; add "
                    + "`.library(name: \"MyFlows\", type: .dynamic, targets: [\"MyFlows\"])` to its Package.swift")
        }

        let exports = context.pluginWorkDirectoryURL.appending(path: "exports.map")
        try "{ global: baton_library_open; local: *; };\n".write(to: exports, atomically: true, encoding: .utf8)
        var parameters = PackageManager.BuildParameters(configuration: .release, logging: .concise)
        parameters.otherLinkerFlags = ["--version-script=\(exports.path)"]

        let baton = try findBaton(context)
        for product in products {
            Diagnostics.remark("Building \(product) in release")
            let result = try packageManager.build(.product(product), parameters: parameters)
            guard result.succeeded else {
                print(result.logText)
                throw PluginFailure("baton-register: building \(product) failed")
            }
            guard let library = result.builtArtifacts.first(where: { $0.kind == .dynamicLibrary }) else {
                throw PluginFailure("baton-register: building \(product) produced no dynamic library")
            }
            let process = Process()
            process.executableURL = baton
            process.arguments =
                ["register", library.url.path, "--source", context.package.directoryURL.path] + passThrough
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw PluginFailure("baton-register: `baton register` exited with status \(process.terminationStatus)")
            }
        }
    }

    private func findBaton(_ context: PluginContext) throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["BATON_BIN"], !path.isEmpty { return URL(fileURLWithPath: path) }
        let fm = FileManager.default
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/baton"
            if fm.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
        }
        for dependency in context.package.dependencies where dependency.package.id == "baton" || dependency.package.displayName == "baton" {
            for configuration in ["release", "debug"] {
                let candidate = dependency.package.directoryURL.appending(path: ".build/\(configuration)/baton")
                if fm.isExecutableFile(atPath: candidate.path) { return candidate }
            }
        }
        throw PluginFailure(
            "baton-register: the baton executable was not found; build it in the baton checkout with "
                + "`swift build -c release --product baton`, then put .build/release on PATH or set BATON_BIN")
    }
}

struct PluginFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
