import Foundation
import Glibc

/// A DevTools-protocol connection to one Chromium process over its debugging pipe: NUL-terminated
/// JSON messages, requests with an `id`, replies routed back by it, events noted per session.
///
/// Two threads serve it: one reads the pipe, one waits for the process to exit. Every wait here has
/// a deadline, and fails at once, with the exit status and the end of Chromium's standard error,
/// if Chromium exits first.
///
/// `@unchecked Sendable`: every mutable field is reached only while holding `condition`, except
/// `socketOpen`, which is reached only while holding `writeLock`; `fd`, `pid` and `logPath` never change.
final class CDPConnection: @unchecked Sendable {
    let pid: pid_t
    private let fd: Int32
    private let logPath: String

    private let condition = NSCondition()
    private var nextID = 1
    private var awaited: Set<Int> = []
    private var replies: [Int: [String: Any]] = [:]
    private var loadedDocuments: [String: Set<String>] = [:]
    private var consoleErrorsBySession: [String: [String]] = [:]
    private var lostSessions: [String: String] = [:]
    private var exitStatus: Int32?
    private var shutDown = false

    private let writeLock = NSLock()
    private var socketOpen = true

    /// Takes over `fd`, our end of the socket whose other end Chromium (`pid`) has as fds 3 and 4.
    init(pid: pid_t, fd: Int32, logPath: String) {
        self.pid = pid
        self.fd = fd
        self.logPath = logPath
        let reader = Thread { [self] in readLoop() }
        reader.name = "Chromium \(pid) reader"
        reader.start()
        let reaper = Thread { [self] in awaitExit() }
        reaper.name = "Chromium \(pid) reaper"
        reaper.start()
    }

    /// Starts Chromium in its own process group with one end of a socket pair as fds 3 and 4,
    /// standard error (and output) to `logPath`, and every other descriptor closed.
    static func launch(_ executable: String, _ arguments: [String], logPath: String) throws -> CDPConnection {
        // A socket rather than two pipes so that writes can use MSG_NOSIGNAL (see `write`);
        // Chromium reads fd 3 and writes fd 4 and cannot tell the difference.
        var ends: [Int32] = [-1, -1]
        try check(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 ? 0 : errno, "socketpair")
        defer { close(ends[1]) }
        do {
            let pid = try spawn(executable, arguments, socket: ends[1], logPath: logPath)
            return CDPConnection(pid: pid, fd: ends[0], logPath: logPath)
        } catch {
            close(ends[0])
            throw error
        }
    }

