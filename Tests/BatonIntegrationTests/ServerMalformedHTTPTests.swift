import BatonCore
import Foundation
import Testing

/// Requests no client library would send, on raw loopback sockets to a real server: each gets its
/// status and a JSON error (or a closed connection), and the server keeps answering others.
@Suite(.timeLimit(.minutes(20)))
struct ServerMalformedHTTPTests {
    func expectHealthy(_ server: ServerProcess, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let health = try server.get("/api/health")
        #expect(health.status == 200 && health.json["status"] == .string("ok"), "\(health)", sourceLocation: sourceLocation)
    }

    func expectJSONError(_ reply: RawReply?, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply?.status == status, "\(String(describing: reply))", sourceLocation: sourceLocation)
        let body = (try? JSONValue(json: reply?.body ?? [])) ?? .null
        #expect(body["error"] == .string(code), "\(String(describing: reply))", sourceLocation: sourceLocation)
        #expect(body["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(reply?.headers["content-type"] == "application/json", sourceLocation: sourceLocation)
    }

    @Test func aTruncatedRequestLineThenCloseLeavesTheServerServing() async throws {
        let server = try await ServerProcess.start(try Sandbox())
        let socket = try RawSocket(port: server.port)
        try socket.send("GET /api/hea")
        socket.disconnect()
        try expectHealthy(server)
        // Half a head, then nothing more from a client that stays: others are still served.
        let idle = try RawSocket(port: server.port)
        try idle.send("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        try expectHealthy(server)
        idle.disconnect()
        try expectHealthy(server)
        #expect(server.stop() == 0)
    }

    @Test func aFortyKilobyteHeaderGets431WithAJSONError() async throws {
        let server = try await ServerProcess.start(try Sandbox())
        let socket = try RawSocket(port: server.port)
        try socket.send("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: \(String(repeating: "a", count: 40 * 1024))\r\n\r\n")
        let reply = try await onThread { try socket.response() }
        expectJSONError(reply, 431, "headers_too_large")
        #expect(reply?.headers["connection"]?.lowercased() == "close")
        try expectHealthy(server)
        #expect(server.stop() == 0)
    }

    @Test func aBadChunkedBodyGets400() async throws {
        let server = try await ServerProcess.withFixtures()
        let socket = try RawSocket(port: server.port)
        try socket.send(
            "POST /api/flow-runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "zz\r\n{\"flow\": \"hello\"}\r\n0\r\n\r\n")
        let reply = try await onThread { try socket.response() }
        expectJSONError(reply, 400, "bad_request")
        #expect(reply?.text.contains("chunk") == true, "\(String(describing: reply))")
        // A chunk shorter than it said, then the connection closes.
        let short = try RawSocket(port: server.port)
        try short.send("POST /api/flow-runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{}")
        short.disconnect()
        try expectHealthy(server)
        // A good chunked body works, so the refusal was about the framing.
        let good = try RawSocket(port: server.port)
        let body = #"{"flow": "hello"}"#
        try good.send(
            "POST /api/flow-runs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(server.apiKey ?? "")\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "\(String(body.utf8.count, radix: 16))\r\n\(body)\r\n0\r\n\r\n")
        let created = try await onThread { try good.response() }
        #expect(created?.status == 201, "\(String(describing: created))")
        let runs = try server.get("/api/flow-runs").json["runs"]?.arrayValue ?? []
        #expect(runs.count == 1, "only the well-framed request made a run")
        try await server.finished(runs.first?["id"]?.stringValue ?? "")
        #expect(server.stop() == 0)
    }

    @Test func http2RequestLineGets505() async throws {
        let server = try await ServerProcess.start(try Sandbox())
        let socket = try RawSocket(port: server.port)
        try socket.send("GET /api/health HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n")
        let reply = try await onThread { try socket.response() }
        expectJSONError(reply, 505, "http_version_not_supported")
        try expectHealthy(server)
        // HTTP/1.0 is still spoken.
        let old = try RawSocket(port: server.port)
        try old.send("GET /api/health HTTP/1.0\r\n\r\n")
        let answer = try await onThread { try old.response() }
        #expect(answer?.status == 200, "\(String(describing: answer))")
        #expect(server.stop() == 0)
    }

    @Test func invalidJSONOnARawConnectionGets400AndTheConnectionServesOn() async throws {
        let server = try await ServerProcess.withFixtures()
        let socket = try RawSocket(port: server.port)
        let body = #"{"flow": "hello",,}"#
        try socket.send(
            "POST /api/flow-runs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(server.apiKey ?? "")\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let reply = try await onThread { try socket.response() }
        expectJSONError(reply, 400, "bad_request")
        // The request was well framed, so the connection stays open for the next one.
        try socket.send("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let next = try await onThread { try socket.response() }
        #expect(next?.status == 200, "\(String(describing: next)); the server said:\n\(server.output)")
        try expectHealthy(server)
        #expect(try server.get("/api/flow-runs").json["runs"] == .array([]))
        #expect(server.stop() == 0)
    }

    @Test func aRequestLineThatIsNotHTTPGets400() async throws {
        let server = try await ServerProcess.start(try Sandbox())
        for line in ["HELLO\r\n\r\n", "GET /api/health\r\n\r\n", "GET /api/health HTTP/1.1 extra\r\n\r\n"] {
            let socket = try RawSocket(port: server.port)
            try socket.send(line)
            let reply = try await onThread { try socket.response() }
            #expect(reply?.status == 400, "\(line.debugDescription): \(String(describing: reply))")
            try expectHealthy(server)
        }
        #expect(server.stop() == 0)
    }
}
