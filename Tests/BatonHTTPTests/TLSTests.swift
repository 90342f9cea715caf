import BatonHTTP
import Foundation
import Testing

/// HTTPS: the server speaks TLS on every connection when given a certificate, the client verifies
/// the server's certificate and name, and whatever is not TLS just loses its connection.
@Suite(.timeLimit(.minutes(20))) struct TLSTests {
    @Test func aClientTrustingTheCertificateGetsAnswersByAddressAndByName() throws {
        let certificate = try TestCertificate()
        try withTLSServer(certificate) { server in
            for url in ["https://127.0.0.1:\(server.port)", "https://localhost:\(server.port)/ignored"] {
                let client = try HTTPClient(baseURL: url, caFile: certificate.certificate)
                let first = try client.request("GET", "/hello")
                #expect(first.status == 200)
                #expect(first.text == "GET /hello ")
                let second = try client.request("POST", "/again", headers: [("Expect", "100-continue")], body: Array("body".utf8))
                #expect(second.text == "POST /again body")
            }
        }
    }

    @Test func largeUploadsToFilesAndLargeResponsesCrossInManyRecords() throws {
        let certificate = try TestCertificate()
        let folder = certificate.folder + "/bodies"
        let upload = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12) }
        try withTLSServer(certificate, { configuration in
            configuration.bodyPolicy = { _ in RequestBody(.file(directory: folder), limit: 1 << 30) }
        }, handler: { request in
            guard let file = request.bodyFile, let data = FileManager.default.contents(atPath: file) else { return .text("no file", status: .badRequest) }
            return .bytes(Array(data.reversed()), contentType: "application/octet-stream")
        }) { server in
            let client = try HTTPClient(baseURL: "https://127.0.0.1:\(server.port)", caFile: certificate.certificate)
            let response = try client.request("POST", "/upload", body: upload)
            #expect(response.status == 200)
            #expect(response.body == Array(upload.reversed()))
        }
    }

    @Test func aRefusedRequestGetsItsAnswerBeforeTheConnectionCloses() throws {
        let certificate = try TestCertificate()
        try withTLSServer(certificate, { $0.maxBodyBytes = 10 }) { server in
            let client = try HTTPClient(baseURL: "https://127.0.0.1:\(server.port)", caFile: certificate.certificate)
            let refused = try client.request("POST", "/big", body: Array(repeating: 65, count: 100_000))
            #expect(refused.status == 413)
            #expect(refused.headers["Connection"] == "close")
            #expect(try client.request("GET", "/next").text == "GET /next ")
        }
    }

    @Test func aStreamedResponseArrivesChunkedOverTLS() throws {
        let certificate = try TestCertificate()
        let pieces = (1...40).map { "piece \($0) " + String(repeating: "x", count: $0 * 500) + "\n" }
        try withTLSServer(certificate, handler: { _ in
            HTTPResponse(body: .stream { stream in for piece in pieces { try stream.write(Array(piece.utf8)) } })
        }) { server in
            let client = try HTTPClient(baseURL: "https://127.0.0.1:\(server.port)", caFile: certificate.certificate)
            let response = try client.request("GET", "/stream")
            #expect(response.headers["Transfer-Encoding"] == "chunked")
            #expect(response.text == pieces.joined())
        }
    }

    @Test func serverSentEventsArriveOverTLS() throws {
        let certificate = try TestCertificate()
        try withTLSServer(certificate, handler: { _ in
            .eventStream { events in
                for number in 1...3 { try events.send(event: "tick", id: "\(number)", data: "n=\(number)\nline two") }
                try events.comment("keep-alive")
            }
        }) { server in
            let client = try HTTPClient(baseURL: "https://localhost:\(server.port)", caFile: certificate.certificate)
            var seen: [ServerSentEvent] = []
            try client.events("/events") { event in
                seen.append(event)
                return true
            }
            #expect(seen.map(\.event) == ["tick", "tick", "tick"])
            #expect(seen.map(\.id) == ["1", "2", "3"])
            #expect(seen.map(\.data) == ["n=1\nline two", "n=2\nline two", "n=3\nline two"])
        }
    }

    @Test func aClientWithoutTheCAIsRefusedInOneLine() throws {
        let certificate = try TestCertificate()
        let stranger = try TestCertificate()
        try withTLSServer(certificate) { server in
            let url = "https://127.0.0.1:\(server.port)"
            for caFile in [nil, stranger.certificate] {
                let error = #expect(throws: SocketError.self) { try HTTPClient(baseURL: url, caFile: caFile).request("GET", "/") }
                #expect(error?.kind == .certificateNotTrusted)
                #expect(error?.description == "\(url): the server's certificate is not trusted (self-signed certificate)")
            }
            let trusting = try HTTPClient(baseURL: url, caFile: certificate.certificate)
            #expect(try trusting.request("GET", "/after").text == "GET /after ")
        }
    }

    @Test func aCertificateForAnotherNameIsRefused() throws {
        let certificate = try TestCertificate(names: ["DNS:baton.example"])
        try withTLSServer(certificate) { server in
            for (host, check) in [("127.0.0.1", "IP address mismatch"), ("localhost", "hostname mismatch")] {
                let url = "https://\(host):\(server.port)"
                let error = #expect(throws: SocketError.self) {
                    try HTTPClient(baseURL: url, caFile: certificate.certificate).request("GET", "/")
                }
                #expect(error?.kind == .certificateNameMismatch)
                #expect(error?.description == "\(url): the server's certificate is not valid for \(host) (\(check))")
            }
        }
    }

    @Test func plainHTTPAndGarbageLoseTheirConnectionAndTheServerServesOn() throws {
        let certificate = try TestCertificate()
        try withTLSServer(certificate) { server in
            let plain = try RawClient(port: server.port)
            try plain.send(get("/plain"))
            #expect(!String(decoding: try plain.readToEnd(), as: UTF8.self).contains("HTTP/1.1"))

            let garbage = try RawClient(port: server.port)
            try garbage.send([0x16, 0x03, 0x01, 0x00, 0x05] + Array("hello, not a ClientHello".utf8))
            _ = try garbage.readToEnd()

            #expect(throws: SocketError.self) { try HTTPClient(baseURL: "http://127.0.0.1:\(server.port)").request("GET", "/") }
            let client = try HTTPClient(baseURL: "https://127.0.0.1:\(server.port)", caFile: certificate.certificate)
            #expect(try client.request("GET", "/still-here").text == "GET /still-here ")
        }
    }

    @Test func aHandshakeNeverFinishedIsClosedAfterTheHeaderTimeout() throws {
        let certificate = try TestCertificate()
        try withTLSServer(certificate, { $0.headerTimeout = .milliseconds(200) }) { server in
            let silent = try RawClient(port: server.port)
            #expect(try silent.serverClosed())
            // The first bytes of a record, then nothing.
            let trickle = try RawClient(port: server.port)
            try trickle.send([0x16, 0x03, 0x01])
            #expect(try trickle.serverClosed())
        }
    }

    @Test func anHTTPSClientToAPlainServerFailsTheHandshake() throws {
        try withServer { server in
            let error = #expect(throws: SocketError.self) { try HTTPClient(baseURL: "https://127.0.0.1:\(server.port)").request("GET", "/") }
            #expect(error?.kind == .tlsHandshake)
            #expect(error?.description.hasPrefix("https://127.0.0.1:\(server.port): the TLS handshake failed (") ?? false)
        }
    }
}
