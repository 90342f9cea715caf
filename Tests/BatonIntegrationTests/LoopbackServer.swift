import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP server on 127.0.0.1 for flows to fetch from, with responses a test scripts: each
/// request gets `respond(path, number)`. A `.hold` response keeps the request waiting until the test
/// calls `release()`, so a test can act while a run is mid-task without sleeping.
///
/// `@unchecked Sendable`: its state is guarded by `lock`; sockets are used by one thread each.
final class LoopbackServer: @unchecked Sendable {
    enum Response {
        case send(status: Int, body: String)
        case hold(then: Int, body: String)
    }

    let port: UInt16
    private let listener: Int32
    private let respond: @Sendable (String, Int) -> Response
    private let lock = NSLock()
    private var count = 0
    private var waiters: [(Int, CheckedContinuation<Void, Never>)] = []
    private let released = DispatchSemaphore(value: 0)
    /// Whether `.hold` responses wait; false after `releaseAll()`. How many wait now.
    private var holding = (open: true, waiting: 0)

    init(respond: @escaping @Sendable (_ path: String, _ number: Int) -> Response) throws {
        self.respond = respond
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Waits until the server has received `number` requests.
    func requests(reach number: Int) async {
        await withCheckedContinuation { continuation in
            lock.lock()
            if count >= number {
                lock.unlock()
                continuation.resume()
            } else {
                waiters.append((number, continuation))
                lock.unlock()
            }
        }
    }

    /// Lets one held request answer.
    func release() { released.signal() }

    /// Answers every held request, and every later one at once. For a test whose held request may be
    /// sent again (a client's own timeout, a task's retry) while it waits: each copy is held too.
    func releaseAll() {
        lock.lock()
        holding.open = false
        let waiting = holding.waiting
        lock.unlock()
        for _ in 0..<waiting { released.signal() }
    }

    var requestCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            Thread { [self] in serve(client) }.start()
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.isEmpty ? !String(decoding: request, as: UTF8.self).contains("\r\n\r\n") : true {
            let n = read(client, &buffer, buffer.count)
            if n <= 0 { return }
            request += buffer[..<n]
        }
        let line = String(decoding: request, as: UTF8.self).split(separator: "\r\n").first ?? ""
        let path = line.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        lock.lock()
        count += 1
        let number = count
        let ready = waiters.filter { $0.0 <= number }
        waiters.removeAll { $0.0 <= number }
        lock.unlock()
        ready.forEach { $0.1.resume() }

        var status = 200
        var body = ""
        switch respond(path, number) {
        case .send(let s, let b):
            (status, body) = (s, b)
        case .hold(let s, let b):
            lock.lock()
            let wait = holding.open
            if wait { holding.waiting += 1 }
            lock.unlock()
            if wait {
                released.wait()
                lock.lock()
                holding.waiting -= 1
                lock.unlock()
            }
            (status, body) = (s, b)
        }
        let response = "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Error")\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        // MSG_NOSIGNAL: a client that gave up waiting (its own timeout) must not raise SIGPIPE here.
        _ = response.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }
}
