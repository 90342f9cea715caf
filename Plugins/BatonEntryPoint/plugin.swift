import Foundation
import PackagePlugin

/// Generates the C entry point of a flow library, so flow authors write no unsafe code and no
/// `@_cdecl`. The generator (`baton-entry-point`) finds the flows and tasks declared as top-level
/// constants in the target:
///
///     let windspeed = Flow("windspeed") { … }
///     let extract = task("extract", retries: 3) { … }
///
/// and writes `baton_library_open`, which names each of them, so that every one is created and
/// registered before the host asks for the manifest.
///
/// The scanning happens in a build command whose inputs are the target's sources, not here: SwiftPM
/// caches a plugin's commands and asks the plugin again only when the package's structure changes,
/// so a flow added to an existing file would otherwise be missed.
@main
struct BatonEntryPoint: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let sources = target.sourceFiles(withSuffix: "swift").map(\.url)
        let output = context.pluginWorkDirectoryURL.appending(path: "BatonEntryPoint.swift")
        return [
            .buildCommand(
                displayName: "Generating the Baton entry point of \(target.name)",
                executable: try context.tool(named: "baton-entry-point").url,
                arguments: [target.name, output.path] + sources.map(\.path),
                inputFiles: sources, outputFiles: [output])
        ]
    }
}
