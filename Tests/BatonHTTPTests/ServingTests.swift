import BatonHTTP
import Testing

@Suite(.timeLimit(.minutes(20))) struct ServingTests {
    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        try withServer { server in
            let client = try RawClient(port: server.port)
            for index in 1...3 {
                try client.send(get("/request/\(index)"))
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.text == "GET /request/\(index) ")
                #expect(response.headers["Connection"] == nil)
                #expect(response.headers["Server"] == "baton")
            }
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        try withServer { server in
            let client = try RawClient(port: server.port)
            try client.send(get("/one") + "POST /two HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody" + get("/three"))
            #expect(try client.readResponse().text == "GET /one ")
            #expect(try client.readResponse().text == "POST /two body")
            #expect(try client.readResponse().text == "GET /three ")
        }
    }

    @Test func http10ClosesAfterTheResponse() throws {
        try withServer { server in
            let client = try RawClient(port: server.port)
            try client.send("GET /old HTTP/1.0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.headers["Content-Length"] == "9")
            #expect(response.headers["Connection"] == "close")
            #expect(try client.serverClosed())
        }
    }

    @Test func http10KeepAliveIsHonouredWhenAsked() throws {
        try withServer { server in
            let client = try RawClient(port: server.port)
            try client.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try client.readResponse().headers["Connection"] == "keep-alive")
            try client.send("GET /b HTTP/1.0\r\n\r\n")
            #expect(try client.readResponse().text == "GET /b ")
            #expect(try client.serverClosed())
        }
    }

    @Test func connectionCloseFromTheClientIsHonoured() throws {
        try withServer { server in
            let client = try RawClient(port: server.port)
            try client.send(get("/last", "Connection: close\r\n"))
            #expect(try client.readResponse().headers["Connection"] == "close")
            #expect(try client.serverClosed())
        }
    }

    @Test func connectionCloseFromTheHandlerIsHonoured() throws {
        try withServer(handler: { _ in HTTPResponse(headers: HTTPHeaders([("Connection", "close")])) }) { server in
            let client = try RawClient(port: server.port)
            try client.send(get("/"))
            #expect(try client.readResponse().headers["Connection"] == "close")
            #expect(try client.serverClosed())
        }
    }

    @Test func chunkedRequestBodyIsDechunkedWithExtensionsAndTrailers() throws {
        try withServer { server in
            let client = try RawClient(port: server.port)
            try client.send(
                "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Checksum: 1\r\n\r\n")
            #expect(try client.readResponse().text == "POST /upload hello 0123456789")
            try client.send(get("/after"))
            #expect(try client.readResponse().text == "GET /after ")
        }
    }

    @Test func requestDetailsReachTheHandler() throws {
        let seen = Shared<HTTPRequest?>(nil)
        try withServer(handler: { request in
            seen.value = request
            return .text("ok")
        }) { server in
            let client = try RawClient(port: server.port)
            try client.send("PUT /api/x%20y?state=failed&n=1+2 HTTP/1.1\r\nHost: t\r\nX-Custom:  v \r\nContent-Length: 3\r\n\r\nabc")
            _ = try client.readResponse()
            let request = try #require(seen.value)
            #expect(request.method == "PUT")
            #expect(request.target == "/api/x%20y?state=failed&n=1+2")
            #expect(request.path == "/api/x y")
            #expect(request.queryValue("n") == "1 2")
            #expect(request.headers["x-custom"] == "v")
            #expect(request.body == Array("abc".utf8))
            #expect(request.remoteAddress.hasPrefix("127.0.0.1:"))
        }
    }

    @Test func headGetsTheHeadersWithoutTheBody() throws {
        try withServer { server in
            let client = try RawClient(port: server.port)
            try client.send("HEAD /thing HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try client.readResponse(to: "HEAD")
            #expect(response.status == 200)
            #expect(response.headers["Content-Length"] == "12")
            // Had a body been sent, it would be read here as the next status line.
            try client.send(get("/next"))
            #expect(try client.readResponse().text == "GET /next ")
        }
    }

    @Test func noContentCarriesNeitherBodyNorLength() throws {
        try withServer(handler: { _ in HTTPResponse(status: .noContent, body: .bytes(Array("ignored".utf8))) }) { server in
            let client = try RawClient(port: server.port)
            try client.send(get("/") + get("/"))
            for _ in 1...2 {
                let response = try client.readResponse()
                #expect(response.status == 204)
                #expect(response.headers["Content-Length"] == nil)
            }
        }
    }

    @Test func expectContinueGets100BeforeTheBodyIsSent() throws {
        try withServer { server in
            let client = try RawClient(port: server.port)
            try client.send("POST /big HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            let interim = try client.readHead()
            #expect(interim.status == 100)
            try client.send("12345")
            #expect(try client.readResponse().text == "POST /big 12345")
        }
    }

    @Test func handlerThatThrowsGets500AndTheConnectionGoesOn() throws {
        struct Broken: Error, CustomStringConvertible { var description: String { "the store is locked" } }
        try withServer(handler: { request in
            if request.path == "/fail" { throw Broken() }
            return echo(request)
        }) { server in
            let client = try RawClient(port: server.port)
            try client.send(get("/fail"))
            let failed = try client.readResponse()
            #expect(failed.status == 500)
            #expect(failed.text == "the store is locked\n")
            try client.send(get("/fine"))
            #expect(try client.readResponse().text == "GET /fine ")
        }
    }

    @Test func errorResponseMakesTheBodiesOfErrors() throws {
        let json: @Sendable (HTTPStatus, String) -> HTTPResponse = { status, message in
            .bytes(Array("{\"error\":\"\(message)\"}".utf8), contentType: "application/json", status: status)
        }
        try withServer(errorResponse: json, handler: { _ in throw RawClientError(description: "boom") }) { server in
            let client = try RawClient(port: server.port)
            try client.send(get("/"))
            let failed = try client.readResponse()
            #expect(failed.status == 500)
            #expect(failed.headers["Content-Type"] == "application/json")
            #expect(failed.text == "{\"error\":\"boom\"}")
            let malformed = try RawClient(port: server.port)
            try malformed.send("GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n")
            let rejected = try malformed.readResponse()
            #expect(rejected.status == 400)
            #expect(rejected.text == "{\"error\":\"invalid header name \"Bad Header\"\"}")
        }
    }

    @Test func startingOnATakenPortFailsNamingTheAddress() throws {
        try withServer { server in
            var configuration = HTTPServerConfiguration()
            configuration.port = server.port
            let second = HTTPServer(configuration: configuration, handler: echo)
            #expect {
                try second.start()
            } throws: { error in
                "\(error)" == "cannot listen on 127.0.0.1:\(server.port): Address already in use"
            }
        }
    }
}
