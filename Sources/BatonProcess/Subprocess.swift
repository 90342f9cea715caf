import BatonCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process with pipes to its parent: the only place that spawns, polls and reaps processes.
///
/// The child gets: fd 0 from /dev/null; fds 1 and 2 into one output pipe (read line by line); and,
/// with `messaging`, fd 3 to write messages to the parent and fd 4 to read messages from it (what the
/// messages say is the caller's: the runner's protocol lives in `BatonRunner`). It runs in its own
/// process group, so that a Ctrl-C at the terminal reaches the parent only, which then decides how
/// to stop the child.
public final class Subprocess {
    public let pid: pid_t
    public let executable: String
    /// What the child is in errors ("runner": "the runner process stopped reading").
    public let role: String
    private var messagesFD: Int32
    private var controlFD: Int32
    private var outputFD: Int32
    private var outputBuffer: [UInt8] = []
    private var status: ExitStatus?

    /// Starts `executable` with `arguments`, in `workingDirectory` when given (else in this process's).
    /// `messaging` adds the message pipes on fds 3 and 4.
    public init(executable: String, arguments: [String], messaging: Bool, workingDirectory: String? = nil, role: String = "child")
        throws
    {
        // Pipes are made close-on-exec in two steps, so spawns are serialised: no other child may be
        // started between the two and inherit them.
        if let workingDirectory, Spawn.addChdir == nil {
            throw BatonError(.runner, "cannot start a \(role) in '\(workingDirectory)': this C library cannot set a child's working directory")
        }
        Spawn.lock.lock()
        defer { Spawn.lock.unlock() }
        self.executable = executable
        self.role = role
        let output = try Pipes.make()
        let messages = messaging ? try Pipes.make() : (read: -1, write: -1)
        let control = messaging ? try Pipes.make() : (read: -1, write: -1)
        var descriptors: [Spawn.Descriptor] = [.open(0, "/dev/null", O_RDONLY), .duplicate(output.write, to: 1), .duplicate(output.write, to: 2)]
        if messaging { descriptors += [.duplicate(messages.write, to: 3), .duplicate(control.read, to: 4)] }
        let started = Result { try Spawn.startLocked(executable, arguments, descriptors: descriptors, workingDirectory: workingDirectory) }
        close(output.write)
        if messaging {
            close(messages.write)
            close(control.read)
        }
        do {
            pid = try started.get()
        } catch {
            [output.read, messages.read, control.write].filter { $0 >= 0 }.forEach { close($0) }
            throw error
        }
        self.outputFD = output.read
        self.messagesFD = messages.read
        self.controlFD = control.write
    }

    deinit {
        [outputFD, messagesFD, controlFD].filter { $0 >= 0 }.forEach { close($0) }
        if status == nil { _ = wait() }
    }

    /// Writes `bytes` to the child's fd 4 (nothing once it is closed).
    public func send(_ bytes: [UInt8]) throws {
        guard controlFD >= 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(controlFD, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BatonError(.runner, "the \(role) process stopped reading: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    /// Closes the parent's end of fd 4: the child reads end of file.
    public func closeControl() {
        if controlFD >= 0 {
            close(controlFD)
            controlFD = -1
        }
    }

    public enum PumpResult: Sendable { case finished, timedOut }

    /// Reads fd 3 and the output lines until the child has closed both (it exited). `batch` gets what
    /// each read brought, in order: the bytes of fd 3 (to be framed by the caller) and whole output
    /// lines; `watch` adds descriptors whose readability calls `onReadable`. When `deadline()`
    /// passes, `onDeadline` decides: true stops pumping (`timedOut`), false goes on.
    public func pump(
        deadline: () -> Date? = { nil }, watch: () -> [Int32] = { [] }, onReadable: (Int32) throws -> Void = { _ in },
        onDeadline: () -> Bool = { true }, batch: ([UInt8], [String]) throws -> Void
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
                throw BatonError(.runner, "cannot wait for the \(role) process: \(String(cString: strerror(errno)))")
            }
            if ready == 0 { continue }
            var messages: [UInt8] = []
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
                        messages += chunk[..<n]
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
    public func wait() -> ExitStatus {
        if let status { return status }
        let result = Spawn.wait(pid)
        status = result
        return result
    }

    /// Sends `signal` to the child's process group.
    public func kill(_ signal: Int32) {
        guard status == nil else { return }
        Glibc.kill(-pid, signal)
    }

    /// The absolute path of this process's executable.
    public static var currentExecutable: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    }
}
