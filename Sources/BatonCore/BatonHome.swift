import Foundation

/// Where Baton keeps its state: `$BATON_HOME`, by default `~/.baton`.
///
///     baton.db                  the SQLite store
///     libraries/<sha256>/       registered libraries, read-only, never overwritten
///     staging/                  libraries being registered
///     results/                  results too large for the database
///     runs/<run id>/            the working directory of a run executed by a worker or server
///
/// Private by default: the home and its folders are 0700 and the store's files 0600, also when the
/// home was made by an older baton (they are tightened each time it is prepared).
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
    /// The key secrets are sealed with, when `BATON_SECRET_KEY` gives none (0600).
    public var secretKeyPath: String { path + "/secret.key" }
    /// Lock files: `scheduler.lock`, held by the worker that schedules, and one per worker.
    public var locksPath: String { path + "/locks" }
    /// Working directories of runs executed by workers and servers, one per run.
    public var runsPath: String { path + "/runs" }
    /// Results too large for the database.
    public var resultsPath: String { path + "/results" }

    /// The working directory of a run executed by a worker or server.
    public func runDirectory(_ flowRunID: String) -> String { runsPath + "/" + flowRunID }

    /// The working directory for a run executed by a worker or server, created before its runner
    /// starts: the one its deployment names (`configured`), else its own folder under `runs/`, private
    /// to the owner and removed when the run is pruned.
    public func prepareRunDirectory(for flowRunID: String, configured: String?) throws -> String {
        if let configured {
            // A folder the deployment names is the operator's: made when missing, never tightened.
            do {
                try FileManager.default.createDirectory(
                    atPath: configured, withIntermediateDirectories: true, attributes: [.posixPermissions: Int(Self.folderMode)])
            } catch {
                throw BatonError(
                    .io, "the working directory '\(configured)' of run \(flowRunID)'s deployment cannot be created: \(error.localizedDescription)")
            }
            return configured
        }
        let directory = runDirectory(flowRunID)
        try Self.makePrivateDirectory(directory)
        return directory
    }

    /// Folders of a home: only their owner may enter them.
    public static let folderMode: mode_t = 0o700
    /// Files of the store (the database, its WAL and shared memory): only their owner may read them.
    public static let fileMode: mode_t = 0o600

    /// Creates the directories (0700) and checks that they can be written; tightens the folders and
    /// the store's files of an existing home to 0700 and 0600.
    public func prepare() throws {
        let fm = FileManager.default
        for directory in [path, librariesPath, stagingPath, locksPath, runsPath, resultsPath, path + "/doorbells"] {
            do {
                try fm.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: Int(Self.folderMode)])
            } catch {
                throw BatonError(
                    .io, "BATON_HOME '\(path)' cannot be created: \(Self.reason(error)); set BATON_HOME to a writable directory")
            }
            Self.tighten(directory, to: Self.folderMode)
        }
        for file in [databasePath, databasePath + "-wal", databasePath + "-shm"] { Self.tighten(file, to: Self.fileMode) }
        guard fm.isWritableFile(atPath: path), fm.isWritableFile(atPath: stagingPath) else {
            throw BatonError(.io, "BATON_HOME '\(path)' is not writable; set BATON_HOME to a writable directory")
        }
    }

    /// Creates `directory` (and missing parents) private to its owner, or tightens it if it exists.
    public static func makePrivateDirectory(_ directory: String) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: Int(folderMode)])
        } catch {
            throw BatonError(.io, "folder '\(directory)' cannot be created: \(reason(error))")
        }
        tighten(directory, to: folderMode)
    }

    /// Takes away what group and others may do with `path`, when it exists and is looser than `mode`.
    /// A file owned by someone else is left alone (chmod would fail anyway).
    static func tighten(_ path: String, to mode: mode_t) {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o077 != 0, info.st_uid == geteuid() else { return }
        _ = chmod(path, (info.st_mode & 0o7777) & mode)
    }

    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return ns.localizedDescription
    }
}
