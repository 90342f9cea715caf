import BatonCore
import BatonProcess
import Foundation

/// A runner child: a `Subprocess` whose fds 3 and 4 carry the runner's messages (`RunnerMessage`).
final class ChildProcess {
    private let process: Subprocess
    private var messageBuffer: [UInt8] = []

    var pid: pid_t { process.pid }

    /// Starts `executable` with `arguments`, in `workingDirectory` when given (else in this process's).
    /// `messaging` adds the message pipes on fds 3 and 4.
    init(executable: String, arguments: [String], messaging: Bool, workingDirectory: String? = nil) throws {
        process = try Subprocess(
            executable: executable, arguments: arguments, messaging: messaging, workingDirectory: workingDirectory, role: "runner")
    }

    /// Sends a message on the child's fd 4.
    func send(_ message: RunnerMessage) throws {
        try process.send(message.frame())
    }

    /// Closes the parent's end of fd 4: the child reads end of file.
    func closeControl() { process.closeControl() }

    /// Reads messages and output lines until the child has closed both (it exited): see
    /// `Subprocess.pump`, whose bytes of fd 3 are framed here into messages.
    func pump(
        deadline: () -> Date? = { nil }, watch: () -> [Int32] = { [] }, onReadable: (Int32) throws -> Void = { _ in },
        onDeadline: () -> Bool = { true }, batch: ([RunnerMessage], [String]) throws -> Void
    ) throws -> Subprocess.PumpResult {
        try process.pump(deadline: deadline, watch: watch, onReadable: onReadable, onDeadline: onDeadline) { bytes, lines in
            messageBuffer += bytes
            let messages = bytes.isEmpty ? [] : try RunnerMessage.unframe(&messageBuffer)
            if !messages.isEmpty || !lines.isEmpty { try batch(messages, lines) }
        }
    }

    /// Waits for the child to exit.
    func wait() -> ExitStatus { process.wait() }

    /// Sends `signal` to the child's process group.
    func kill(_ signal: Int32) { process.kill(signal) }
}
