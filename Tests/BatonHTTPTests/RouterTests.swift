import Testing

@testable import BatonHTTP

@Suite struct RouterTests {
    private func router() -> Router {
        var router = Router()
        router.add("GET", "/api/flows/{flow}") { .text("flow \($0.pathParameters["flow"]!)") }
        router.add("GET", "/api/flows/latest") { _ in .text("latest") }
        router.add("POST", "/api/flows/{flow}") { _ in .text("created") }
        router.add("GET", "/api/flows/{flow}/versions/{n}") { request in
            .text("\(request.pathParameters["flow"]!)@\(request.pathParameters["n"]!)")
        }
        router.add("DELETE", "/api/{kind}/latest") { _ in .text("deleted") }
        return router
    }

    private func respond(_ method: String, _ target: String) throws -> HTTPResponse {
        try router().respond(to: HTTPRequest(method: method, target: target))
    }

    private func text(_ response: HTTPResponse) -> String {
        guard case .bytes(let bytes) = response.body else { return "<stream>" }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func literalSegmentsWinOverParametersWhateverTheOrderAdded() throws {
        #expect(text(try respond("GET", "/api/flows/latest")) == "latest")
        #expect(text(try respond("GET", "/api/flows/etl")) == "flow etl")
    }

    @Test func parametersArePercentDecodedSegmentBySegment() throws {
        #expect(text(try respond("GET", "/api/flows/my%20flow/versions/3")) == "my flow@3")
        #expect(text(try respond("GET", "/api/flows/a%2Fb")) == "flow a/b")
    }

    @Test func aParameterNeverMatchesAnEmptySegment() throws {
        #expect(try respond("GET", "/api/flows/").status == .notFound)
        #expect(try respond("GET", "/api/flows//versions/1").status == .notFound)
    }

    @Test func wrongMethodGets405ListingTheAllowedOnes() throws {
        let response = try respond("PUT", "/api/flows/etl")
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers["Allow"] == "GET, HEAD, POST")
    }

    @Test func anotherMethodOnALessSpecificRouteStillMatches() throws {
        // DELETE /api/flows/latest matches only the parameter route; the literal GET route must not
        // shadow it with a 405.
        #expect(text(try respond("DELETE", "/api/flows/latest")) == "deleted")
    }

    @Test func unknownPathGets404() throws {
        #expect(try respond("GET", "/nothing/here").status == .notFound)
        #expect(try respond("GET", "/api/flows").status == .notFound)
    }

    @Test func headMatchesGetRoutes() throws {
        guard case .found(_, let parameters) = router().match(HTTPRequest(method: "HEAD", target: "/api/flows/x?y=1")) else {
            Issue.record("HEAD did not match the GET route")
            return
        }
        #expect(parameters == ["flow": "x"])
    }

    @Test func routesAreListedInTheOrderAdded() {
        #expect(router().routes.map { "\($0.method) \($0.pattern)" } == [
            "GET /api/flows/{flow}", "GET /api/flows/latest", "POST /api/flows/{flow}",
            "GET /api/flows/{flow}/versions/{n}", "DELETE /api/{kind}/latest",
        ])
    }

    @Test func routerBehindTheServerAnswers404And405WithAllow() throws {
        let router = router()
        try withServer(handler: { try router.respond(to: $0) }) { server in
            let client = try RawClient(port: server.port)
            try client.send(get("/api/flows/etl/versions/2"))
            #expect(try client.readResponse().text == "etl@2")
            try client.send(get("/missing"))
            #expect(try client.readResponse().status == 404)
            try client.send("PATCH /api/flows/etl HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n")
            let notAllowed = try client.readResponse()
            #expect(notAllowed.status == 405)
            #expect(notAllowed.headers["Allow"] == "GET, HEAD, POST")
        }
    }

    @Test func reportsTheMatchingPatternAndTheBodyItDeclares() {
        var router = Router()
        router.add("GET", "/api/flows/{flow}") { _ in .text("one") }
        router.add("POST", "/api/libraries", body: RequestBody(.file(directory: "/tmp/uploads"), limit: 10)) { _ in .text("upload") }
        #expect(router.pattern(for: HTTPRequest(method: "GET", target: "/api/flows/etl?x=1")) == "/api/flows/{flow}")
        #expect(router.pattern(for: HTTPRequest(method: "HEAD", target: "/api/flows/etl")) == "/api/flows/{flow}")
        #expect(router.pattern(for: HTTPRequest(method: "GET", target: "/nowhere")) == nil)
        #expect(router.bodyPolicy(for: HTTPRequest(method: "POST", target: "/api/libraries"))?.storage == .file(directory: "/tmp/uploads"))
        #expect(router.bodyPolicy(for: HTTPRequest(method: "GET", target: "/api/flows/etl")) == nil)
        #expect(router.bodyPolicy(for: HTTPRequest(method: "DELETE", target: "/api/libraries")) == nil)
    }
}
