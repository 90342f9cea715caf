import Baton
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

struct ResumeParams: FlowParameters {
    var marker = "/nonexistent"
}

let stepOne = task("step-one") { (x: Int) -> String in "one \(x) by \(getpid())" }
let stepTwo = task("step-two") { (x: Int) -> String in "two \(x) by \(getpid())" }
let stepThree = task("step-three") { (marker: String) -> String in
    guard FileManager.default.fileExists(atPath: marker) else {
        throw PermanentError()
    }
    return "three by \(getpid())"
}

/// Fails at its third step until `marker` exists; then a resume reuses the first two steps.
let resumable = Flow("resumable", description: "Fails at step three until a marker file exists") { (params: ResumeParams) -> [String] in
    [try await stepOne(1), try await stepTwo(2), try await stepThree(params.marker)]
}

struct HookParams: FlowParameters {
    var log = "/tmp/hooks.log"
    var fail = false
}

func note(_ line: String, in path: String) {
    let handle = FileHandle(forWritingAtPath: path) ?? {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return FileHandle(forWritingAtPath: path)!
    }()
    handle.seekToEndOfFile()
    handle.write(Data((line + "\n").utf8))
    handle.closeFile()
}

struct HookInput: Codable, Sendable {
    var log: String
    var fail: Bool
}

let hooked = task("hooked") { (input: HookInput) -> String in
    if input.fail { throw PermanentError() }
    return "ok"
}
.onCompletion { state in
    note("task onCompletion \(state.name)", in: RunInfoLog.path)
    throw PermanentError()  // a failing hook is logged and changes nothing
}
.onFailure { state in note("task onFailure \(state.name): \(state.message ?? "")", in: RunInfoLog.path) }

enum RunInfoLog {
    nonisolated(unsafe) static var path = "/tmp/hooks.log"
}

let hooks = Flow("hooks", description: "Hooks on a task and on the flow") { (params: HookParams) -> String in
    RunInfoLog.path = params.log
    return try await hooked(HookInput(log: params.log, fail: params.fail))
}
.onCompletion { state in note("flow onCompletion \(state.name)", in: RunInfoLog.path) }
.onFailure { state in note("flow onFailure \(state.name)", in: RunInfoLog.path) }

let quiet = task("quiet") { () -> String in
    print("printed by a task that keeps its prints")
    return "quiet"
}
.logPrints(false)

let loud = task("loud") { () -> String in
    print("printed by a task")
    return "loud"
}

let reporting = Flow("reporting", description: "Prints and artifacts") { () -> String in
    print("printed by the flow")
    _ = try await loud()
    _ = try await quiet()
    Artifact.markdown("# Report\n\nAll **good**.", key: "fixture-report", description: "A markdown report")
    Artifact.table([["city": "Oslo", "knots": "12"], ["city": "Lima", "knots": "3"]], key: "fixture-table")
    Artifact.link("https://example.com/dashboard", text: "Dashboard", key: "fixture-link")
    return "reported"
}

struct SleepParams: FlowParameters {
    var seconds = 3600.0
}

let sleeper = task("sleeper") { (seconds: Double) -> String in
    logger.info("sleeping \(seconds) s")
    try await Task.sleep(for: .seconds(seconds))
    return "woke"
}
let afterSleep = task("after-sleep") { () -> String in "should not start after a cancellation" }

let sleepy = Flow("sleepy", description: "Sleeps in a task; for cancellation") { (params: SleepParams) -> String in
    _ = try await sleeper(params.seconds)
    return try await afterSleep()
}

struct BarrierParams: FlowParameters {
    var n = 8
}

/// Every task blocks its thread until all n have arrived: only bodies running side by side, more
/// than there are cores, can finish.
let rendezvous = Mutex<(arrived: Int, expected: Int)>((0, 0))

let blockingStep = task("blocking-step") { (n: Int) -> Int in
    rendezvous.withLock { $0.arrived += 1; $0.expected = n }
    while rendezvous.withLock({ $0.arrived < $0.expected }) { usleep(1000) }
    return n
}

let blocking = Flow("blocking", description: "Blocking task bodies that need each other", taskConcurrency: 64) {
    (params: BarrierParams) -> Int in
    try await blockingStep.map(Array(repeating: params.n, count: params.n)).count
}

struct LimitParams: FlowParameters {
    var url = ""
}

/// Holds a slot of tag fixture-db while it fetches `url`.
let limitedStep = task("limited-step", tags: ["fixture-db"]) { (url: String) -> String in
    try httpGet(url)
}

struct FetchError: Error, CustomStringConvertible {
    var description: String
}

/// A blocking HTTP/1.1 GET of an `http://127.0.0.1:port/path` URL over a plain socket, returning the
/// body. Not URLSession: FoundationNetworking loads libcurl and some twenty libraries with it, which
/// would slow every run of every flow in this library.
func httpGet(_ url: String) throws -> String {
    guard let parsed = URLComponents(string: url), let port = parsed.port else { throw FetchError(description: "bad URL \(url)") }
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw FetchError(description: "socket: \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw FetchError(description: "connect to \(url): \(errno)") }
    let request = Array("GET \(parsed.path.isEmpty ? "/" : parsed.path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else {
        throw FetchError(description: "send to \(url): \(errno)")
    }
    var response: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { break }
        response += chunk[..<n]
    }
    let text = String(decoding: response, as: UTF8.self)
    guard text.hasPrefix("HTTP/1.1 200"), let split = text.range(of: "\r\n\r\n") else {
        throw FetchError(description: "GET \(url) answered: \(text.prefix(40))")
    }
    return String(text[split.upperBound...])
}

let limited = Flow("limited", description: "A task under a global concurrency limit") { (params: LimitParams) -> String in
    try await limitedStep(params.url)
}

/// How many bodies of `counted-step` run now, and the most that ever did.
let running = Mutex<(now: Int, most: Int)>((0, 0))

let countedStep = task("counted-step") { (x: Int) -> Int in
    running.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
    usleep(20_000)  // long enough for the next ones to start, if the flow allowed them to
    running.withLock { $0.now -= 1 }
    return x
}

/// Maps a task over 12 elements with at most 2 task runs at once; returns the most seen at once.
let throttled = Flow("throttled", description: "Task concurrency 2", taskConcurrency: 2) { () -> Int in
    _ = try await countedStep.map(0..<12)
    return running.withLock { $0.most }
}
