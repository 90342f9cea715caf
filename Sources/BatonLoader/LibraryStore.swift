import BatonCore
import Foundation

/// The content-addressed store of library files: `$BATON_HOME/libraries/<sha256>/<file>`, written
/// through a staging directory and a rename, read-only, never overwritten, loaded by absolute path.
/// Overwriting a loaded `.so` crashes the process that has it mapped, and `dlopen` of a path already
/// loaded returns the stale handle: hence one immutable path per content.
public struct LibraryStore: Sendable {
    public let home: BatonHome

    public init(home: BatonHome) { self.home = home }

    /// A library copied into staging, with its hash.
    public struct Staged: Sendable {
        public let hash: String
        public let fileName: String
        public let size: Int
        /// The staged copy; registration reads its manifest from here.
        public let path: String
        let directory: String
    }

    /// Copies `source` into a new staging directory and hashes the copy.
    public func stage(_ source: String) throws -> Staged {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw BatonError(.notFound, "library '\(source)' does not exist")
        }
        guard !isDirectory.boolValue else {
            throw BatonError(.invalidInput, "'\(source)' is a directory without Package.swift; expected a .so file or a flow package")
        }
        try home.prepare()
        let directory = home.stagingPath + "/" + UUID().uuidString.lowercased()
        let fileName = (source as NSString).lastPathComponent
        let path = directory + "/" + fileName
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try fm.copyItem(atPath: source, toPath: path)
        } catch {
            try? fm.removeItem(atPath: directory)
            throw BatonError(.io, "'\(source)' cannot be copied into \(home.stagingPath): \(error.localizedDescription)")
        }
        let size = (try? fm.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return Staged(hash: try SHA256.hex(ofFileAt: path), fileName: fileName, size: size, path: path, directory: directory)
    }

    /// Moves a staged library to its permanent, read-only place and returns that path. When the same
    /// content is already stored (registered before, or by a racing registration), keeps the stored
    /// copy after checking its hash, and discards the staged one.
    public func commit(_ staged: Staged) throws -> String {
        let fm = FileManager.default
        let target = home.librariesPath + "/" + staged.hash
        if let existing = try existingFile(in: target, hash: staged.hash) {
            discard(staged)
            return existing
        }
        chmod(staged.path, 0o444)
        if rename(staged.directory, target) != 0 {
            let code = errno
            if code == EEXIST || code == ENOTEMPTY, let existing = try existingFile(in: target, hash: staged.hash) {
                discard(staged)
                return existing
            }
            discard(staged)
            throw BatonError(.io, "library cannot be stored at \(target): \(String(cString: strerror(code)))")
        }
        _ = fm
        return target + "/" + staged.fileName
    }

    /// The stored library with content `hash`, checked, or nil when this store has none.
    public func stored(hash: String) throws -> String? {
        try existingFile(in: home.librariesPath + "/" + hash, hash: hash)
    }

    /// Stores `bytes` fetched from elsewhere (a server, for a worker on another host) as the library
    /// `hash`, after checking that they are: bytes with another hash are refused and not kept.
    public func store(bytes: [UInt8], fileName: String, hash: String) throws -> String {
        let actual = SHA256.hex(of: bytes)
        guard actual == hash else {
            throw BatonError(.io, "the library fetched for \(hash) has SHA-256 \(actual): it was changed on the way, and is not used")
        }
        // The name is the server's: only its last component, and a name the runner loads as a library.
        var name = (fileName as NSString).lastPathComponent
        if name.isEmpty || name.hasPrefix(".") || !name.hasSuffix(".so") { name = "lib\(hash.prefix(16)).so" }
        try home.prepare()
        let directory = home.stagingPath + "/" + UUID().uuidString.lowercased()
        let path = directory + "/" + name
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                throw BatonError(.io, "cannot write \(path)")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw BatonError(.io, "the library \(hash) cannot be stored in \(home.stagingPath): \(error)")
        }
        return try commit(Staged(hash: hash, fileName: name, size: bytes.count, path: path, directory: directory))
    }

    /// Removes a staged library.
    public func discard(_ staged: Staged) {
        try? FileManager.default.removeItem(atPath: staged.directory)
    }

    /// Checks that the file at `path` still has the content `hash` names.
    public func verify(path: String, hash: String) throws {
        try Self.verify(path: path, hash: hash)
    }

    /// Checks that the file at `path` still has the content `hash` names.
    public static func verify(path: String, hash: String) throws {
        let actual = try SHA256.hex(ofFileAt: path)
        guard actual == hash else {
            throw BatonError(
                .io, "library '\(path)' was changed after it was registered: its SHA-256 is \(actual), expected \(hash)")
        }
    }

    private func existingFile(in directory: String, hash: String) throws -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory), let name = names.first else {
            return nil
        }
        let path = directory + "/" + name
        try verify(path: path, hash: hash)
        return path
    }
}
