import BatonCore
import BatonLoader
import BatonRunner
import BatonStore
import Foundation

/// Registers flow libraries: copies each into the content-addressed library store, reads its manifest
/// in a runner child, and records a version of each of its flows. Given a flow package directory, it
/// builds the package's dynamic libraries in release first.
///
/// Nothing is recorded unless every step succeeds: a library that is not one, that is built for
/// another ABI, or whose code crashes or hangs while registering leaves the store as it was.
public struct Registrar: Sendable {
    public let services: Services
    /// Who registers, as the application layer checks it.
    public let caller: Caller
    public let runnerExecutable: String
    var home: BatonHome { services.home }
    var store: any Store { services.store }

    public init(services: Services, caller: Caller, runnerExecutable: String = RunnerExecutable.default) {
        self.services = services
        self.caller = caller
        self.runnerExecutable = runnerExecutable
    }

    /// Who registers: `$USER`, or when it is unset (a container, a service) the account the process runs as.
    static var registrant: String? {
        if let user = ProcessInfo.processInfo.environment["USER"], !user.isEmpty { return user }
        let name = NSUserName()
        return name.isEmpty ? nil : name
    }

    /// What one registration did.
    public struct Report: Sendable {
        public var library: String
        public var versions: [RegisteredVersion]
        /// Seconds spent building, when given a package directory.
        public var buildSeconds: Double?
        public var totalSeconds: Double
    }

    /// Registers the library at `path`, or every flow library of the package directory at `path`.
    public func register(
        path: String, label: String? = nil, source: String? = nil, timeout: Double = 30,
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> [Report] {
        let started = Date()
        let (absolute, isPackage) = try Self.target(path)
        if isPackage {
            let builder = PackageBuilder(home: home)
            let built = try builder.build(packageDirectory: absolute, progress: progress)
            let buildSeconds = Date().timeIntervalSince(started)
            return try built.map { library in
                var report = try registerLibrary(library, label: label, source: source ?? absolute, timeout: timeout)
                report.buildSeconds = buildSeconds
                report.totalSeconds = Date().timeIntervalSince(started)
                return report
            }
        }
        var report = try registerLibrary(absolute, label: label, source: source ?? absolute, timeout: timeout)
        report.totalSeconds = Date().timeIntervalSince(started)
        return [report]
    }

    /// What `path` names: a flow library, or a flow package directory (one with Package.swift);
    /// refuses anything else with a message naming it.
    public static func target(_ path: String) throws -> (absolute: String, isPackage: Bool) {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
            throw BatonError(.notFound, "'\(path)' does not exist; expected a flow library (.so) or a flow package directory")
        }
        guard isDirectory.boolValue else { return (absolute, false) }
        guard FileManager.default.fileExists(atPath: absolute + "/Package.swift") else {
            throw BatonError(.invalidInput, "'\(path)' is a directory without Package.swift; expected a flow package or a .so file")
        }
        return (absolute, true)
    }

    /// Checks a library as registering it would, without recording it: its magic, then its manifest
    /// read in a runner child.
    static func check(library path: String, timeout: Double, executable: String) throws -> LibraryManifest {
        let image = try ELFImage(path: path)
        try LibraryMagic.host.check(library: image.magic, path: path)
        return try ManifestReader.read(
            libraryPath: path, displayName: "library '\((path as NSString).lastPathComponent)'", timeout: timeout, executable: executable)
    }

    private func registerLibrary(_ path: String, label: String?, source: String, timeout: Double) throws -> Report {
        let started = Date()
        let name = (path as NSString).lastPathComponent
        // Checked from the file before anything is copied or loaded.
        let image = try ELFImage(path: path)
        try LibraryMagic.host.check(library: image.magic, path: path)

        // Bytes registered before: their manifest is stored, so neither a copy nor a child is needed.
        let hash = try SHA256.hex(ofFileAt: path)
        if let known = try store.library(hash: hash), (try? LibraryStore.verify(path: known.path, hash: hash)) != nil {
            let versions = try services.registration.record(
                LibraryRegistration(
                    hash: hash, fileName: known.fileName, path: known.path, size: known.size, manifest: known.manifest,
                    sourcePath: source, label: label, registeredBy: Self.registrant, content: Self.content(known.path)), caller)
            return Report(library: known.path, versions: versions, buildSeconds: nil, totalSeconds: Date().timeIntervalSince(started))
        }

        let libraries = LibraryStore(home: home)
        let staged = try libraries.stage(path)
        let manifest: LibraryManifest
        let stored: String
        do {
            manifest = try ManifestReader.read(
                libraryPath: staged.path, displayName: "library '\(name)'", timeout: timeout, executable: runnerExecutable)
            stored = try libraries.commit(staged)
        } catch {
            libraries.discard(staged)
            throw error
        }
        let versions = try services.registration.record(
            LibraryRegistration(
                hash: staged.hash, fileName: staged.fileName, path: stored, size: staged.size, manifest: manifest,
                sourcePath: source, label: label, registeredBy: Self.registrant, content: Self.content(stored)), caller)
        return Report(library: stored, versions: versions, buildSeconds: nil, totalSeconds: Date().timeIntervalSince(started))
    }

    /// A stored library's bytes, for a store that keeps them for its other hosts.
    static func content(_ path: String) -> [UInt8]? { FileManager.default.contents(atPath: path).map { Array($0) } }
}
