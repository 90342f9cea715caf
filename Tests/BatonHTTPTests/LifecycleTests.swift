import BatonHTTP
import Dispatch
import Testing

@Suite(.timeLimit(.minutes(20))) struct LifecycleTests {
    private func startServer(
        port: Int = 0, _ configure: (inout HTTPServerConfiguration) -> Void = { _ in },
        handler: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse = echo
    ) throws -> HTTPServer {
        var configuration = HTTPServerConfiguration()
        configuration.port = port
        configure(&configuration)
        let server = HTTPServer(configuration: configuration, handler: handler)
        try server.start()
        return server
    }

    @Test func connectionsBeyondTheLimitGet503() throws {
        try withServer({ $0.maxConnections = 1 }) { server in
            let first = try RawClient(port: server.port)
            try first.send(get("/first"))
            #expect(try first.readResponse().status == 200)

            let second = try RawClient(port: server.port)
            let refused = try second.readResponse()
            #expect(refused.status == 503)
            #expect(refused.text.contains("limit of 1 connections"))
            #expect(refused.headers["Connection"] == "close")

            // Once the first connection has closed, its place is free again.
            try first.send(get("/bye", "Connection: close\r\n"))
            _ = try first.readResponse()
            #expect(try first.serverClosed())
            try expectStillServes(server)
        }
    }

    @Test func idleKeepAliveConnectionIsClosedSilently() throws {
        try withServer({ $0.idleTimeout = .milliseconds(100) }) { server in
            let client = try RawClient(port: server.port)
            try client.send(get("/"))
            _ = try client.readResponse()
            #expect(try client.serverClosed())
        }
    }

    @Test func silentNewConnectionIsClosedAfterTheHeadTimeout() throws {
        try withServer({ $0.headerTimeout = .milliseconds(100) }) { server in
            let client = try RawClient(port: server.port)
            #expect(try client.serverClosed())
        }
    }

    @Test func gracefulShutdownWaitsForTheRequestInFlightThenThePortIsFreeAgain() throws {
        let entered = Signal()
        let release = Signal()
        let began = Signal()
        let server = try startServer(handler: { request in
            entered.fire()
            release.wait()
            return .text("finished")
        })
        server.onShutdown { began.fire() }
        let port = server.port
        let client = try RawClient(port: port)
        try client.send(get("/slow"))
        entered.wait()

        let returned = Shared(false)
        let shutdownDone = Signal()
        DispatchQueue.global().async {
            server.shutdown(grace: .seconds(30))
            returned.value = true
            shutdownDone.fire()
        }
        began.wait()
        #expect(server.isStopping)
        #expect(!returned.value, "shutdown returned while a handler was still running")
        release.fire()

        let response = try client.readResponse()
        #expect(response.text == "finished")
        #expect(response.headers["Connection"] == "close")
        #expect(try client.serverClosed())
        shutdownDone.wait()

        let again = try startServer(port: port)
        defer { again.shutdown(grace: .seconds(5)) }
        try expectStillServes(again)
    }

    @Test func theSameServerStartsAgainAfterShutdown() throws {
        let server = try startServer()
        try expectStillServes(server)
        server.shutdown(grace: .seconds(5))
        #expect(server.isStopping)
        try server.start()
        #expect(!server.isStopping)
        defer { server.shutdown(grace: .seconds(5)) }
        try expectStillServes(server)
    }

    @Test func shutdownClosesIdleKeepAliveConnectionsAtOnce() throws {
        let server = try startServer()
        let client = try RawClient(port: server.port)
        try client.send(get("/"))
        _ = try client.readResponse()
        // A long grace and idle timeout: only closing idle connections at once lets this return.
        server.shutdown(grace: .seconds(50))
        #expect(try client.serverClosed())
    }

    @Test func shutdownAfterTheGraceEndsStreamsThatKeepWriting() throws {
        let failed = Shared(false)
        let streaming = Signal()
        let server = try startServer(handler: { _ in
            HTTPResponse(body: .stream { stream in
                streaming.fire()
                do {
                    while true { try stream.write(Array(repeating: 0x61, count: 1024)) }
                } catch {
                    failed.value = !stream.isOpen
                }
            })
        })
        let client = try RawClient(port: server.port)
        try client.send(get("/forever"))
        streaming.wait()
        server.shutdown(grace: .milliseconds(50))
        #expect(failed.value)
        withExtendedLifetime(client) {}
    }

    @Test func onShutdownLetsIdleStreamsEndWithinTheGrace() throws {
        let stop = Signal()
        let streaming = Signal()
        let server = try startServer(handler: { _ in
            .eventStream { events in
                try events.send(data: "hello")
                streaming.fire()
                stop.wait()
            }
        })
        server.onShutdown { stop.fire() }
        let client = try RawClient(port: server.port)
        try client.send(get("/events"))
        _ = try client.readHead()
        #expect(try client.readChunk() == Array("data: hello\n\n".utf8))
        streaming.wait()
        server.shutdown(grace: .seconds(50))
        #expect(try client.readChunk() == nil)
    }

    @Test func shutdownFromManyThreadsAtOnceReturnsEverywhere() throws {
        let server = try startServer()
        try expectStillServes(server)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in server.shutdown(grace: .seconds(5)) }
        server.shutdown(grace: .seconds(5))
        #expect(server.isStopping)
    }

    @Test func shutdownFromAHandlerDoesNotWaitForItself() throws {
        let holder = Shared<HTTPServer?>(nil)
        let server = try startServer(handler: { _ in
            holder.value?.shutdown(grace: .seconds(5))
            return .text("stopping")
        })
        holder.value = server
        let client = try RawClient(port: server.port)
        try client.send(get("/stop"))
        let response = try client.readResponse()
        #expect(response.text == "stopping")
        #expect(response.headers["Connection"] == "close")
        #expect(server.isStopping)
    }
}
