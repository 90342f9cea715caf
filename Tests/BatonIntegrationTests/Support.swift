import BatonCore
import Foundation
import Testing

/// Paths of the checkout and of the `baton` built alongside these tests.
enum Paths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static let baton: String = {
        let bin = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
        for candidate in [bin + "/baton", root + "/.build/debug/baton"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return bin + "/baton"
    }()

    static let swift: String = {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/swift"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "/opt/swift/usr/bin/swift"
    }()
}

/// What a finished command printed and how it exited.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String

    /// Standard output parsed as JSON.
    var json: JSONValue { (try? JSONValue(json: stdout)) ?? .null }
}

/// Runs a program to its end, with output captured through files (no pipe can fill and block).
@discardableResult
func runProgram(_ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil, input: String? = nil)
    throws -> CommandResult
{
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("baton-out-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let out = scratch.appendingPathComponent("out")
    let err = scratch.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    if let input {
        let file = scratch.appendingPathComponent("in")
        try Data(input.utf8).write(to: file)
        process.standardInput = try FileHandle(forReadingFrom: file)
    } else {
        process.standardInput = FileHandle.nullDevice
    }
    try process.run()
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
        stderr: try String(contentsOf: err, encoding: .utf8))
}

/// A fresh `BATON_HOME` for one test, removed afterwards.
final class Sandbox {
    let directory: String
    var home: String { directory + "/home" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("baton-test-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Runs `baton` with this sandbox's home, in the sandbox directory.
    @discardableResult
    func baton(_ arguments: String..., environment: [String: String] = [:], input: String? = nil) throws -> CommandResult {
        try batonArguments(arguments, environment: environment, input: input)
    }

    /// `input` is what the command reads on standard input (nothing when nil).
    @discardableResult
    func batonArguments(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) throws -> CommandResult {
        try runProgram(
            Paths.baton, arguments, environment: ["BATON_HOME": home, "NO_COLOR": "1"].merging(environment) { $1 }, directory: directory,
            input: input)
    }

    /// Starts `baton` without waiting for it.
    func startBaton(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Paths.baton)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["BATON_HOME": home, "NO_COLOR": "1"]) { $1 }
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The flow runs stored, newest first, as `baton run ls --json` prints them.
    func runs() throws -> [JSONValue] {
        try baton("run", "ls", "--json", "--limit", "1000").json.arrayValue ?? []
    }

    /// Files in the library store and in staging.
    func storedLibraries() -> [String] {
        let fm = FileManager.default
        return ((try? fm.contentsOfDirectory(atPath: home + "/libraries")) ?? [])
            + ((try? fm.contentsOfDirectory(atPath: home + "/staging")) ?? [])
    }
}

/// Flow libraries built once per test process and shared by the tests that need them.
actor Builds {
    static let shared = Builds()

    private var fixtures: Task<String, any Error>?

    /// The folder holding the fixture libraries (libFixtureFlows.so, libMismatch.so, …), built in release.
    func fixtureFolder() async throws -> String {
        if fixtures == nil {
            fixtures = Task {
                let package = Paths.root + "/Tests/Fixtures/FixtureFlows"
                // On a thread of its own: a cold build takes minutes, and the test runner has as many
                // threads as cores for every test at once.
                let build = try await offThePool {
                    try runProgram(Paths.swift, ["build", "-c", "release", "--package-path", package, "--disable-build-manifest-caching"])
                }
                guard build.status == 0 else { throw BuildFailure(output: build.stdout + build.stderr) }
                return package + "/.build/release"
            }
        }
        return try await fixtures!.value
    }

    func fixture(_ name: String) async throws -> String {
        try await fixtureFolder() + "/lib\(name).so"
    }
}

/// Runs blocking work (a build, a child process) on a thread of its own instead of one of the few
/// threads every test shares.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

struct BuildFailure: Error, CustomStringConvertible {
    let output: String
    var description: String { "a fixture build failed:\n\(output.suffix(3000))" }
}

/// A copy of an example flow package that a test may change, depending on this checkout by absolute
/// path, kept under .build so its own build is reused by later test runs. Tests that change their
/// copy differently give each a `folder` of its own (by default the example's name).
func exampleCopy(_ name: String, folder: String? = nil) throws -> String {
    let fm = FileManager.default
    let copy = Paths.root + "/.build/baton-tests/\(folder ?? name)"
    try fm.createDirectory(atPath: copy + "/Sources", withIntermediateDirectories: true)
    let original = Paths.root + "/flows/\(name)"
    for source in try fm.subpathsOfDirectory(atPath: original + "/Sources") {
        var isDirectory: ObjCBool = false
        _ = fm.fileExists(atPath: original + "/Sources/" + source, isDirectory: &isDirectory)
        if isDirectory.boolValue {
            try fm.createDirectory(atPath: copy + "/Sources/" + source, withIntermediateDirectories: true)
        } else {
            let text = try String(contentsOfFile: original + "/Sources/" + source, encoding: .utf8)
            if (try? String(contentsOfFile: copy + "/Sources/" + source, encoding: .utf8)) != text {
                try text.write(toFile: copy + "/Sources/" + source, atomically: true, encoding: .utf8)
            }
        }
    }
    let manifest = try String(contentsOfFile: original + "/Package.swift", encoding: .utf8)
        .replacingOccurrences(of: "path: \"../..\"", with: "path: \"\(Paths.root)\"")
    if (try? String(contentsOfFile: copy + "/Package.swift", encoding: .utf8)) != manifest {
        try manifest.write(toFile: copy + "/Package.swift", atomically: true, encoding: .utf8)
    }
    return copy
}

/// Replaces `old` by `new` in a file, failing the test when `old` is absent.
func edit(_ path: String, replacing old: String, with new: String) throws {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    try #require(text.contains(old), "\(path) does not contain \(old)")
    try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
}

extension JSONValue {
    /// The names of a list of states, as `run show --json` prints them.
    var stateNames: [String] { (arrayValue ?? []).compactMap { $0["name"]?.stringValue } }
}

/// A `baton` process whose standard output a test reads line by line as it comes, to act at a known
/// point of a run (a task has started, a task waits for a slot) without sleeping.
final class WatchedProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var lines: [String] = []
    private var waiters: [(String, CheckedContinuation<String?, Never>)] = []
    private var ended = false

