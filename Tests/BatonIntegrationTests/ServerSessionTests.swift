import BatonCore
import BatonHTTP
import Foundation
import Testing

/// Logging in to the UI over HTTP and in a real headless Chromium: the session cookie and what it
/// carries, the CSRF token every change made with it needs, logging out, failed logins throttled,
/// one-time links, live events only with credentials, and `--no-auth` on loopback.
@Suite(.timeLimit(.minutes(10)))
struct ServerSessionTests {
    /// Logs `user` in with `password`; returns the answer, the cookie to send back, and the CSRF token.
    func login(_ server: ServerProcess, _ user: String, _ password: String) throws -> (reply: APIReply, cookie: String?, csrf: String?) {
        let reply = try server.request(
            "POST", "/api/login", headers: [("Content-Type", "application/json")],
            body: Array(JSONValue.object(["user": .string(user), "password": .string(password)]).jsonData), anonymous: true)
        let cookie = reply.headers.values("Set-Cookie").first?.split(separator: ";").first.map(String.init)
        return (reply, cookie, reply.json["csrf"]?.stringValue)
    }

    @Test func aPasswordLoginGivesAnHttpOnlyStrictCookieWhoseChangesNeedTheCSRFTokenUntilLogout() async throws {
        let server = try await ServerProcess.withFixtures(["--no-worker"])
        defer { _ = server.stop() }
        #expect(try server.sandbox.baton("user", "create", "ada", "--password-stdin", input: "correct horse\n").status == 0)
        #expect(try server.sandbox.baton("project", "member", "add", "default", "ada", "--role", "operator").status == 0)

        let (reply, cookie, csrf) = try login(server, "ada", "correct horse")
        #expect(reply.status == 200, "\(reply)")
        let setCookie = try #require(reply.headers.values("Set-Cookie").first)
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] { #expect(setCookie.contains(attribute), "\(setCookie)") }
        #expect(!setCookie.contains("Secure"), "no Secure over plain HTTP")
        #expect(reply.json["user"] == .string("ada") && reply.json["roles"]?["default"] == .string("operator"), "\(reply)")
        let session = try #require(cookie)
        let csrfToken = try #require(csrf)

        // Reading with the cookie; changing only with the token too.
        #expect(try server.request("GET", "/api/flows", headers: [("Cookie", session)]).status == 200)
        let run = #"{"flow": "hello"}"#
        let withoutToken = try server.request("POST", "/api/flow-runs", headers: [("Cookie", session), ("Content-Type", "application/json")], body: Array(run.utf8))
        #expect(withoutToken.status == 403 && withoutToken.error == "csrf", "\(withoutToken)")
        let wrongToken = try server.request(
            "POST", "/api/flow-runs", headers: [("Cookie", session), ("X-CSRF-Token", String(csrfToken.reversed())), ("Content-Type", "application/json")],
            body: Array(run.utf8))
        #expect(wrongToken.status == 403, "\(wrongToken)")
        #expect(try server.get("/api/flow-runs?when=all").json["runs"]?.arrayValue?.isEmpty == true, "nothing was run")
        let made = try server.request(
            "POST", "/api/flow-runs", headers: [("Cookie", session), ("X-CSRF-Token", csrfToken), ("Content-Type", "application/json")],
            body: Array(run.utf8))
        #expect(made.status == 201, "\(made)")
        // An operator may run, not deploy.
        let deploy = try server.request(
            "POST", "/api/deployments", headers: [("Cookie", session), ("X-CSRF-Token", csrfToken), ("Content-Type", "application/json")],
            body: Array(#"{"flow": "hello", "name": "nightly", "cron": "0 3 * * *"}"#.utf8))
        #expect(deploy.status == 403 && deploy.message.contains("user 'ada' is operator in project 'default'"), "\(deploy)")
        let me = try server.request("GET", "/api/session", headers: [("Cookie", session)])
        #expect(me.json["user"] == .string("ada") && me.json["csrf"] == .string(csrfToken), "\(me)")

        // Logging out clears the cookie and ends the session on the server.
        let out = try server.request("POST", "/api/logout", headers: [("Cookie", session), ("X-CSRF-Token", csrfToken)])
        #expect(out.status == 204 && out.headers.values("Set-Cookie").first?.contains("Max-Age=0") == true, "\(out)")
        let after = try server.request("GET", "/api/flows", headers: [("Cookie", session)])
        #expect(after.status == 401 && after.message.contains("your session has ended"), "\(after)")
        // Logging in again works with the stale cookie still sent.
        let relogin = try server.request(
            "POST", "/api/login", headers: [("Cookie", session), ("Content-Type", "application/json")],
            body: Array(#"{"user": "ada", "password": "correct horse"}"#.utf8))
        #expect(relogin.status == 200, "\(relogin)")
    }

    @Test func failedLoginsAreRefusedAlikeThenThrottledAndLinksLetInOnce() async throws {
        let server = try await ServerProcess.start(try Sandbox(), ["--no-worker"])
        defer { _ = server.stop() }
        #expect(try server.sandbox.baton("user", "create", "ada", "--admin", "--password-stdin", input: "correct horse\n").status == 0)
        #expect(try server.sandbox.baton("user", "create", "dis", "--password-stdin", input: "disabled horse\n").status == 0)
        #expect(try server.sandbox.baton("user", "disable", "dis").status == 0)
        // Unknown user, disabled user, wrong password: one answer, which says nothing of which.
        for (user, password) in [("nobody", "correct horse"), ("dis", "disabled horse"), ("ada", "wrong horse")] {
            let (reply, cookie, _) = try login(server, user, password)
            #expect(reply.status == 401 && reply.message == "the user name or password is not right, or the user is disabled", "\(reply)")
            #expect(cookie == nil)
        }
        for _ in 0..<2 { _ = try login(server, "ada", "wrong horse") }
        let held = try login(server, "ada", "correct horse").reply
        #expect(held.status == 429 && held.error == "too_many_requests" && held.message.contains("too many failed logins"), "\(held)")
        // Malformed bodies are refused by name.
        let noPassword = try server.request(
            "POST", "/api/login", headers: [("Content-Type", "application/json")], body: Array(#"{"user": "ada"}"#.utf8), anonymous: true)
        #expect(noPassword.status == 400 && noPassword.field == "password", "\(noPassword)")
        let extra = try server.request(
            "POST", "/api/login", headers: [("Content-Type", "application/json")], body: Array(#"{"user": "ada", "password": "x", "admin": true}"#.utf8),
            anonymous: true)
        #expect(extra.status == 400 && extra.field == "admin", "\(extra)")

        // The throttle holds this address for links too; a restarted server forgets it (it is kept in
        // memory). A link lets in once.
        #expect(server.stop() == 0)
        let fresh = try await ServerProcess.start(server.sandbox, ["--no-worker"])
        defer { _ = fresh.stop() }
        let link = try fresh.sandbox.baton("user", "link", "ada", "--url", fresh.baseURL).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(link.hasPrefix(fresh.baseURL + "/#/login?token="), "\(link)")
        let token = String(link.split(separator: "=").last ?? "")
        let body = Array(#"{"token": "\#(token)"}"#.utf8)
        let first = try fresh.request("POST", "/api/login/link", headers: [("Content-Type", "application/json")], body: body, anonymous: true)
        #expect(first.status == 200 && first.json["user"] == .string("ada") && first.json["admin"] == .bool(true), "\(first)")
        let second = try fresh.request("POST", "/api/login/link", headers: [("Content-Type", "application/json")], body: body, anonymous: true)
        #expect(second.status == 401 && second.message.contains("the login link is not valid"), "\(second)")
        #expect(!fresh.output.contains(token) && !server.output.contains(token), "the token is never logged")
    }

    @Test func liveEventsNeedCredentialsAndNoAuthOpensALoopbackServer() async throws {
        let server = try await ServerProcess.start(try Sandbox(), ["--no-worker"])
        let refused = try server.request("GET", "/api/events", anonymous: true)
        #expect(refused.status == 401 && refused.error == "unauthorized", "\(refused)")
        let badKey = try server.request("GET", "/api/events", headers: [("Authorization", "Bearer baton_" + String(repeating: "q", count: 40))])
        #expect(badKey.status == 401, "\(badKey)")
        let events = try await server.events("/api/events", subscribed: { true }) { _, _ in true }
        #expect(events.isEmpty, "the admin key's stream opened")
        #expect(try server.request("GET", "/api/session", anonymous: true).status == 401)
        #expect(try server.request("GET", "/api/health", anonymous: true).status == 200)
        #expect(server.stop() == 0)

        let open = try await ServerProcess.start(server.sandbox, ["--no-worker", "--no-auth"])
        defer { _ = open.stop() }
        #expect(open.apiKey == nil)
        #expect(try open.get("/api/flows").status == 200)
        #expect(try open.get("/api/session").json == .object(["authRequired": .bool(false), "projects": .array([.string("default")])]))
        _ = try await open.events("/api/events", subscribed: { true }) { _, _ in true }
    }

    @Test(.requiresChromium) func theUILogsInWithAPasswordStartsARunAndLogsOut() async throws {
        let server = try await ServerProcess.withFixtures()
        defer { _ = server.stop() }
        #expect(try server.sandbox.baton("user", "create", "ada", "--admin", "--password-stdin", input: "correct horse\n").status == 0)
        let browser = try Chromium()
        defer { browser.close() }
        // A page asked for without a session goes to the login page, and back once logged in.
        let page = try browser.open(server.baseURL + "/#/flows/hello")
        try page.waitFor(#"document.body.dataset.ready === "login""#)
        try page.fill("input[name=user]", "ada")
        try page.fill("input[name=password]", "wrong horse")
        try page.click("[data-form=login] button[type=submit]")
        try page.waitFor(#"!document.querySelector(".form-error").hidden"#)
        #expect(try page.evaluate(#"document.querySelector(".form-error").textContent"#) as? String == "the user name or password is not right, or the user is disabled")
        try page.fill("input[name=password]", "correct horse")
        try page.click("[data-form=login] button[type=submit]")
        try page.waitFor(##"document.body.dataset.ready === "flow" && document.querySelector("#run-submit")"##)
        #expect(try page.evaluate("document.cookie") as? String == "", "the session cookie is out of the page's reach")
        #expect(try page.evaluate(#"document.querySelector("[data-user]")?.dataset.user"#) as? String == "ada")

        // A run from the form: a change made with the session and its CSRF token.
        try page.click("#run-submit")
        try page.waitFor(##"location.hash.startsWith("#/runs/") && document.body.dataset.ready === "run""##)
        try page.waitFor(#"document.querySelector("[data-run-state]")?.dataset.runState === "completed""#, timeout: 60)

        // An admin sees the audit log, with the run just started from the form.
        #expect(try page.evaluate(#"document.querySelector("[data-nav=audit]").hidden"#) as? Bool == false)
        try page.navigate(server.baseURL + "/#/audit?actor=ada")
        try page.waitFor(#"document.body.dataset.ready === "audit""#)
        let actions = try page.evaluate(#"[...document.querySelectorAll("tr[data-audit] code")].map(c => c.textContent).join(",")"#) as? String
        #expect(actions?.contains("POST /api/flow-runs") == true && actions?.contains("POST /api/login") == true, "\(actions ?? "")")

        // Logging out lands on the login page, and the API no longer answers the browser.
        try page.click("[data-action=logout]")
        try page.waitFor(#"document.body.dataset.ready === "login""#)
        let status = try page.evaluate("fetch('/api/flows').then(r => r.status)")
        #expect(status as? Int == 401 || (status as? Double) == 401, "\(String(describing: status))")
        #expect(page.consoleErrors.filter { !$0.contains("401") }.isEmpty, "\(page.consoleErrors)")
    }
}
