import BatonHTTP
import Testing

/// Each malformed request gets its status with `Connection: close`, and then a normal request on a
/// new connection proves the server still serves.
@Suite(.timeLimit(.minutes(20))) struct MalformedRequestTests {
    /// Sends `bytes` on a new connection and expects `status`, a message containing `message`, and
    /// the connection closed; then checks the server still serves.
    private func expectRejected(
        _ bytes: [UInt8], status: Int, message: String,
        configure: (inout HTTPServerConfiguration) -> Void = { _ in },
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let handled = Shared(0)
        try withServer(configure, handler: { request in
            handled.update { $0 += 1 }
            return echo(request)
        }) { server in
            let client = try RawClient(port: server.port)
            try client.send(bytes)
            let response = try client.readResponse()
            #expect(response.status == status, sourceLocation: sourceLocation)
            #expect(response.text.contains(message), "message was \(response.text)", sourceLocation: sourceLocation)
            #expect(response.headers["Connection"] == "close", sourceLocation: sourceLocation)
            #expect(try client.serverClosed(), sourceLocation: sourceLocation)
            #expect(handled.value == 0, "the handler saw a malformed request", sourceLocation: sourceLocation)
            try expectStillServes(server, sourceLocation: sourceLocation)
        }
    }

    private func expectRejected(
        _ text: String, status: Int, message: String,
        configure: (inout HTTPServerConfiguration) -> Void = { _ in },
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try expectRejected(Array(text.utf8), status: status, message: message, configure: configure, sourceLocation: sourceLocation)
    }

    @Test func truncatedRequestLineThenCloseLeavesTheServerServing() throws {
        try withServer { server in
            let client = try RawClient(port: server.port)
            try client.send("GET /half-a-requ")
            client.finishSending()
            #expect(try client.serverClosed())
            try expectStillServes(server)
        }
    }

    @Test func requestLineTooLongGets414() throws {
        try expectRejected(get("/" + String(repeating: "x", count: 9000)), status: 414, message: "request line exceeds 8192 bytes")
    }

    @Test func hugeHeaderGets431() throws {
        try expectRejected(get("/", "X-Big: \(String(repeating: "y", count: 40_000))\r\n"), status: 431, message: "header section exceeds 32768 bytes")
    }

    @Test func tooManyHeadersGet431() throws {
        let many = (1...101).map { "X-\($0): v\r\n" }.joined()
        try expectRejected(get("/", many), status: 431, message: "more than 100 header fields")
    }

    @Test func badChunkSizeGets400() throws {
        try expectRejected(
            "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
            status: 400, message: "bad chunk size line \"zz\"")
    }

    @Test func missingCRLFAfterChunkDataGets400() throws {
        try expectRejected(
            "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n",
            status: 400, message: "missing CRLF after chunk data")
    }

    @Test func contentLengthWithTransferEncodingGets400() throws {
        try expectRejected(
            "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            status: 400, message: "both Content-Length and Transfer-Encoding")
    }

    @Test func nonNumericContentLengthGets400() throws {
        try expectRejected("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 12abc\r\n\r\n", status: 400, message: "is not a number")
        try expectRejected("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", status: 400, message: "is not a number")
    }

    @Test func conflictingContentLengthsGet400() throws {
        try expectRejected(
            "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", status: 400,
            message: "conflicting Content-Length values")
    }

    @Test func bodyOverTheLimitGets413WithoutBeingRead() throws {
        // Only the head is sent: the 413 must come from Content-Length alone.
        try expectRejected(
            "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n", status: 413,
            message: "body of 1000000 bytes exceeds the limit of 1024 bytes", configure: { $0.maxBodyBytes = 1024 })
    }

    @Test func chunkedBodyOverTheLimitGets413() throws {
        try expectRejected(
            "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n",
            status: 413, message: "chunked body exceeds the limit of 10 bytes", configure: { $0.maxBodyBytes = 10 })
    }

    @Test func unknownTransferCodingGets501() throws {
        try expectRejected(
            "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 501,
            message: "transfer coding \"gzip\" is not supported")
    }

    @Test func http2Gets505() throws {
        try expectRejected("GET / HTTP/2.0\r\nHost: t\r\n\r\n", status: 505, message: "HTTP/2.0 is not supported")
    }

    @Test func malformedVersionGets400() throws {
        try expectRejected("GET / HTTX/1.1\r\n\r\n", status: 400, message: "malformed HTTP version")
    }

    @Test func headerLinesWithoutColonOrWithSpaceBeforeItGet400() throws {
        try expectRejected(get("/", "NoColonHere\r\n"), status: 400, message: "has no colon")
        try expectRejected(get("/", "Host : x\r\n"), status: 400, message: "invalid header name \"Host \"")
        try expectRejected(get("/", "X-A: 1\r\n folded\r\n"), status: 400, message: "obsolete line folding")
    }

    @Test func methodThatIsNotATokenGets400() throws {
        try expectRejected("G(T / HTTP/1.1\r\n\r\n", status: 400, message: "request method contains \"(\"")
    }

    @Test func garbageBinaryBytesGet400AtOnce() throws {
        // A TLS ClientHello's first bytes, with no line end: refused without waiting for one.
        try expectRejected([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03], status: 400, message: "request line contains byte 0x16")
    }

    @Test func slowHeadGets408() throws {
        try expectRejected("GET / HTTP/1.1\r\nHost: t\r\n", status: 408, message: "request head not received within 200 ms") {
            $0.headerTimeout = .milliseconds(200)
        }
    }

    @Test func slowBodyGets408() throws {
        try expectRejected("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc", status: 408, message: "request body not received within 200 ms") {
            $0.bodyTimeout = .milliseconds(200)
        }
    }

    @Test func bareLineFeedsAreAccepted() throws {
        try withServer { server in
            let client = try RawClient(port: server.port)
            try client.send("GET /lf HTTP/1.1\nHost: t\n\n")
            #expect(try client.readResponse().text == "GET /lf ")
        }
    }
}