    init(_ sandbox: Sandbox, _ arguments: [String], environment: [String: String] = [:]) throws {
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: Paths.baton)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["BATON_HOME": sandbox.home, "NO_COLOR": "1"].merging(environment) { $1 }) { $1 }
        process.currentDirectoryURL = URL(fileURLWithPath: sandbox.directory)
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 10) {
                    add(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            lock.lock()
            ended = true
            let left = waiters
            waiters = []
            lock.unlock()
            for (_, waiter) in left { waiter.resume(returning: nil) }
        }
    }

    private func add(_ line: String) {
        lock.lock()
        lines.append(line)
        let ready = waiters.filter { line.contains($0.0) }
        waiters.removeAll { line.contains($0.0) }
        lock.unlock()
        for (_, waiter) in ready { waiter.resume(returning: line) }
    }

    /// Waits for a line containing `text`; nil when the process ends first.
    func line(containing text: String) async -> String? {
        await withCheckedContinuation { continuation in
            lock.lock()
            if let line = lines.first(where: { $0.contains(text) }) {
                lock.unlock()
                continuation.resume(returning: line)
            } else if ended {
                lock.unlock()
                continuation.resume(returning: nil)
            } else {
                waiters.append((text, continuation))
                lock.unlock()
            }
        }
    }

    var output: String {
        lock.lock()
        defer { lock.unlock() }
        return lines.joined(separator: "\n")
    }

    func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// Processes of a sandbox's store whose command line contains `word` (runner children, say), found
/// by the BATON_HOME in their environment.
func sandboxProcesses(_ sandbox: Sandbox, _ word: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
            let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
        else { return false }
        let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return variables.contains("BATON_HOME=\(sandbox.home)") && String(decoding: command, as: UTF8.self).contains(word)
    }
}

/// Waits, without polling, until process `pid` has ended (a pidfd becomes readable), or `limit`
/// seconds pass; true when it ended.
func waitForExit(_ pid: Int32, limit: Double = 60) -> Bool {
    typealias PidfdOpen = @convention(c) (Int32, UInt32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pidfd_open") else { return false }
    let fd = unsafeBitCast(symbol, to: PidfdOpen.self)(pid, 0)
    guard fd >= 0 else { return errno == ESRCH }  // already gone
    defer { close(fd) }
    var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&entry, 1, Int32(limit * 1000)) == 1
}
