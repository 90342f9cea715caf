import BatonCore
import BatonHTTP
import Foundation
import Testing

/// A browser turned against the server, as an attacker would try it on loopback: a DNS-rebinding
/// page (a foreign `Host`), a form or script on another site (a foreign `Origin`, `Sec-Fetch-Site:
/// cross-site`, `Origin: null`), and a server asked to listen beyond this machine. Every route is
/// tried, from the server's own OpenAPI document, and what is stored is checked to be unchanged.
@Suite(.timeLimit(.minutes(10)))
struct ServerBrowserGuardTests {
    /// Every route of the API as `(method, target)`, path parameters filled with plausible values.
    func routes(_ server: ServerProcess) throws -> [(method: String, target: String)] {
        let document = try server.get("/api/openapi.json").json
        var routes: [(String, String)] = []
        for (path, item) in document["paths"]?.objectValue ?? [:] {
            let target = path.replacingOccurrences(of: #"\{[a-zA-Z]+\}"#, with: "x", options: .regularExpression)
            for method in (item.objectValue ?? [:]).keys { routes.append((method.uppercased(), target)) }
        }
        return routes.sorted { ($0.1, $0.0) < ($1.1, $1.0) } + [("GET", "/"), ("GET", "/metrics"), ("GET", "/index.html")]
    }

    /// The exact request, sent on a raw socket so that `Host` is whatever the attacker chose.
    /// It carries the test's admin key, so that what refuses it is the guard, not a lack of credentials.
    func raw(_ server: ServerProcess, _ method: String, _ target: String, host: String?, headers: [(String, String)] = [], body: String = "")
        throws -> RawReply
    {
        let socket = try RawSocket(port: server.port)
        defer { socket.disconnect() }
        var head = "\(method) \(target) HTTP/1.1\r\n"
        if let host { head += "Host: \(host)\r\n" }
        for (name, value) in server.credentials + headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        try socket.send(head + body)
        return try socket.readResponse(to: method)
    }

    @Test func aForeignHostIsRefusedOnEveryRouteAndLoopbackNamesAreServed() async throws {
        let server = try await ServerProcess.start(try Sandbox())
        defer { _ = server.stop() }
        let routes = try routes(server)
        #expect(routes.count > 30, "the OpenAPI document lists the routes: \(routes.count)")
        for (method, target) in routes {
            let reply = try raw(server, method, target, host: "attacker.example:\(server.port)")
            #expect(reply.status == 421, "\(method) \(target): \(reply)")
            #expect(reply.text.contains("Host 'attacker.example:\(server.port)' is not served here"), "\(method) \(target): \(reply)")
        }
        for host in ["127.0.0.1:\(server.port)", "localhost:\(server.port)", "LOCALHOST", "[::1]:\(server.port)", "127.0.0.2"] {
            let reply = try raw(server, "GET", "/api/health", host: host)
            #expect(reply.status == 200, "Host: \(host): \(reply)")
        }
        // Neither a look-alike nor a name that only ends like a loopback one.
        for host in ["127.0.0.1.attacker.example", "localhost.attacker.example", "attacker.example@127.0.0.1", "0x7f.0.0.1"] {
            #expect(try raw(server, "GET", "/api/health", host: host).status == 421, "Host: \(host)")
        }
        // HTTP/1.0 without a Host cannot come from a browser.
        #expect(try raw(server, "GET", "/api/health", host: nil).status == 200)
        #expect(server.output.contains("421 from 127.0.0.1"), "refusals are logged: \(server.output)")
    }

    @Test func namesGivenWithAllowedHostAreServedAndNoOthers() async throws {
        let server = try await ServerProcess.start(try Sandbox(), ["--allowed-host", "baton.example.com"])
        defer { _ = server.stop() }
        #expect(try raw(server, "GET", "/api/health", host: "baton.example.com").status == 200)
        #expect(try raw(server, "GET", "/api/health", host: "BATON.example.com:443").status == 200)
        let other = try raw(server, "GET", "/api/health", host: "other.example.com")
        #expect(other.status == 421)
        #expect(other.text.contains("baton.example.com"), "the refusal names what is served: \(other)")

        let bad = try server.sandbox.baton("server", "start", "--port", "0", "--allowed-host", "baton.example.com:80")
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--allowed-host 'baton.example.com:80' is not valid: expected a host name"), "\(bad.stderr)")
    }

    @Test func anotherSiteCannotChangeAnythingOnAnyRoute() async throws {
        let server = try await ServerProcess.withFixtures()
        defer { _ = server.stop() }
        let before = try server.get("/api/limits").json
        let runsBefore = try server.get("/api/flow-runs?when=all").json["runs"]?.arrayValue?.count
        let changing = try routes(server).filter { !["GET", "HEAD"].contains($0.method) }
        #expect(changing.count > 10, "\(changing)")
        let attacks: [[(String, String)]] = [
            [("Origin", "http://attacker.example"), ("Content-Type", "text/plain")],
            [("Origin", "null"), ("Content-Type", "application/x-www-form-urlencoded")],
            [("Origin", "http://127.0.0.1:\(server.port + 1)")],
            [("Origin", "http://127.0.0.1")],
            [("Origin", "http://localhost:\(server.port)")],
            [("Sec-Fetch-Site", "cross-site"), ("Content-Type", "multipart/form-data; boundary=x")],
            [("Sec-Fetch-Site", "same-site"), ("Origin", "http://127.0.0.1:\(server.port)")],
        ]
        for (method, target) in changing {
            for headers in attacks {
                let reply = try raw(server, method, target, host: "127.0.0.1:\(server.port)", headers: headers, body: #"{"slots":0}"#)
                #expect(reply.status == 403, "\(method) \(target) \(headers): \(reply)")
                #expect(reply.text.contains("may not change anything here"), "\(method) \(target) \(headers): \(reply)")
            }
        }
        #expect(try server.get("/api/limits").json == before, "nothing was changed")
        #expect(try server.get("/api/flow-runs?when=all").json["runs"]?.arrayValue?.count == runsBefore)
        #expect(try server.get("/api/flows").json["flows"]?.arrayValue?.isEmpty == false, "nothing was deleted")

        // Reading is not refused (a page on another site cannot read the answer anyway), and the
        // server's own page, or a program that sends no Origin, may change what it is allowed to.
        let read = try raw(server, "GET", "/api/limits", host: "127.0.0.1:\(server.port)", headers: [("Origin", "http://attacker.example")])
        #expect(read.status == 200)
        #expect(read.headers["Access-Control-Allow-Origin"] == nil, "no other origin may read answers")
        let own = try raw(
            server, "PUT", "/api/limits/api", host: "127.0.0.1:\(server.port)",
            headers: [("Origin", "http://127.0.0.1:\(server.port)"), ("Sec-Fetch-Site", "same-origin"), ("Content-Type", "application/json")],
            body: #"{"slots":2}"#)
        #expect(own.status == 200, "\(own)")
        let program = try server.request("DELETE", "/api/limits/api")
        #expect(program.status == 204, "\(program)")
    }

    @Test func everyAnswerForbidsFramingSniffingAndScriptsNotItsOwn() async throws {
        let server = try await ServerProcess.start(try Sandbox())
        defer { _ = server.stop() }
        for target in ["/", "/index.html", "/api/health", "/api/flows", "/api/nothing-here"] {
            let reply = try server.get(target)
            let policy = reply.headers["Content-Security-Policy"] ?? ""
            #expect(policy.contains("frame-ancestors 'none'"), "\(target): \(reply.headers)")
            #expect(policy.contains("script-src 'self';"), "\(target): \(policy)")
            #expect(!policy.contains("'unsafe-eval'"), "\(target): \(policy)")
            let scripts = policy.components(separatedBy: ";").first { $0.contains("script-src") } ?? ""
            #expect(!scripts.contains("unsafe-inline"), "no inline script: \(policy)")
            #expect(reply.headers["X-Content-Type-Options"] == "nosniff", "\(target)")
            #expect(reply.headers["X-Frame-Options"] == "DENY", "\(target)")
        }
        // The UI has no inline script for the policy to block.
        let page = try server.get("/").text
        #expect(page.contains("<script type=\"module\" src="), "\(page)")
        #expect(page.components(separatedBy: "<script").count - 1 == page.components(separatedBy: "<script type=\"module\" src=").count - 1)
        // Open to anyone, health says only that the server is up.
        #expect(try server.get("/api/health").json == .object(["status": .string("ok")]))
    }

    @Test func withoutCredentialsTheServerRefusesToListenBeyondLoopback() throws {
        let sandbox = try Sandbox()
        for host in ["0.0.0.0", "::", "192.0.2.10"] {
            let result = try sandbox.baton("server", "start", "--port", "0", "--host", host, "--no-auth")
            #expect(result.status == 2, "--host \(host): \(result.stderr)")
            #expect(result.stderr.contains("--no-auth with --host \(host) would let anyone who reaches the port register and run code"), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        }
    }

    @Test func withCredentialsRequiredTheServerServesBeyondLoopbackAndWarnsOfPlainHTTP() async throws {
        let sandbox = try Sandbox()
        let key = try ServerProcess.makeKey(sandbox, name: "probe", role: "viewer")
        let process = try WatchedProcess(sandbox, ["server", "start", "--port", "0", "--host", "0.0.0.0", "--no-worker"])
        let ready = try #require(await process.line(containing: "Baton is ready"), "\(process.output)")
        #expect(process.output.contains("over plain HTTP: passwords and keys cross the network in clear"), "\(process.output)")
        let port = try #require(ready.range(of: #"0\.0\.0\.0:[0-9]+"#, options: .regularExpression).flatMap { Int(ready[$0].split(separator: ":")[1]) })
        let client = try HTTPClient(baseURL: "http://127.0.0.1:\(port)")
        #expect(try client.request("GET", "/api/flows").status == 401, "nothing without credentials")
        #expect(try client.request("GET", "/api/flows", headers: [("Authorization", "Bearer " + key)]).status == 200)
        process.process.terminate()
        #expect(process.wait() == 0)
    }
}
