import BatonCore
import BatonRunner
import BatonStore
import Foundation

extension Services {
    /// Registering flow libraries: from a path on this machine, from an upload, or building a package
    /// for a server to register.
    public var registration: RegistrationService { RegistrationService(services: self) }
}

/// Registers flow libraries (``Registrar``): each flow in a library gets a new version, live for its
/// next run.
public struct RegistrationService: Sendable {
    let services: Services

    /// Registers the library at `path`, or builds the flow package at `path` and registers each of
    /// its libraries.
    public func register(
        path: String, label: String?, source: String?, timeout: Double, progress: @escaping @Sendable (String) -> Void, _ caller: Caller
    ) throws -> [Registrar.Report] {
        try services.authorize(caller, .develop)
        return try Registrar(services: services, caller: caller)
            .register(path: path, label: label, source: source, timeout: timeout, progress: progress)
    }

    /// Records a checked library's versions, then has the deployments of each flow that got a new
    /// version follow it (``DeploymentService/followRegistration(flows:project:now:)``): the store records,
    /// this layer decides what a registration changes. `register` and `registerUpload` check the
    /// library first; this records what they found.
    public func record(_ registration: LibraryRegistration, _ caller: Caller) throws -> [RegisteredVersion] {
        try services.audit.local("register", target: registration.fileName, caller) {
            try services.authorize(caller, .develop)
            var registration = registration
            registration.project = caller.project
            let versions = try services.store.register(registration)
            let created = versions.filter(\.created).map(\.flow)
            guard !created.isEmpty else { return versions }
            let notes = try services.deployments.followRegistration(flows: created, project: caller.project, now: services.options.now())
            return versions.map { version in
                var version = version
                if version.created { version.deploymentNote = notes[version.flow] }
                return version
            }
        }
    }

    /// A library's bytes sent by a client: in a file the server received them into, or in memory.
    public struct Upload: Sendable {
        /// The name the client gave the file (`libWindspeed.so`).
        public var fileName: String
        public var label: String?
        /// Where it came from, as the versions record it; by default the client's address and file name.
        public var source: String?
        /// The file holding the bytes (moved away by registering), or nil when `bytes` holds them.
        public var bodyFile: String?
        public var bytes: [UInt8]

        public init(fileName: String?, label: String?, source: String?, bodyFile: String?, bytes: [UInt8]) {
            self.fileName = fileName ?? "libUploaded.so"
            self.label = label
            self.source = source
            self.bodyFile = bodyFile
            self.bytes = bytes
        }
    }

    /// Registers an uploaded library under the name the client gave it, in a folder of its own that
    /// goes once it is registered. Messages name the client's file, not where the server kept it for
    /// a moment; `log` hears of each version created.
    public func registerUpload(_ upload: Upload, log: (String) -> Void, _ caller: Caller) throws -> [RegisteredVersion] {
        try services.authorize(caller, .develop)
        let size = upload.bodyFile.flatMap { (try? FileManager.default.attributesOfItem(atPath: $0))?[.size] as? Int } ?? upload.bytes.count
        guard size > 0 else { throw BatonError(.invalidInput, "the upload is empty: expected the bytes of a flow library (.so)") }
        let fileName = upload.fileName
        guard fileName.hasSuffix(".so"), !fileName.contains("/"), fileName.count <= 200, !fileName.hasPrefix(".") else {
            throw BatonError(
                .invalidInput, "fileName '\(fileName)' is not valid: expected a file name ending in .so, such as libWindspeed.so",
                field: "fileName")
        }
        let directory = services.home.path + "/uploads/" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/" + fileName
        do {
            if let file = upload.bodyFile {
                try FileManager.default.moveItem(atPath: file, toPath: path)
            } else {
                try Data(upload.bytes).write(to: URL(fileURLWithPath: path))
            }
        } catch {
            throw BatonError(.io, "cannot write the upload to \(path): \(error.localizedDescription)")
        }
        let reports: [Registrar.Report]
        do {
            reports = try Registrar(services: services, caller: caller).register(
                path: path, label: upload.label, source: upload.source ?? "upload from \(caller.address ?? ""): \(fileName)")
        } catch let error as BatonError {
            throw BatonError(
                error.code, error.message.replacingOccurrences(of: "'\(path)'", with: "the uploaded file '\(fileName)'")
                    .replacingOccurrences(of: path, with: fileName),
                underlying: error.underlying, field: error.field)
        }
        let registered = reports.flatMap(\.versions)
        for version in registered where version.created {
            log("registered \(version.flow) version \(version.version) (sha256 \(version.hash.prefix(12))) from an upload of \(fileName)")
        }
        return registered
    }

    /// A flow package built here for a server to register: its libraries, each checked as
    /// registering would check it (magic, manifest), and the seconds the build took.
    public struct BuiltPackage: Sendable {
        public var libraries: [String]
        public var buildSeconds: Double
    }

    /// Builds the flow package at `path` in release and checks its libraries, recording nothing: the
    /// remote CLI sends the libraries' bytes to a server. Needs no store.
    public static func buildPackage(
        at path: String, timeout: Double, runnerExecutable: String = RunnerExecutable.default, progress: @escaping @Sendable (String) -> Void
    ) throws -> BuiltPackage {
        let started = Date()
        let (absolute, _) = try Registrar.target(path)
        // The linker's export list goes to a scratch folder of its own, removed after the build.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("baton-build-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let libraries = try PackageBuilder(home: BatonHome(path: scratch)).build(packageDirectory: absolute, progress: progress)
        let buildSeconds = Date().timeIntervalSince(started)
        for library in libraries { _ = try Registrar.check(library: library, timeout: timeout, executable: runnerExecutable) }
        return BuiltPackage(libraries: libraries, buildSeconds: buildSeconds)
    }
}
