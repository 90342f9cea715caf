import BatonCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `posix_spawn` and `waitpid`: the one place that starts and reaps child processes.
public enum Spawn {
    /// What one of the child's descriptors is set to before it runs.
    public enum Descriptor: Sendable {
        /// `fd` opened on `path` with `flags` (and `mode` when they create it).
        case open(Int32, String, Int32, mode: mode_t = 0)
        /// The parent's `source` as the child's `target`.
        case duplicate(Int32, to: Int32)

        var target: Int32 {
            switch self {
            case .open(let fd, _, _, _): fd
            case .duplicate(_, let target): target
            }
        }
    }

    /// Held while a spawn is prepared: pipes are made close-on-exec in two steps (see `Pipes`), and a
    /// child started between the two would inherit them.
    static let lock = NSLock()

    /// Starts `executable` with `arguments` and returns its pid. The child gets `descriptors` and
    /// nothing else of this process; `environment` (else this process's) and `workingDirectory`
    /// (else this process's). With `ownProcessGroup` it gets `SpawnAttributes`; without, it keeps
    /// this process's group, signal dispositions and mask.
    public static func start(
        _ executable: String, _ arguments: [String], descriptors: [Descriptor], environment: [String: String]? = nil,
        workingDirectory: String? = nil, ownProcessGroup: Bool = true
    ) throws -> pid_t {
        lock.lock()
        defer { lock.unlock() }
        return try startLocked(
            executable, arguments, descriptors: descriptors, environment: environment, workingDirectory: workingDirectory,
            ownProcessGroup: ownProcessGroup)
    }

    /// `start`, with `lock` already held.
    static func startLocked(
        _ executable: String, _ arguments: [String], descriptors: [Descriptor], environment: [String: String]? = nil,
        workingDirectory: String? = nil, ownProcessGroup: Bool = true
    ) throws -> pid_t {
        if let workingDirectory, addChdir == nil {
            throw BatonError(.runner, "cannot start \(executable) in '\(workingDirectory)': this C library cannot set a child's working directory")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor in descriptors {
            switch descriptor {
            case .open(let fd, let path, let flags, let mode): posix_spawn_file_actions_addopen(&actions, fd, path, flags, mode)
            case .duplicate(let source, let target): posix_spawn_file_actions_adddup2(&actions, source, target)
            }
        }
        // Nothing else of this process reaches the child: a descriptor it inherited without
        // close-on-exec (a socket, the end of someone's pipe) would otherwise stay open as long as the
        // child runs, and whoever waits for its end to close would wait for the child too.
        _ = addCloseFrom?(&actions, (descriptors.map(\.target).max() ?? 2) + 1)
        if let workingDirectory, let addChdir { _ = addChdir(&actions, workingDirectory) }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { (argv + (envp ?? [])).forEach { free($0) } }
        var pid: pid_t = 0
        func spawn(_ envp: UnsafePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
            guard ownProcessGroup else { return posix_spawn(&pid, executable, &actions, nil, argv, envp) }
            return SpawnAttributes.with { attributes in posix_spawn(&pid, executable, &actions, &attributes, argv, envp) }
        }
        let rc = envp.map { $0.withUnsafeBufferPointer { spawn($0.baseAddress) } } ?? spawn(environ)
        guard rc == 0 else { throw BatonError(.runner, "cannot start \(executable): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// Waits for the child `pid` to exit.
    public static func wait(_ pid: pid_t) -> ExitStatus {
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        return ExitStatus(raw)
    }

    /// Waits for the child `pid` to exit, and reports its peak resident memory in bytes: the larger of
    /// its own and that of the children it reaped (`wait4`'s resource usage).
    public static func waitMeasured(_ pid: pid_t) -> (status: ExitStatus, peakMemory: Int64) {
        var raw: Int32 = 0
        var usage = rusage()
        while wait4(pid, &raw, 0, &usage) < 0 && errno == EINTR {}
        return (ExitStatus(raw), Int64(usage.ru_maxrss) * 1024)
    }

    /// The child `pid`'s status if it has exited (it is then reaped), else nil.
    public static func poll(_ pid: pid_t) -> ExitStatus? {
        var raw: Int32 = 0
        return waitpid(pid, &raw, WNOHANG) == pid ? ExitStatus(raw) : nil
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run time
    /// because the Glibc module does not declare it; nil where the C library lacks it.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29 and later), looked up like `addCloseFrom`.
    static let addChdir: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32).self)
    }()
}

/// How a child process ended.
public enum ExitStatus: Equatable, Sendable {
    case exited(Int32)
    case signaled(Int32)

    /// From `waitpid`'s status word.
    init(_ raw: Int32) {
        self = (raw & 0x7F) == 0 ? .exited((raw >> 8) & 0xFF) : .signaled(raw & 0x7F)
    }

    /// As a shell reports it: the exit status, or 128 plus the signal.
    public var code: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "was killed by signal \(signal) (\(Self.signalName(signal)))"
        }
    }

    public static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGILL: "SIGILL", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE",
            SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGINT: "SIGINT", SIGTRAP: "SIGTRAP", SIGPIPE: "SIGPIPE",
            SIGHUP: "SIGHUP", SIGQUIT: "SIGQUIT",
        ]
        return names[signal] ?? "signal \(signal)"
    }
}
