import BatonCore
import BatonProcess
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL server for the tests: one per test process, started on first use on a
/// temporary directory and a free loopback port (`initdb` and `pg_ctl` from PostgreSQL 15), stopped
/// when the process exits. Each test gets a database of its own (``makeDatabase()``).
///
/// `initdb` refuses to run as root; as root the server runs as the `postgres` account (`runuser`).
public final class PostgresServer: Sendable {
    /// Where PostgreSQL's programs are.
    public static let binaries = "/usr/lib/postgresql/15/bin"

    /// The shared server, or nil when this machine has no PostgreSQL (the tests that need one skip,
    /// saying so once).
    public static let shared: PostgresServer? = {
        guard FileManager.default.isExecutableFile(atPath: binaries + "/initdb") else {
            FileHandle.standardError.write(Data("note: no PostgreSQL at \(binaries); the PostgreSQL store's tests are skipped\n".utf8))
            return nil
        }
        do {
            let server = try PostgresServer()
            atexit { PostgresServer.shared?.stop() }
            return server
        } catch {
            FileHandle.standardError.write(Data("note: a PostgreSQL server for the tests could not start: \(error)\n".utf8))
            return nil
        }
    }()

    public let directory: String
    public let port: Int
    /// The account the server runs as when the tests run as root.
    private let account: String?

    private init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("baton-pg-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        account = getuid() == 0 ? "postgres" : nil
        if let account {
            _ = try Self.command("/bin/chown", [account, directory])
        }
        port = try Self.freePort()
        try run("initdb", ["-D", directory + "/data", "-U", "baton", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"])
        try start()
    }

    /// A server of its own, for a test that stops it and starts it again; the caller stops it for
    /// good (``stop()``) at its end.
    public static func dedicated() throws -> PostgresServer { try PostgresServer() }

    /// Starts the server (again), on its port, and waits until it takes connections.
    public func start() throws {
        try run(
            "pg_ctl",
            [
                "-D", directory + "/data", "-l", directory + "/server.log", "-w", "-o",
                "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                    + "-c full_page_writes=off -c max_connections=300 -c shared_buffers=128MB", "start",
            ])
    }

    /// Stops the server as an administrator does (every session ended), keeping its files for
    /// ``start()``.
    public func halt() throws {
        try run("pg_ctl", ["-D", directory + "/data", "-m", "fast", "-w", "stop"])
    }

    /// The URL of a new, empty database on this server.
    public func makeDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try psql("CREATE DATABASE \(name)")
        return url(database: name)
    }

    /// The URL of database `name` on this server.
    public func url(database name: String) -> String { "postgresql://baton@127.0.0.1:\(port)/\(name)" }

    /// Runs one SQL command on the `postgres` database with `psql`; returns what it printed.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        try Self.command(Self.binaries + "/psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", "baton", "-d", database, "-c", sql])
    }

    /// Stops the server at once and removes its files.
    public func stop() {
        _ = try? run("pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs one of PostgreSQL's programs, as the server's account when there is one.
    private func run(_ program: String, _ arguments: [String]) throws {
        if let account {
            _ = try Self.command("/usr/sbin/runuser", ["-u", account, "--", Self.binaries + "/" + program] + arguments)
        } else {
            _ = try Self.command(Self.binaries + "/" + program, arguments)
        }
    }

    /// Runs `executable` to its end through Baton's own spawning (``Spawn``); its output goes to a
    /// file, not a pipe, because `pg_ctl start` leaves a server behind that must not hold our end.
    @discardableResult
    static func command(_ executable: String, _ arguments: [String]) throws -> String {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("baton-pg-output-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let pid = try Spawn.start(
            executable, arguments,
            descriptors: [.open(0, "/dev/null", O_RDONLY), .open(1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644), .duplicate(1, to: 2)])
        let status = Spawn.wait(pid)
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == .exited(0) else {
            throw BatonError(.io, "\((executable as NSString).lastPathComponent) \(arguments.prefix(3).joined(separator: " ")) failed: \(text)")
        }
        return text
    }

    /// A loopback port nobody listens on now.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw BatonError(.io, "no free loopback port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
