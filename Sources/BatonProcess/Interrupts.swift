import BatonCore
import Dispatch
import Foundation

/// Ctrl-C and SIGTERM: the only place that installs signal handlers. Long-running commands register
/// what to do when interrupted (stop a runner child, say) and finish cleanly instead of dying.
public enum Interrupts {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var handlers: [Int: @Sendable (Int32) -> Void] = [:]
    nonisolated(unsafe) private static var nextToken = 0
    nonisolated(unsafe) private static var installed = false
    nonisolated(unsafe) private static var received: Int32 = 0
    /// The write end of the pipe the signal handler writes each signal's number to; set before the
    /// handler is installed and never changed.
    nonisolated(unsafe) private static var signalPipe: Int32 = -1

    /// Routes SIGINT and SIGTERM to the registered handlers. A second Ctrl-C while nothing handles
    /// the first ends the process at once.
    ///
    /// The handler is installed with one `sigaction` call per signal: a signal is either handled by
    /// the default action (before, ending the process) or caught (after), never ignored in between,
    /// as it was while a dispatch source was being set up. The handler only writes the signal's
    /// number to a pipe (async-signal-safe); a thread of its own reads it and calls the handlers.
    public static func install() {
        lock.lock()
        defer { lock.unlock() }
        guard !installed else { return }
        installed = true
        guard let (reader, writer) = try? Pipes.make() else { return }
        signalPipe = writer
        Thread.detachNewThread {
            var byte: UInt8 = 0
            while true {
                let n = read(reader, &byte, 1)
                if n == 1 { deliver(Int32(byte)) } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
        for signalNumber in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signalNumber in
                var byte = UInt8(truncatingIfNeeded: signalNumber)
                let saved = errno
                _ = write(Interrupts.signalPipe, &byte, 1)
                errno = saved
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signalNumber, &action, nil)
        }
        // A parent may have started us with these blocked (a child inherits its spawner's signal
        // mask, and test runners block SIGTERM on their threads): then Ctrl-C and SIGTERM would
        // never arrive. Threads made from here on inherit the unblocked mask.
        var stopping = sigset_t()
        sigemptyset(&stopping)
        sigaddset(&stopping, SIGINT)
        sigaddset(&stopping, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stopping, nil)
    }

    /// Makes a write to a pipe whose reader is gone fail with EPIPE instead of ending the process.
    public static func ignoreBrokenPipe() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// The signal that interrupted this process, if any.
    public static var signalReceived: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return received == 0 ? nil : received
    }

    /// Calls `handler` when the process is interrupted, until `remove` is called with the token.
    ///
    /// A handler added after the process was interrupted is called at once, before `add` returns:
    /// a component that starts while the process is already stopping (a server's worker, a run
    /// created just as Ctrl-C came) hears the signal it would otherwise have missed.
    public static func add(_ handler: @escaping @Sendable (Int32) -> Void) -> Int {
        lock.lock()
        nextToken += 1
        let token = nextToken
        handlers[token] = handler
        let already = received
        lock.unlock()
        if already != 0 { handler(already) }
        return token
    }

    public static func remove(_ token: Int) {
        lock.lock()
        defer { lock.unlock() }
        handlers[token] = nil
    }

    private static func deliver(_ signalNumber: Int32) {
        lock.lock()
        let first = received == 0
        received = signalNumber
        let current = Array(handlers.values)
        lock.unlock()
        if current.isEmpty || !first {
            FileHandle.standardError.write(Data("\ninterrupted\n".utf8))
            // `_exit`, not `exit`: exit handlers run while other threads hold what they need could
            // hang a process that is being started or torn down.
            _exit(128 + signalNumber)
        }
        for handler in current { handler(signalNumber) }
    }
}

/// SIGUSR1 between baton processes, meaning "look at the store again": `baton run cancel` nudges the
/// run's supervisor, which then finds its run `cancelling`.
///
/// A signal rather than an inotify watch on the store's doorbells: closing an inotify instance waits
/// for the kernel to retire its watches, measured at about 10 ms at the end of every `baton run`.
/// The signal goes only to the process the store recorded (pid and start time), and a baton process
/// ignores it from the moment it first listens, so a late nudge cannot end it.
public enum Nudge {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var handlers: [Int: @Sendable () -> Void] = [:]
    nonisolated(unsafe) private static var nextToken = 0
    nonisolated(unsafe) private static var source: (any DispatchSourceSignal)?

    /// Calls `handler` on each nudge until `remove` is called with the token.
    public static func add(_ handler: @escaping @Sendable () -> Void) -> Int {
        lock.lock()
        defer { lock.unlock() }
        if source == nil {
            signal(SIGUSR1, SIG_IGN)
            let signalSource = DispatchSource.makeSignalSource(signal: SIGUSR1, queue: .global())
            signalSource.setEventHandler { deliver() }
            signalSource.resume()
            source = signalSource
        }
        nextToken += 1
        handlers[nextToken] = handler
        return nextToken
    }

    public static func remove(_ token: Int) {
        lock.lock()
        defer { lock.unlock() }
        handlers[token] = nil
    }

    /// Nudges `process` if it is still the process the store recorded.
    public static func send(to process: ProcessIdentity) {
        if process.isLocal && process.isAlive { kill(process.pid, SIGUSR1) }
    }

    private static func deliver() {
        lock.lock()
        let current = Array(handlers.values)
        lock.unlock()
        for handler in current { handler() }
    }
}
