import BatonCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process with pipes to its parent: the only place that spawns, polls and reaps processes.
///
/// The child gets: fd 0 from /dev/null; fds 1 and 2 into one output pipe (read line by line); and,
/// for runner children, fd 3 to write messages to the parent and fd 4 to read messages from it. It
/// runs in its own process group, so that a Ctrl-C at the terminal reaches the parent only, which
/// then decides how to stop the child.
final class ChildProcess {
    let pid: pid_t
    let executable: String
    private var messagesFD: Int32
    private var controlFD: Int32
    private var outputFD: Int32
    private var messageBuffer: [UInt8] = []
    private var outputBuffer: [UInt8] = []
    private var status: ExitStatus?

    enum ExitStatus: Equatable {
        case exited(Int32)
        case signaled(Int32)

        var description: String {
            switch self {
            case .exited(let code): "exited with status \(code)"
            case .signaled(let signal): "was killed by signal \(signal) (\(ChildProcess.signalName(signal)))"
            }
        }
    }

    /// Starts `executable` with `arguments`, in `workingDirectory` when given (else in this process's).
    /// `messaging` adds the message pipes on fds 3 and 4.
    init(executable: String, arguments: [String], messaging: Bool, workingDirectory: String? = nil) throws {
        // Pipes are made close-on-exec in two steps (pipe, then fcntl: pipe2 is not exposed to Swift),
        // so spawns are serialised: no other child may be started between the two and inherit them.
        if let workingDirectory, Self.addChdir == nil {
            throw BatonError(.runner, "cannot start a runner in '\(workingDirectory)': this C library cannot set a child's working directory")
        }
        Self.spawnLock.lock()
        defer { Self.spawnLock.unlock() }
        self.executable = executable
        var messages: [Int32] = [-1, -1]
        var control: [Int32] = [-1, -1]
        var output: [Int32] = [-1, -1]
        func makePipe(_ fds: inout [Int32]) throws {
            guard pipe(&fds) == 0 else {
                throw BatonError(.runner, "cannot create a pipe: \(String(cString: strerror(errno)))")
            }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        }
        try makePipe(&output)
        if messaging {
            try makePipe(&messages)
            try makePipe(&control)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, output[1], 2)
        if messaging {
            posix_spawn_file_actions_adddup2(&actions, messages[1], 3)
            posix_spawn_file_actions_adddup2(&actions, control[0], 4)
        }
        // Nothing else of this process reaches the child: a descriptor it inherited without
        // close-on-exec (a socket, the end of someone's pipe) would otherwise stay open as long as the
        // child runs, and whoever waits for its end to close would wait for the child too.
        _ = Self.addCloseFrom?(&actions, 5)
        if let workingDirectory, let addChdir = Self.addChdir { _ = addChdir(&actions, workingDirectory) }


        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = SpawnAttributes.with { attributes in posix_spawn(&pid, executable, &actions, &attributes, argv, environ) }
        close(output[1])
        if messaging {
            close(messages[1])
            close(control[0])
        }
        guard rc == 0 else {
            [output[0], messages[0], control[1]].filter { $0 >= 0 }.forEach { close($0) }
            throw BatonError(.runner, "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        self.pid = pid
        self.outputFD = output[0]
        self.messagesFD = messaging ? messages[0] : -1
        self.controlFD = messaging ? control[1] : -1
    }

    private static let spawnLock = NSLock()

    deinit {
        [outputFD, messagesFD, controlFD].filter { $0 >= 0 }.forEach { close($0) }
        if status == nil { _ = wait() }
    }

    /// Sends a message on the child's fd 4.
    func send(_ message: RunnerMessage) throws {
        guard controlFD >= 0 else { return }
        let bytes = message.frame()
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(controlFD, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BatonError(.runner, "the runner process stopped reading: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    /// Closes the parent's end of fd 4: the child reads end of file.
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run time
    /// because the Glibc module does not declare it; nil where the C library lacks it.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29 and later), looked up like `addCloseFrom`.
    private static let addChdir: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32).self)
    }()

    func closeControl() {
        if controlFD >= 0 {
            close(controlFD)
            controlFD = -1
        }
    }

    enum PumpResult { case finished, timedOut }

    /// Reads messages and output lines until the child has closed both (it exited). `batch` gets what
    /// each read brought, in order; `watch` adds descriptors whose readability calls `onReadable`.
    /// When `deadline()` passes, `onDeadline` decides: true stops pumping (`timedOut`), false goes on.
    func pump(
        deadline: () -> Date? = { nil }, watch: () -> [Int32] = { [] }, onReadable: (Int32) throws -> Void = { _ in },
        onDeadline: () -> Bool = { true }, batch: ([RunnerMessage], [String]) throws -> Void
    ) throws -> PumpResult {
        while messagesFD >= 0 || outputFD >= 0 {
            var fds = ([messagesFD, outputFD] + watch()).filter { $0 >= 0 }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            var timeout: Int32 = -1
            if let deadline = deadline() {
                let remaining = deadline.timeIntervalSinceNow
                if remaining <= 0 {
                    if onDeadline() { return .timedOut }
                    continue
                }
                timeout = Int32(min(remaining * 1000 + 1, 60_000))
            }
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                throw BatonError(.runner, "cannot wait for the runner process: \(String(cString: strerror(errno)))")
            }
            if ready == 0 { continue }
            var messages: [RunnerMessage] = []
            var lines: [String] = []
            for entry in fds where entry.revents != 0 {
                if entry.fd != messagesFD && entry.fd != outputFD {
                    try onReadable(entry.fd)
                    continue
                }
                var chunk = [UInt8](repeating: 0, count: 1 << 16)
                let n = chunk.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if entry.fd == messagesFD {
                    if n <= 0 {
                        close(messagesFD)
                        messagesFD = -1
                    } else {
                        messageBuffer += chunk[..<n]
                        messages += try RunnerMessage.unframe(&messageBuffer)
                    }
                } else {
                    if n <= 0 {
                        close(outputFD)
                        outputFD = -1
                        if !outputBuffer.isEmpty { lines.append(String(decoding: outputBuffer, as: UTF8.self)) }
                        outputBuffer = []
                    } else {
                        outputBuffer += chunk[..<n]
                        while let newline = outputBuffer.firstIndex(of: 10) {
                            lines.append(String(decoding: outputBuffer[..<newline], as: UTF8.self))
                            outputBuffer.removeFirst(newline + 1)
                        }
                    }
                }
            }
            if !messages.isEmpty || !lines.isEmpty { try batch(messages, lines) }
        }
        return .finished
    }

    /// Waits for the child to exit.
    func wait() -> ExitStatus {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let result: ExitStatus = (raw & 0x7F) == 0 ? .exited((raw >> 8) & 0xFF) : .signaled(raw & 0x7F)
        status = result
        return result
    }

    /// Sends `signal` to the child's process group.
    func kill(_ signal: Int32) {
        guard status == nil else { return }
        Glibc.kill(-pid, signal)
    }

    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGILL: "SIGILL", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE",
            SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGINT: "SIGINT", SIGTRAP: "SIGTRAP", SIGPIPE: "SIGPIPE",
            SIGHUP: "SIGHUP", SIGQUIT: "SIGQUIT",
        ]
        return names[signal] ?? "signal \(signal)"
    }

    /// The absolute path of this process's executable.
    static var currentExecutable: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    }
}
