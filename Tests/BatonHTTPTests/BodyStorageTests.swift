import BatonHTTP
import Foundation
import Testing

/// Where request bodies go: a route that declares a file gets its body streamed to disk, never held
/// whole, and the file is gone once the request is over, however it ends.
@Suite(.timeLimit(.minutes(20))) struct BodyStorageTests {
    /// A folder for body files, removed afterwards; `path` never changes, so it is Sendable.
    final class Folder: Sendable {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("baton-bodies-\(UUID().uuidString.prefix(8))").path
        deinit { try? FileManager.default.removeItem(atPath: path) }
        var files: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] }
    }

    /// A server whose POST /upload keeps bodies in `folder` (up to `limit` bytes) and answers what
    /// its handler found there; every other route keeps bodies in memory.
    func withUploads(_ folder: Folder, limit: Int = 1 << 20, seen: Shared<[String]> = Shared([]), _ body: (HTTPServer) throws -> Void) throws {
        var router = Router()
        router.add("POST", "/upload", body: RequestBody(.file(directory: folder.path), limit: limit, limitNote: "uploads")) { request in
            guard let file = request.bodyFile, let data = FileManager.default.contents(atPath: file) else { return .text("no file", status: .badRequest) }
            seen.update { $0.append(file) }
            return .text("\(request.body.count) in memory, \(data.count) in \(file.hasPrefix(folder.path) ? "the folder" : file): \(String(decoding: data.prefix(16), as: UTF8.self))")
        }
        router.add("POST", "/json", echo)
        router.add("GET", "/still-here", echo)
        try withServer({ configuration in
            configuration.maxBodyBytes = 64
            configuration.bodyPolicy = { [router] in router.bodyPolicy(for: $0) }
        }, handler: { [router] in try router.respond(to: $0) }, body)
    }

    /// Polls `condition` (no timing is asserted: the deadline only stops a broken server hanging the test).
    func eventually(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(120)
        while !condition() {
            if Date() > deadline { return false }
            usleep(10_000)
        }
        return true
    }

    @Test func aDeclaredFileRouteGetsItsBodyOnDiskAndTheFileIsRemovedAfterwards() throws {
        let folder = Folder()
        let seen = Shared<[String]>([])
        try withUploads(folder, seen: seen) { server in
            let payload = String(repeating: "0123456789", count: 20_000)
            let client = try RawClient(port: server.port)
            try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: \(payload.utf8.count)\r\n\r\n" + payload)
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "0 in memory, 200000 in the folder: 0123456789012345")
            #expect(seen.value.count == 1)
            #expect(eventually { folder.files.isEmpty }, "left behind: \(folder.files)")
        }
    }

    @Test func aChunkedBodyStreamsToItsFileToo() throws {
        let folder = Folder()
        try withUploads(folder) { server in
            let client = try RawClient(port: server.port)
            try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "0 in memory, 11 in the folder: hello world")
            #expect(eventually { folder.files.isEmpty }, "left behind: \(folder.files)")
        }
    }

    @Test func aBodyOverItsRoutesLimitGets413BeforeAnyFileIsMade() throws {
        let folder = Folder()
        try withUploads(folder, limit: 1000) { server in
            let client = try RawClient(port: server.port)
            try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 413)
            #expect(response.text.contains("body of 5000 bytes exceeds the limit of 1000 bytes (uploads)"), "\(response.text)")
            #expect(folder.files.isEmpty)
            try expectStillServes(server)
        }
    }

    @Test func aChunkedBodyPastItsRoutesLimitGets413AndLeavesNoFile() throws {
        let folder = Folder()
        try withUploads(folder, limit: 10) { server in
            let client = try RawClient(port: server.port)
            try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 413)
            #expect(eventually { folder.files.isEmpty }, "left behind: \(folder.files)")
        }
    }

    @Test func aClientThatLeavesMidBodyLeavesNoFile() throws {
        let folder = Folder()
        let seen = Shared<[String]>([])
        try withUploads(folder, seen: seen) { server in
            let client = try RawClient(port: server.port)
            try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n" + String(repeating: "x", count: 50_000))
            // The file exists while the body arrives; then the client goes.
            #expect(eventually { !folder.files.isEmpty })
            client.disconnect()
            #expect(eventually { folder.files.isEmpty }, "left behind: \(folder.files)")
            #expect(seen.value.isEmpty, "the handler saw a partial body")
            try expectStillServes(server)
        }
    }

    @Test func otherRoutesKeepTheirBodiesInMemoryUnderTheDefaultLimit() throws {
        let folder = Folder()
        try withUploads(folder) { server in
            let client = try RawClient(port: server.port)
            try client.send("POST /json HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")
            let response = try client.readResponse()
            #expect(response.text == "POST /json hello")
            let big = try RawClient(port: server.port)
            try big.send("POST /json HTTP/1.1\r\nHost: t\r\nContent-Length: 65\r\n\r\n")
            let refused = try big.readResponse()
            #expect(refused.status == 413)
            #expect(refused.text.contains("body of 65 bytes exceeds the limit of 64 bytes"), "\(refused.text)")
            #expect(folder.files.isEmpty)
        }
    }
}
