import Foundation

/// Where Baton keeps its state: `$BATON_HOME`, by default `~/.baton`.
///
///     baton.db                  the SQLite store
///     libraries/<sha256>/       registered libraries, read-only, never overwritten
///     staging/                  libraries being registered
public struct BatonHome: Sendable, Hashable {
    public let path: String

    public init(path: String) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// `BATON_HOME`, or `~/.baton`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> BatonHome {
        if let path = environment["BATON_HOME"], !path.isEmpty {
            return BatonHome(path: URL(fileURLWithPath: path).standardizedFileURL.path)
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return BatonHome(path: home + "/.baton")
    }

    public var databasePath: String { path + "/baton.db" }
    public var librariesPath: String { path + "/libraries" }
    public var stagingPath: String { path + "/staging" }
    /// Lock files: `scheduler.lock`, held by the worker that schedules, and one per worker.
    public var locksPath: String { path + "/locks" }

    /// Creates the directories and checks that they can be written.
    public func prepare() throws {
        let fm = FileManager.default
        for directory in [path, librariesPath, stagingPath, locksPath] {
            do {
                try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw BatonError(
                    .io, "BATON_HOME '\(path)' cannot be created: \(Self.reason(error)); set BATON_HOME to a writable directory")
            }
        }
        guard fm.isWritableFile(atPath: path), fm.isWritableFile(atPath: stagingPath) else {
            throw BatonError(.io, "BATON_HOME '\(path)' is not writable; set BATON_HOME to a writable directory")
        }
    }

    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return ns.localizedDescription
    }
}
