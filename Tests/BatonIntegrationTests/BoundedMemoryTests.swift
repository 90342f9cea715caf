import BatonCore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Memory stays bounded whatever clients send: uploads go to disk as they arrive, JSON bodies and
/// parameter files have a limit, and log lines cut long values.
@Suite(.timeLimit(.minutes(20))) struct BoundedMemoryTests {
    /// Sends `size` zero bytes as a library upload without holding them: the head, then 1 MiB at a
    /// time. Returns the answer.
    static func upload(port: Int, key: String?, size: Int, name: String) throws -> RawReply? {
        let socket = try RawSocket(port: port)
        try socket.send(
            "POST /api/libraries?fileName=\(name) HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (key.map { "Authorization: Bearer \($0)\r\n" } ?? "")
                + "Content-Type: application/octet-stream\r\nContent-Length: \(size)\r\n\r\n")
        let piece = [UInt8](repeating: 0, count: 1 << 20)
        var left = size
        while left > 0 {
            let count = min(left, piece.count)
            try socket.send(count == piece.count ? piece : Array(piece[..<count]))
            left -= count
        }
        return try socket.response()
    }

    /// A process's peak resident memory in bytes, from `VmHWM` in `/proc/<pid>/status`.
    static func peakResidentBytes(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    func uploadsLeft(_ sandbox: Sandbox) -> [String] {
        (try? FileManager.default.subpathsOfDirectory(atPath: sandbox.home + "/uploads"))?.filter { !$0.isEmpty } ?? []
    }

    @Test func fourConcurrentLargeUploadsKeepTheServerSmallAndAllGetTheirAnswers() async throws {
        let server = try await ServerProcess.start(try Sandbox())
        let pid = server.process.process.processIdentifier
        let size = 250 * 1000 * 1000
        let port = server.port
        let key = server.apiKey
        async let a = offThePool { try Self.upload(port: port, key: key, size: size, name: "libBigA.so") }
        async let b = offThePool { try Self.upload(port: port, key: key, size: size, name: "libBigB.so") }
        async let c = offThePool { try Self.upload(port: port, key: key, size: size, name: "libBigC.so") }
        async let d = offThePool { try Self.upload(port: port, key: key, size: size, name: "libBigD.so") }
        let replies = try await [a, b, c, d]
        for (reply, name) in zip(replies, ["libBigA.so", "libBigB.so", "libBigC.so", "libBigD.so"]) {
            // Zeros are no library: each is read whole, then refused by name.
            #expect(reply?.status == 422, "\(String(describing: reply))")
            #expect(reply?.text.contains("'\(name)' is not a shared library") == true, "\(String(describing: reply))")
        }
        let peak = try #require(Self.peakResidentBytes(pid))
        #expect(peak < 200 * 1024 * 1024, "peak resident memory \(peak / 1024 / 1024) MiB while taking 4 uploads of 250 MB")
        print("BoundedMemoryTests: server peak RSS (VmHWM) \(peak / 1024) kB after 4 concurrent 250 MB uploads")
        #expect(try server.get("/api/health").status == 200)
        #expect(uploadsLeft(server.sandbox).isEmpty, "left in uploads: \(uploadsLeft(server.sandbox))")
        #expect(server.stop() == 0)
    }

    @Test func anUploadOverItsLimitGets413AndLeavesNoFile() async throws {
        let server = try await ServerProcess.start(try Sandbox())
        let socket = try RawSocket(port: server.port)
        let size = InputLimits.maxUploadBytes + 1
        try socket.send(
            "POST /api/libraries?fileName=libHuge.so HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(server.apiKey ?? "")\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Length: \(size)\r\n\r\n")
        let reply = try #require(try socket.response())
        #expect(reply.status == 413)
        #expect(reply.text.contains("body of \(size) bytes exceeds the limit of \(InputLimits.maxUploadBytes) bytes"), "\(reply)")
        #expect(uploadsLeft(server.sandbox).isEmpty)
        #expect(try server.get("/api/health").status == 200)
        #expect(server.stop() == 0)
    }

    @Test func anUploadWithoutCredentialsIsRefusedFromItsHeadBeforeAnyByteOfItsBody() async throws {
        let server = try await ServerProcess.start(try Sandbox())
        let viewer = try ServerProcess.makeKey(server.sandbox, name: "viewer", role: "viewer")
        for (credentials, status) in [("", 401), ("Authorization: Bearer \(viewer)\r\n", 403), ("Authorization: Bearer baton_nonsense\r\n", 401)] {
            // Only the head is sent: the answer comes without the 250 MB the head announces.
            let socket = try RawSocket(port: server.port)
            try socket.send(
                "POST /api/libraries?fileName=libBig.so HTTP/1.1\r\nHost: 127.0.0.1\r\n\(credentials)"
                    + "Content-Type: application/octet-stream\r\nContent-Length: 250000000\r\n\r\n")
            let reply = try #require(try await onThread { try socket.response() })
            #expect(reply.status == status, "\(reply)")
            #expect(uploadsLeft(server.sandbox).isEmpty)
        }
        #expect(try server.get("/api/flows").json["flows"]?.arrayValue?.isEmpty == true, "nothing was registered")
        #expect(server.stop() == 0)
    }

    @Test func uploadsLeftByAKilledServerAreRemovedByTheNextOne() async throws {
        let sandbox = try Sandbox()
        let folder = sandbox.home + "/uploads"
        try FileManager.default.createDirectory(atPath: folder + "/0A1B", withIntermediateDirectories: true)
        for path in [folder + "/body-stale", folder + "/0A1B/libOld.so", folder + "/body-recent"] {
            #expect(FileManager.default.createFile(atPath: path, contents: Data("partial".utf8)))
        }
        let old = Date().addingTimeInterval(-2 * 3600)
        for path in [folder + "/body-stale", folder + "/0A1B"] {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: path)
        }
        let server = try await ServerProcess.start(sandbox)
        // A recent one may be another server's upload in progress.
        #expect(uploadsLeft(sandbox) == ["body-recent"])
        #expect(server.stop() == 0)
    }

    @Test func aJSONBodyOverTheLimitGets413NamingTheLimitAndTheOption() async throws {
        let server = try await ServerProcess.start(try Sandbox())
        let big = #"{"flow": "echo", "parameters": {"name": ""# + String(repeating: "a", count: InputLimits.defaultMaxJSONBytes) + #""}}"#
        let refused = try server.post("/api/flow-runs", big)
        #expect(refused.status == 413)
        #expect(refused.error == "payload_too_large")
        #expect(refused.message.contains("exceeds the limit of \(InputLimits.defaultMaxJSONBytes) bytes"), "\(refused)")
        #expect(refused.message.contains("--max-json-bytes"), "\(refused)")
        #expect(server.stop() == 0)

        let small = try await ServerProcess.start(try Sandbox(), ["--max-json-bytes", "2000"])
        let tooBig = try small.post("/api/flow-runs", #"{"flow": ""# + String(repeating: "b", count: 3000) + #""}"#)
        #expect(tooBig.status == 413, "\(tooBig)")
        #expect(tooBig.message.contains("exceeds the limit of 2000 bytes"), "\(tooBig)")
        // Under the limit the body is read and judged on what it says.
        let unknown = try small.post("/api/flow-runs", #"{"flow": "nothing-here"}"#)
        #expect(unknown.status == 404, "\(unknown)")
        #expect(small.stop() == 0)
    }

    @Test func aBadJSONLimitIsRefusedNamingIt() async throws {
        let sandbox = try Sandbox()
        let option = try sandbox.baton("server", "start", "--port", "0", "--max-json-bytes", "lots")
        #expect(option.status != 0)
        #expect(option.stderr.contains("--max-json-bytes 'lots' is not valid: expected a size in bytes"), "\(option.stderr)")
        let variable = try sandbox.baton("server", "start", "--port", "0", environment: [InputLimits.environmentVariable: "-5"])
        #expect(variable.status != 0)
        #expect(variable.stderr.contains("\(InputLimits.environmentVariable) '-5' is not valid"), "\(variable.stderr)")
    }

    @Test func aParamsFileOverTheLimitIsRefusedInOneLineNamingTheFileAndTheLimit() async throws {
        let sandbox = try Sandbox()
        try #require(try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows")).status == 0)
        let file = sandbox.directory + "/big-params.json"
        try (#"{"name": ""# + String(repeating: "a", count: 2 * 1024 * 1024) + #""}"#).write(toFile: file, atomically: true, encoding: .utf8)
        let refused = try sandbox.baton("run", "echo", "--params-file", file)
        #expect(refused.status != 0)
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("big-params.json"), "\(refused.stderr)")
        #expect(refused.stderr.contains("over the limit of \(InputLimits.defaultMaxJSONBytes) bytes"), "\(refused.stderr)")
        let small = try sandbox.baton("run", "echo", "--params-file", file, environment: [InputLimits.environmentVariable: "4000000"])
        #expect(small.status == 0, "\(small.stderr)")
        #expect(try sandbox.runs().count == 1)
    }

    @Test func longParameterValuesAreCutWithTheirSizeInTheRunsStartLine() async throws {
        let sandbox = try Sandbox()
        try #require(try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows")).status == 0)
        let long = String(repeating: "a", count: 5000)
        let run = try sandbox.baton("run", "echo", "--param", "name=\(long)")
        #expect(run.status == 0, "\(run.stderr)")
        let start = try #require(run.stdout.split(separator: "\n").first { $0.contains("Running echo") })
        #expect(start.contains(#"name=""# + String(repeating: "a", count: 39) + #"…" (5.0 kB)"#), "\(start)")
        #expect(!start.contains(long))
    }

    @Test func logTextCutsLongValuesAndShowsSizes() {
        #expect(LogText.abbreviated("short") == "short")
        #expect(LogText.abbreviated(.string(String(repeating: "a", count: 10_000_000))) == #"""# + String(repeating: "a", count: 39) + #"…" (10.0 MB)"#)
        #expect(LogText.bytes(999) == "999 bytes")
        #expect(LogText.bytes(1500) == "1.5 kB")
        #expect(LogText.bytes(2_100_000_000) == "2.1 GB")
    }
}
