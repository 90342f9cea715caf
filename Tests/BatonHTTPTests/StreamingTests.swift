import BatonHTTP
import Testing

@Suite(.timeLimit(.minutes(20))) struct StreamingTests {
    @Test func streamedResponseIsChunkedAndThenClosed() throws {
        let response = HTTPResponse(headers: HTTPHeaders([("Content-Type", "text/plain")]), body: .stream { stream in
            try stream.write(Array("first".utf8))
            try stream.write([])
            try stream.write(Array("second part".utf8))
        })
        try withServer(handler: { _ in response }) { server in
            let client = try RawClient(port: server.port)
            try client.send(get("/stream"))
            let head = try client.readHead()
            #expect(head.headers["Transfer-Encoding"] == "chunked")
            #expect(head.headers["Content-Length"] == nil)
            #expect(head.headers["Connection"] == "close")
            #expect(try client.readChunk() == Array("first".utf8))
            #expect(try client.readChunk() == Array("second part".utf8))
            #expect(try client.readChunk() == nil)
            #expect(try client.serverClosed())
        }
    }

    @Test func streamToAnHTTP10ClientEndsWithTheConnection() throws {
        try withServer(handler: { _ in HTTPResponse(body: .stream { try $0.write(Array("old".utf8)); try $0.write(Array(" school".utf8)) }) }) { server in
            let client = try RawClient(port: server.port)
            try client.send("GET / HTTP/1.0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.headers["Transfer-Encoding"] == nil)
            #expect(response.text == "old school")
        }
    }

    @Test func eventStreamFramesEventsWithMultiLineData() throws {
        try withServer(handler: { _ in
            .eventStream { events in
                try events.send(event: "state", id: "41", data: "{\"a\":1}\n{\"b\":2}")
                try events.comment("still here")
            }
        }) { server in
            let client = try RawClient(port: server.port)
            try client.send(get("/events", "Accept: text/event-stream\r\n"))
            let head = try client.readHead()
            #expect(head.headers["Content-Type"] == "text/event-stream")
            #expect(head.headers["Cache-Control"] == "no-cache")
            #expect(try client.readChunk() == Array("event: state\nid: 41\ndata: {\"a\":1}\ndata: {\"b\":2}\n\n".utf8))
            #expect(try client.readChunk() == Array(": still here\n\n".utf8))
            #expect(try client.readChunk() == nil)
        }
    }

    @Test func headOfAStreamGetsHeadersAndTheBodyNeverRuns() throws {
        let ran = Shared(false)
        try withServer(handler: { _ in .eventStream { _ in ran.value = true } }) { server in
            let client = try RawClient(port: server.port)
            try client.send("HEAD /events HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try client.readResponse(to: "HEAD")
            #expect(response.headers["Content-Type"] == "text/event-stream")
            #expect(try client.serverClosed())
            #expect(!ran.value)
        }
    }

    @Test func streamBodyEndsWhenTheClientDisconnects() throws {
        let ended = Signal()
        let sawFailure = Shared(false)
        try withServer(handler: { _ in
            .eventStream { events in
                do {
                    // Keep-alive comments until one fails: the way an idle SSE body notices a client left.
                    while true { try events.comment("ping") }
                } catch {
                    sawFailure.value = !events.isOpen
                }
                ended.fire()
            }
        }) { server in
            let client = try RawClient(port: server.port)
            try client.send(get("/events"))
            _ = try client.readHead()
            #expect(try client.readChunk() == Array(": ping\n\n".utf8))
            client.disconnect()
            ended.wait()
            #expect(sawFailure.value)
        }
    }
}
