import Testing

@testable import BatonHTTP

@Suite struct HTTPRequestTests {
    @Test func queryIsDecodedInOrderWithPlusAsSpace() {
        let request = HTTPRequest(method: "GET", target: "/api/flow-runs?state=failed&name=my+run%21&state=late&flag&=x")
        #expect(request.path == "/api/flow-runs")
        #expect(request.query.map { "\($0.0)=\($0.1)" } == ["state=failed", "name=my run!", "state=late", "flag=", "=x"])
        #expect(request.queryValue("state") == "failed")
        #expect(request.queryValue("missing") == nil)
    }

    @Test func pathIsPercentDecodedButPlusStaysAPlus() {
        let request = HTTPRequest(method: "GET", target: "/flows/a%20b+c/%E2%9C%93")
        #expect(request.path == "/flows/a b+c/✓")
        #expect(request.query.isEmpty)
    }

    @Test func malformedEscapesAreKeptAsSent() {
        #expect(HTTPRequest(method: "GET", target: "/a%2/b%zz%").path == "/a%2/b%zz%")
    }

    @Test func absoluteFormTargetGivesItsPathAndQuery() {
        let request = HTTPRequest(method: "GET", target: "http://example.com:4200/api/x?y=1")
        #expect(request.path == "/api/x")
        #expect(request.queryValue("y") == "1")
        #expect(HTTPRequest(method: "GET", target: "http://example.com").path == "/")
    }
}

@Suite struct HTTPHeadersTests {
    @Test func namesCompareCaseInsensitivelyAndKeepOrder() {
        var headers = HTTPHeaders([("Accept", "a"), ("X-One", "1")])
        headers.add("ACCEPT", "b")
        #expect(headers["accept"] == "a")
        #expect(headers.values("Accept") == ["a", "b"])
        #expect(headers.map(\.name) == ["Accept", "X-One", "ACCEPT"])
    }

    @Test func setReplacesEveryValueWhereTheFirstWas() {
        var headers = HTTPHeaders([("A", "1"), ("B", "2"), ("a", "3")])
        headers.set("a", "x")
        #expect(headers.map { "\($0.name)=\($0.value)" } == ["a=x", "B=2"])
        headers.set("C", "new")
        #expect(headers["c"] == "new")
        headers.remove("b")
        #expect(headers["B"] == nil)
        #expect(headers.count == 2)
    }

    @Test func tokensAreFoundInCommaSeparatedValues() {
        let headers = HTTPHeaders([("Connection", "Upgrade, Keep-Alive")])
        #expect(headers.hasToken("keep-alive", in: "connection"))
        #expect(!headers.hasToken("close", in: "connection"))
    }
}

@Suite struct RequestHeadParsingTests {
    @Test func requestLineGivesMethodTargetAndVersion() throws {
        let parsed = try RequestHead.parseRequestLine(Array("DELETE /a?b=c HTTP/1.0".utf8))
        #expect(parsed.method == "DELETE")
        #expect(parsed.target == "/a?b=c")
        #expect(parsed.minorVersion == 0)
    }

    @Test func fieldValueIsTrimmedAndControlCharactersAreRefused() throws {
        let field = try RequestHead.parseField(Array("X-Thing: \t spaced value \t".utf8))
        #expect(field.name == "X-Thing")
        #expect(field.value == "spaced value")
        #expect(throws: ConnectionFailure.self) { try RequestHead.parseField(Array("X: a\u{0}b".utf8)) }
        #expect(throws: ConnectionFailure.self) { try RequestHead.parseField(Array("X : a".utf8)) }
    }

    @Test func chunkSizeReadsHexAndIgnoresExtensions() throws {
        #expect(try RequestHead.chunkSize(Array("1aF".utf8), body: RequestBody(.memory, limit: 1 << 20)) == 0x1AF)
        #expect(try RequestHead.chunkSize(Array("10 ;name=value".utf8), body: RequestBody(.memory, limit: 1 << 20)) == 16)
        #expect(throws: ConnectionFailure.self) { try RequestHead.chunkSize(Array("x1".utf8), body: RequestBody(.memory, limit: 1 << 20)) }
        #expect(throws: ConnectionFailure.self) { try RequestHead.chunkSize(Array("".utf8), body: RequestBody(.memory, limit: 1 << 20)) }
        #expect(throws: ConnectionFailure.self) { try RequestHead.chunkSize(Array("FFFFFFFFFFFFFFFFFFFF".utf8), body: RequestBody(.memory, limit: 1 << 20)) }
    }

    @Test func repeatedEqualContentLengthsAreOneLength() throws {
        let headers = HTTPHeaders([("Content-Length", "5"), ("content-length", "5, 5")])
        #expect(try RequestHead.framing(of: headers, body: RequestBody(.memory, limit: 100)) == .length(5))
        #expect(throws: ConnectionFailure.self) {
            try RequestHead.framing(of: HTTPHeaders([("Content-Length", "5, 6")]), body: RequestBody(.memory, limit: 100))
        }
    }
}

@Suite struct EventStreamWriterTests {
    @Test func multiLineDataBecomesOneDataLinePerLine() throws {
        let written = Shared<[UInt8]>([])
        let events = EventStreamWriter(ResponseStream { bytes in written.update { $0 += bytes } })
        try events.send(event: "state", id: "7", data: "first\nsecond\r\nthird")
        try events.send(data: "")
        try events.comment("keep-alive")
        let text = String(decoding: written.value, as: UTF8.self)
        #expect(text == "event: state\nid: 7\ndata: first\ndata: second\ndata: third\n\ndata: \n\n: keep-alive\n\n")
    }

    @Test func lineBreaksInEventNamesAndIdsAreDropped() throws {
        let written = Shared<[UInt8]>([])
        let events = EventStreamWriter(ResponseStream { bytes in written.update { $0 += bytes } })
        try events.send(event: "a\nb", id: "1\r\n2", data: "x")
        #expect(String(decoding: written.value, as: UTF8.self) == "event: ab\nid: 12\ndata: x\n\n")
    }
}
