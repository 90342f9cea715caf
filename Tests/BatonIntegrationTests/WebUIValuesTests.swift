import BatonCore
import Foundation
import Testing

/// The Secrets and Variables pages in a real headless Chromium, against a real `baton server start`:
/// a secret set through the form is listed by name while its value is nowhere in the page, a
/// variable is set, edited and removed, and a viewer sees the names but is refused, in the form's
/// own line, when setting one.
@Suite(.serialized, .requiresChromium, .timeLimit(.minutes(10)))
struct WebUIValuesTests {
    /// A server without flows or a worker, and a browser logged in as a server admin.
    final class Running {
        let server: ServerProcess
        let browser: Chromium

        init() async throws {
            server = try await ServerProcess.start(try Sandbox(), ["--no-worker"])
            browser = try Chromium()
        }

        /// The page at `hash`, once it has drawn, in a browser logged in as an admin.
        func adminPage(_ hash: String) throws -> ChromiumPage {
            try browser.logIn(to: server)
            return try open(hash)
        }

        func open(_ hash: String) throws -> ChromiumPage {
            let page = try browser.open(server.baseURL + "/" + hash)
            try page.waitFor(#"document.body.dataset.ready === "\#(hash.dropFirst(2))""#)
            return page
        }

        func names(_ kind: String) throws -> [String] {
            let reply = try server.get("/api/\(kind)s")
            try #require(reply.status == 200, "\(reply)")
            return (reply.json["\(kind)s"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        }

        func stop() -> Int32 {
            browser.close()
            return server.stop()
        }
    }

    /// Whether `text` is anywhere a value could sit in `page`: its markup, what it reads, the
    /// controls' values (which markup does not carry) and the browser's storage.
    static func shows(_ text: String, on page: ChromiumPage) throws -> Bool {
        let literal = String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
        let found = try page.evaluate(
            """
            [document.documentElement.outerHTML, document.body.innerText,
             ...[...document.querySelectorAll("input, textarea, select")].map((e) => e.value),
             JSON.stringify(localStorage), JSON.stringify(sessionStorage)].some((s) => s.includes(\(literal)))
            """)
        return found as? Bool ?? true
    }

    @Test func aSecretSetInTheFormIsListedByNameAndItsValueIsNowhereInThePage() async throws {
        let running = try await Running()
        let page = try running.adminPage("#/secrets")
        let value = "s3cret-Zebra-\(UUID().uuidString.prefix(8))"
        #expect((try page.evaluate("document.querySelector('.lede').textContent") as? String)?.contains(#"Secret.value("name")"#) == true)

        try page.fill(#"[data-form="secret-set"] [name="name"]"#, "db-password")
        try page.fill(#"[data-form="secret-set"] [name="value"]"#, value)
        #expect(try page.evaluate(#"document.querySelector('[data-form="secret-set"] [name="value"]').type"#) as? String == "password")
        try page.click(#"[data-form="secret-set"] button[type="submit"]"#)
        try page.waitFor(#"document.querySelector('tr[data-name="db-password"]') !== null"#)

        #expect(try running.names("secret") == ["db-password"])
        let row = try page.evaluate(#"document.querySelector('tr[data-name="db-password"]').innerText"#) as? String ?? ""
        #expect(row.contains("tester"), "\(row)")
        #expect(try page.evaluate(#"document.querySelector('tr[data-name="db-password"] time[datetime]') !== null"#) as? Bool == true)
        #expect(try page.evaluate(#"document.querySelector('[data-form="secret-set"] [name="value"]').value"#) as? String == "")
        #expect(try !Self.shows(value, on: page), "the secret's value is in the page")
        #expect(!(try running.server.get("/api/secrets").text.contains(value)))

        // A name the server would refuse is refused in the form's line, and the value goes with it.
        try page.fill(#"[data-form="secret-set"] [name="name"]"#, ".hidden")
        try page.fill(#"[data-form="secret-set"] [name="value"]"#, value)
        try page.click(#"[data-form="secret-set"] button[type="submit"]"#)
        try page.waitFor(#"!document.querySelector(".form-error").hidden"#)
        #expect((try page.evaluate(#"document.querySelector(".form-error").textContent"#) as? String)?.contains("not valid") == true)
        #expect(try !Self.shows(value, on: page), "the secret's value is in the page")

        // Removing asks first.
        try page.click(#"tr[data-name="db-password"] [data-action="remove"]"#)
        try page.click(#"tr[data-name="db-password"] [data-action="confirm-remove"]"#)
        try page.waitFor(#"document.querySelector('tr[data-name="db-password"]') === null && document.querySelector("tr.empty-row") !== null"#)
        #expect(try running.names("secret").isEmpty)
        #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)")
        #expect(running.stop() == 0)
    }

    @Test func aVariableIsSetEditedAndRemovedThroughThePage() async throws {
        let running = try await Running()
        let page = try running.adminPage("#/variables")
        #expect((try page.evaluate("document.querySelector('.lede').textContent") as? String)?.contains(#"Variable.get("name")"#) == true)
        let valueCell = #"document.querySelector('tr[data-name="region"] .value')?.textContent"#

        try page.fill(#"[data-form="variable-set"] [name="name"]"#, "region")
        try page.fill(#"[data-form="variable-set"] [name="value"]"#, "eu-west-1")
        try page.click(#"[data-form="variable-set"] button[type="submit"]"#)
        try page.waitFor("\(valueCell) === 'eu-west-1'")
        #expect(try running.server.get("/api/variables/region").json["value"]?.stringValue == "eu-west-1")

        // Edit fills the form with the variable; setting it again changes the value in place.
        try page.click(#"tr[data-name="region"] [data-action="edit"]"#)
        #expect(try page.evaluate(#"document.querySelector('[data-form="variable-set"] [name="value"]').value"#) as? String == "eu-west-1")
        try page.fill(#"[data-form="variable-set"] [name="value"]"#, "eu-central-1")
        try page.click(#"[data-form="variable-set"] button[type="submit"]"#)
        try page.waitFor("\(valueCell) === 'eu-central-1'")
        #expect(try page.evaluate("document.querySelectorAll('tr[data-name]').length") as? Int == 1)
        #expect(try running.server.get("/api/variables/region").json["value"]?.stringValue == "eu-central-1")

        // Cancel keeps it; confirming removes it.
        try page.click(#"tr[data-name="region"] [data-action="remove"]"#)
        try page.click(#"tr[data-name="region"] [data-action="cancel-remove"]"#)
        #expect(try page.evaluate(#"document.querySelector('tr[data-name="region"] [data-action="remove"]') !== null"#) as? Bool == true)
        #expect(try running.names("variable") == ["region"])
        try page.click(#"tr[data-name="region"] [data-action="remove"]"#)
        try page.click(#"tr[data-name="region"] [data-action="confirm-remove"]"#)
        try page.waitFor(#"document.querySelector('tr[data-name="region"]') === null"#)
        #expect(try running.server.get("/api/variables/region").status == 404)
        #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)")
        #expect(running.stop() == 0)
    }

    @Test func aViewerSeesTheNamesAndIsRefusedInTheFormsLine() async throws {
        let running = try await Running()
        let sandbox = running.server.sandbox
        #expect(try running.server.send("PUT", "/api/secrets/api-token", json: #"{"value": "kept"}"#).status == 200)
        #expect(try sandbox.baton("user", "create", "pat").status == 0)
        #expect(try sandbox.baton("project", "member", "add", "default", "pat", "--role", "viewer").status == 0)
        let link = try sandbox.baton("user", "link", "pat", "--url", running.server.baseURL).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let page = try running.browser.open(link)
        try page.waitFor(#"document.body.dataset.ready === "dashboard""#)

        try page.click(#"a[data-nav="secrets"]"#)
        try page.waitFor(#"document.body.dataset.ready === "secrets" && document.querySelector('tr[data-name="api-token"]') !== null"#)
        try page.fill(#"[data-form="secret-set"] [name="name"]"#, "mine")
        try page.fill(#"[data-form="secret-set"] [name="value"]"#, "not-allowed")
        try page.click(#"[data-form="secret-set"] button[type="submit"]"#)
        try page.waitFor(#"!document.querySelector(".form-error").hidden"#)
        let message = try page.evaluate(#"document.querySelector(".form-error").textContent"#) as? String ?? ""
        #expect(message.contains("viewer") && message.contains("may not"), "\(message)")
        #expect(!message.contains("\n"))
        #expect(try page.evaluate(#"document.querySelector('[data-form="secret-set"] [name="value"]').value"#) as? String == "")
        #expect(try running.names("secret") == ["api-token"])
        // The refusal is the form's answer, not a failure of the page.
        #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)")
        #expect(running.stop() == 0)
    }
}