    private static func spawn(_ executable: String, _ arguments: [String], socket: Int32, logPath: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        try check(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0), "addopen")
        try check(posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644), "addopen")
        try check(posix_spawn_file_actions_adddup2(&actions, 2, 1), "adddup2")
        // dup2 onto itself (if the socket is already 3 or 4) clears close-on-exec in glibc ≥ 2.29.
        try check(posix_spawn_file_actions_adddup2(&actions, socket, 3), "adddup2")
        try check(posix_spawn_file_actions_adddup2(&actions, socket, 4), "adddup2")
        // Glibc's closefrom action is not visible to Swift, so close what is open now; posix_spawn
        // ignores a close of a descriptor closed since.
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap({ Int32($0) }) where descriptor > 4 {
            try check(posix_spawn_file_actions_addclose(&actions, descriptor), "addclose")
        }

        // Its own process group, so that `kill(-pid)` reaches its helpers; no blocked or ignored
        // signals inherited from the test thread (Foundation's Process passes those on).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        sigaddset(&defaultSignals, SIGPIPE)
        try check(posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)), "setflags")
        try check(posix_spawnattr_setpgroup(&attributes, 0), "setpgroup")
        try check(posix_spawnattr_setsigmask(&attributes, &noSignals), "setsigmask")
        try check(posix_spawnattr_setsigdefault(&attributes, &defaultSignals), "setsigdefault")

        // Chromium keeps its crash database under XDG_CONFIG_HOME whatever the profile: a shared
        // scratch folder keeps it out of the user's own ~/.config/chromium.
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = FileManager.default.temporaryDirectory.appendingPathComponent("baton-chromium-config").path
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        try check(posix_spawn(&pid, executable, &actions, &attributes, argv, envp), "posix_spawn \(executable)")
        return pid
    }

    /// Turns an error number from the spawn set-up (0: success) into a launch error.
    private static func check(_ errorNumber: Int32, _ call: String) throws {
        guard errorNumber != 0 else { return }
        throw ChromiumError(.launchFailed, "cannot start Chromium: \(call) failed: \(String(cString: strerror(errorNumber)))")
    }

    /// Sends a command and returns its `result`; `session` addresses a page (flattened sessions).
    @discardableResult
    func call(_ method: String, _ params: [String: Any] = [:], session: String? = nil, timeout: Double = 30) throws
        -> [String: Any]
    {
        var message: [String: Any] = ["method": method, "params": params]
        if let session { message["sessionId"] = session }
        condition.lock()
        if shutDown {
            condition.unlock()
            throw ChromiumError(.exited, "cannot send \(method): this Chromium has been closed")
        }
        let id = nextID
        nextID += 1
        awaited.insert(id)
        condition.unlock()
        message["id"] = id

        do {
            try write(JSONSerialization.data(withJSONObject: message), method: method)
        } catch {
            condition.lock()
            awaited.remove(id)
            condition.unlock()
            // A write fails when Chromium has died: say how, once the reaper knows.
            guard waitForExit(5) else { throw error }
            condition.lock()
            defer { condition.unlock() }
            throw exitedError(while: "sending \(method)")
        }

        let reply = try waitUntil(timeout, "the reply to \(method)", session: session) { replies.removeValue(forKey: id) }
        if let error = reply["error"] as? [String: Any] {
            let text = error["message"] as? String ?? "\(error)"
            let data = (error["data"] as? String).map { " (\($0))" } ?? ""
            throw ChromiumError(.protocolError, "\(method) failed: \(text)\(data)")
        }
        return reply["result"] as? [String: Any] ?? [:]
    }

    /// Waits until the document of navigation `loaderId` (from `Page.navigate`) has fired its load
    /// event, as `Page.lifecycleEvent` reports once `Page.setLifecycleEventsEnabled` is on. Matching the
    /// loader, not counting `Page.loadEventFired`, keeps a late load of an earlier document from counting.
    func waitForLoad(_ loaderId: String, session: String, timeout: Double = 30) throws {
        _ = try waitUntil(timeout, "the load event", session: session) {
            loadedDocuments[session]?.contains(loaderId) == true ? true : nil
        }
    }

    /// Console errors and uncaught exceptions reported for `session`, oldest first.
    func consoleErrors(session: String) -> [String] {
        condition.lock()
        defer { condition.unlock() }
        return consoleErrorsBySession[session] ?? []
    }

    /// Ends Chromium: asks it to close, kills its process group if it has not exited within a few
    /// seconds, and returns once it has been reaped. Safe to call more than once.
    func shutdown() {
        condition.lock()
        let first = !shutDown
        shutDown = true
        condition.unlock()
        guard first else { return }

        if !waitForExit(0) {
            try? write(JSONSerialization.data(withJSONObject: ["id": 0, "method": "Browser.close"]), method: "Browser.close")
            if !waitForExit(5) {
                kill(-pid, SIGKILL)
                _ = waitForExit(30)
            }
        }
        // Wakes the reader, which closes the socket. Only while it is open: once closed, its number
        // may already belong to another browser's socket.
        writeLock.lock()
        if socketOpen { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
        writeLock.unlock()
    }

    // MARK: Waiting

    /// Waits until `ready` (called under the lock) returns a value, Chromium exits, the page of
    /// `session` goes away, or `timeout` seconds pass.
    private func waitUntil<T>(_ timeout: Double, _ what: String, session: String?, _ ready: () -> T?) throws -> T {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let value = ready() { return value }
            if exitStatus != nil { throw exitedError(while: "waiting for \(what)") }
            if let session, let reason = lostSessions[session] {
                throw ChromiumError(.pageLost, "the page \(reason) while waiting for \(what)")
            }
            if !condition.wait(until: deadline) && ready() == nil {
                throw ChromiumError(.timedOut, "timed out after \(Self.seconds(timeout)) waiting for \(what) from Chromium")
            }
        }
    }

    /// Waits up to `timeout` seconds for the process to exit; whether it has.
    private func waitForExit(_ timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while exitStatus == nil {
            if !condition.wait(until: deadline) { break }
        }
        return exitStatus != nil
    }

    // MARK: Threads

    private func awaitExit() {
        // Waits without reaping first, so that the group id cannot be reused while its helpers
        // (zygotes, renderers, which outlive a crashed leader) are killed with it.
        var info = siginfo_t()
        var waited: Int32
        repeat { waited = waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) } while waited < 0 && errno == EINTR
        if waited == 0 { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        condition.lock()
        exitStatus = status
        condition.broadcast()
        condition.unlock()
    }

    private func readLoop() {
        var pending = [UInt8]()
        var scanned = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            pending.append(contentsOf: chunk[0..<count])
            while let end = pending[scanned...].firstIndex(of: 0) {
                if let message = try? JSONSerialization.jsonObject(with: Data(pending[..<end])) as? [String: Any] {
                    handle(message)
                }
                pending.removeSubrange(...end)
                scanned = 0
            }
            scanned = pending.count
        }
        writeLock.lock()
        socketOpen = false
        close(fd)
        writeLock.unlock()
    }

    private func handle(_ message: [String: Any]) {
        condition.lock()
        defer { condition.unlock() }
        if let id = message["id"] as? Int {
            if awaited.remove(id) != nil {
                replies[id] = message
                condition.broadcast()
            }
            return
        }
        guard let method = message["method"] as? String else { return }
        let params = message["params"] as? [String: Any] ?? [:]
        let session = message["sessionId"] as? String
        switch method {
        case "Page.lifecycleEvent" where params["name"] as? String == "load":
            if let session, let loader = params["loaderId"] as? String { loadedDocuments[session, default: []].insert(loader) }
        case "Runtime.consoleAPICalled" where params["type"] as? String == "error":
            let args = (params["args"] as? [[String: Any]] ?? []).map(Self.text(of:))
            consoleErrorsBySession[session ?? "", default: []].append("console.error: " + args.joined(separator: " "))
        case "Runtime.exceptionThrown":
            let details = params["exceptionDetails"] as? [String: Any] ?? [:]
            let exception = (details["exception"] as? [String: Any])?["description"] as? String
            let text = exception ?? details["text"] as? String ?? "\(details)"
            consoleErrorsBySession[session ?? "", default: []].append("uncaught exception: " + text)
        case "Inspector.targetCrashed":
            if let session { lostSessions[session] = "crashed" }
        case "Target.detachedFromTarget":
            if let detached = params["sessionId"] as? String { lostSessions[detached] = "was closed" }
        default:
            break
        }
        condition.broadcast()
    }

    // MARK: Helpers

    private func write(_ json: Data, method: String) throws {
        let bytes = [UInt8](json) + [0]
        writeLock.lock()
        defer { writeLock.unlock() }
        guard socketOpen else { throw ChromiumError(.exited, "cannot send \(method): Chromium's pipe is closed") }
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a write after Chromium died fails with EPIPE instead of killing the test process.
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw ChromiumError(.exited, "cannot send \(method) to Chromium: \(String(cString: strerror(errno)))")
            }
            offset += sent
        }
    }

    /// How Chromium ended, with the end of its standard error; call with the lock held, after exit.
    private func exitedError(while activity: String) -> ChromiumError {
        ChromiumError(.exited, "Chromium \(Self.describe(exitStatus ?? 0)) while \(activity)\(stderrTail())")
    }

    /// The last lines Chromium wrote to standard error, as a suffix for an error message.
    private func stderrTail() -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        // Without a D-Bus (containers, CI) Chromium complains about it all the time, to no purpose.
        let lines = text.split(separator: "\n").filter { !$0.contains("dbus") }.suffix(10).map { "  " + $0.prefix(300) }
        return lines.isEmpty ? " (nothing on its standard error)" : "; the end of its standard error:\n" + lines.joined(separator: "\n")
    }

    private static func describe(_ status: Int32) -> String {
        status & 0x7F == 0 ? "exited with status \((status >> 8) & 0xFF)" : "was killed by signal \(status & 0x7F)"
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }

    /// A console argument as text: its value when it has one, else its description (objects, errors).
    private static func text(of argument: [String: Any]) -> String {
        if let value = argument["value"] as? String { return value }
        if let value = argument["value"], !(value is NSNull) { return "\(value)" }
        return argument["description"] as? String ?? argument["unserializableValue"] as? String ?? argument["type"] as? String ?? "?"
    }
}
