import BatonCore
import BatonLoader
import BatonProcess
import Foundation

/// Builds a flow package's dynamic libraries in release, exporting only the Baton entry point, with
/// the `swift` of this toolchain (`BATON_SWIFT`, else the first `swift` on `PATH`).
public struct PackageBuilder {
    let home: BatonHome

    /// Builds every dynamic library product of the package and returns the libraries' paths.
    func build(packageDirectory: String, progress: @escaping @Sendable (String) -> Void) throws -> [String] {
        let swift = try Self.swiftExecutable()
        let products = try dynamicProducts(swift: swift, packageDirectory: packageDirectory)
        guard !products.isEmpty else {
            throw BatonError(
                .buildFailed,
                "package '\(packageDirectory)' has no dynamic library product; add "
                    + "`.library(name: \"MyFlows\", type: .dynamic, targets: [\"MyFlows\"])` to its Package.swift")
        }
        try home.prepare()
        let exports = home.path + "/exports.map"
        let script = "{ global: baton_library_open; local: *; };\n"
        if (try? String(contentsOfFile: exports, encoding: .utf8)) != script {
            try script.write(toFile: exports, atomically: true, encoding: .utf8)
        }
        for product in products {
            progress("Building \(product) in release (\(packageDirectory))")
            let (status, output) = try Self.run(
                swift,
                ["build", "-c", "release", "--package-path", packageDirectory, "--product", product,
                 "--disable-build-manifest-caching",
                 "-Xlinker", "--version-script=\(exports)"],
                lineHandler: progress)
            guard status == 0 else {
                let errors = output.filter { $0.contains("error:") }
                let detail = (errors.first ?? output.last).map { ": \($0.trimmingCharacters(in: .whitespaces))" } ?? ""
                throw BatonError(.buildFailed, "building \(product) in '\(packageDirectory)' failed (swift build exited with status \(status))\(detail)")
            }
        }
        let (status, output) = try Self.run(
            swift, ["build", "-c", "release", "--package-path", packageDirectory, "--show-bin-path"], lineHandler: nil)
        guard status == 0, let bin = output.last(where: { $0.hasPrefix("/") }) else {
            throw BatonError(.buildFailed, "cannot find the build folder of '\(packageDirectory)'")
        }
        return products.map { "\(bin)/lib\($0).so" }
    }

    /// The names of the package's dynamic library products, from `swift package dump-package`.
    private func dynamicProducts(swift: String, packageDirectory: String) throws -> [String] {
        let (status, output) = try Self.run(
            swift, ["package", "dump-package", "--package-path", packageDirectory], lineHandler: nil, stdoutOnly: true)
        let text = output.joined(separator: "\n")
        guard status == 0, let start = text.firstIndex(of: "{"),
            let json = try? JSONValue(json: String(text[start...]))
        else {
            throw BatonError(.buildFailed, "cannot read the manifest of package '\(packageDirectory)' (swift package dump-package exited with status \(status))")
        }
        return (json["products"]?.arrayValue ?? []).compactMap { product in
            guard let name = product["name"]?.stringValue,
                product["type"]?["library"]?.arrayValue?.contains(.string("dynamic")) == true
            else { return nil }
            return name
        }
    }

    /// The `swift` of this toolchain: `BATON_SWIFT`, else the first on `PATH`.
    public static func swiftExecutable() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["BATON_SWIFT"], !path.isEmpty { return path }
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/swift"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw BatonError(
            .buildFailed, "swift was not found on PATH; set BATON_SWIFT to the swift of the toolchain that built baton")
    }

    /// Runs a command, handing each output line to `lineHandler` as it comes; returns the exit
    /// status and all lines. A Ctrl-C stops the command.
    static func run(
        _ executable: String, _ arguments: [String], lineHandler: (@Sendable (String) -> Void)?, stdoutOnly: Bool = false
    ) throws -> (Int32, [String]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = stdoutOnly ? FileHandle.nullDevice : pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw BatonError(.buildFailed, "cannot start \(executable): \(error.localizedDescription)")
        }
        let token = Interrupts.add { _ in process.interrupt() }
        defer { Interrupts.remove(token) }
        var lines: [String] = []
        var pending = Data()
        let handle = pipe.fileHandleForReading
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                lines.append(line)
                lineHandler?(line)
            }
        }
        if !pending.isEmpty {
            let line = String(decoding: pending, as: UTF8.self)
            lines.append(line)
            lineHandler?(line)
        }
        process.waitUntilExit()
        if Interrupts.signalReceived != nil { throw BatonError(.buildFailed, "the build was interrupted") }
        return (process.terminationStatus, lines)
    }
}
