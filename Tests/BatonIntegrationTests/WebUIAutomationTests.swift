import BatonCore
import BatonTestSupport
import Foundation
import Testing

/// The Channels, Automations and Webhooks pages in a real headless Chromium, against a real
/// `baton server start` over the fixture flows whose own worker runs the runs and evaluates the
/// automations: a channel made in the form delivers its test to a loopback receiver, an automation
/// made in the form fires on a failed run and its page shows the firing and the delivery, and a
/// webhook made in the form shows its token once, a token that then starts a run.
@Suite(.serialized, .requiresChromium, .timeLimit(.minutes(10)))
struct WebUIAutomationTests {
    /// A server over the fixture flows, and a browser logged in as a server admin.
    final class Running {
        let server: ServerProcess
        let browser: Chromium

        init() async throws {
            server = try await ServerProcess.withFixtures()
            browser = try Chromium()
            try browser.logIn(to: server)
        }

        /// The page at `hash` once it has drawn.
        func open(_ hash: String) throws -> ChromiumPage {
            let page = try browser.open(server.baseURL + "/" + hash)
            try page.waitFor(#"document.body.dataset.ready === "\#(hash.dropFirst(2))""#)
            return page
        }

        func stop() -> Int32 {
            browser.close()
            return server.stop()
        }
    }

    /// `text` as a JavaScript string literal.
    static func literal(_ text: String) throws -> String {
        String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
    }

    @Test func aChannelAndAnAutomationMadeInTheFormsNotifyWhenARunFails() async throws {
        let running = try await Running()
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let page = try running.open("#/channels")

        // A webhook channel: listed with its URL cut to the host, and its test delivered.
        try page.fill(#"[data-form="channel-create"] [name="name"]"#, "ops")
        try page.fill(#"[data-form="channel-create"] [name="url"]"#, receiver.url + "/hooks/ops-token")
        try page.click(#"[data-form="channel-create"] button[type="submit"]"#)
        try page.waitFor(#"document.querySelector('tr[data-channel="ops"]') !== null"#)
        let row = try page.evaluate(#"document.querySelector('tr[data-channel="ops"]').innerText"#) as? String ?? ""
        #expect(row.contains("127.0.0.1") && !row.contains("ops-token"), "\(row)")
        try page.click(#"tr[data-channel="ops"] [data-action="test"]"#)
        try page.waitFor(#"document.querySelector('tr[data-channel="ops"] .test-result')?.dataset.delivered !== undefined"#, timeout: 30)
        let outcome = try page.evaluate(#"document.querySelector('tr[data-channel="ops"] .test-result').textContent"#) as? String ?? ""
        #expect(try page.evaluate(#"document.querySelector('tr[data-channel="ops"] .test-result').dataset.delivered"#) as? String == "true", "\(outcome)")
        #expect(outcome.contains("HTTP 200"), "\(outcome)")
        let tests = receiver.waitForRequests(1, timeout: 30)
        #expect(tests.count == 1 && tests.first?.target == "/hooks/ops-token")
        #expect(tests.first?.text.contains("a test message for channel 'ops'") == true, "\(tests.first?.text ?? "")")

        // An automation on failed runs (not crashed ones) that notifies it.
        try page.click(#"a[data-nav="automations"]"#)
        try page.waitFor(#"document.body.dataset.ready === "automations""#)
        let form = #"[data-form="automation-create"]"#
        try page.fill("\(form) [name=\"name\"]", "on-failure")
        #expect(try page.evaluate(#"document.querySelector('[name="trigger"]').value"#) as? String == "state")
        if try page.evaluate("document.querySelector('\(form) [name=\"states\"][value=\"crashed\"]').checked") as? Bool == true {
            try page.click("\(form) [name=\"states\"][value=\"crashed\"]")
        }
        let states = try page.evaluate("[...document.querySelectorAll('\(form) [name=\"states\"]:checked')].map((c) => c.value).join()") as? String
        #expect(states == "failed")
        try page.select("\(form) [name=\"action-kind\"]", value: "notify")
        try page.select("\(form) [name=\"action-channel\"]", value: "ops")
        try page.click("\(form) button[type=\"submit\"]")
        try page.waitFor(#"document.querySelector('tr[data-automation="on-failure"]') !== null"#)
        let listed = try page.evaluate(#"document.querySelector('tr[data-automation="on-failure"]').innerText"#) as? String ?? ""
        #expect(listed.contains("any run enters failed") && listed.contains("notify ops") && listed.contains("active"), "\(listed)")
        let stored = try running.server.get("/api/automations/on-failure").json
        #expect(stored["trigger"]?["states"] == .array([.string("failed")]), "\(stored)")
        #expect(stored["actions"] == .array([.object(["kind": .string("notify"), "channel": .string("ops")])]), "\(stored)")

        // Its page, then a run that fails: the firing names the run, and its delivery is delivered.
        try page.click(##"tr[data-automation="on-failure"] a[href="#/automations/on-failure"]"##)
        try page.waitFor(#"document.body.dataset.ready === "automation""#)
        #expect(try page.evaluate("document.querySelector('#history').textContent") as? String == "It has not fired yet.")
        let run = try running.server.createRun(#"{"flow": "flaky", "parameters": {"failures": 5}}"#)
        let id = try #require(run["id"]?.stringValue)
        let firing = ".firing[data-firing]"
        try page.waitFor("document.querySelector('\(firing) a[data-run-id=\(try Self.literal(id))]') !== null", timeout: 60)
        try page.waitFor("document.querySelector('\(firing) tr[data-delivery]')?.dataset.status === 'delivered'", timeout: 60)
        let runLink = try page.evaluate("document.querySelector('\(firing) a[data-run-id]').getAttribute('href')") as? String
        #expect(runLink == "#/runs/\(id)")
        let event = try page.evaluate("document.querySelector('\(firing) .event-text').textContent") as? String ?? ""
        #expect(event.contains("entered Failed"), "\(event)")
        let delivery = try page.evaluate("document.querySelector('\(firing) tr[data-delivery]').innerText") as? String ?? ""
        #expect(delivery.contains("notify ops") && delivery.contains("HTTP 200"), "\(delivery)")
        #expect(try page.evaluate("document.querySelector('\(firing)').dataset.suppressed") as? String == "false")
        let notified = receiver.waitForRequests(2, timeout: 30)
        #expect(notified.count == 2 && notified.last?.text.contains(id) == true, "\(notified.last?.text ?? "")")

        // Paused and resumed from its page.
        try page.click(#".automation-header [data-action="pause"]"#)
        try page.waitFor(#"document.querySelector('#automation-status')?.dataset.paused === "true""#)
        #expect(try running.server.get("/api/automations/on-failure").json["paused"] == .bool(true))
        try page.click(#".automation-header [data-action="resume"]"#)
        try page.waitFor(#"document.querySelector('#automation-status')?.dataset.paused === "false""#)
        #expect(try running.server.get("/api/automations/on-failure").json["paused"] == .bool(false))

        #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)")
        #expect(running.stop() == 0)
    }

    @Test func aWebhookMadeInTheFormShowsItsTokenOnceAndTheTokenStartsARun() async throws {
        let running = try await Running()
        let deployed = try running.server.post("/api/deployments", #"{"flow": "flaky", "name": "flaky-hook"}"#)
        try #require(deployed.status == 201, "\(deployed)")
        let page = try running.open("#/webhooks")
        let form = #"[data-form="webhook-create"]"#

        try page.fill("\(form) [name=\"name\"]", "on-push")
        try page.select("\(form) [name=\"deployment\"]", value: "flaky-hook")
        try page.fill("\(form) [name=\"map-param\"]", "failures")
        try page.fill("\(form) [name=\"map-path\"]", "$.attempts")
        try page.click("\(form) button[type=\"submit\"]")
        try page.waitFor(#"document.querySelector('#webhook-token code.token')?.textContent.startsWith("whk_")"#)
        let token = try #require(try page.evaluate("document.querySelector('#webhook-token code.token').textContent") as? String)
        let url = try page.evaluate("document.querySelector('#webhook-token code.url').textContent") as? String
        #expect(url == running.server.baseURL + "/api/webhooks/on-push")
        let notice = try page.evaluate("document.querySelector('#webhook-token').textContent") as? String ?? ""
        #expect(notice.contains("will not be shown again"), "\(notice)")
        let row = try page.evaluate(#"document.querySelector('tr[data-webhook="on-push"]').innerText"#) as? String ?? ""
        #expect(row.contains("flaky-hook") && row.contains("failures ← $.attempts") && row.contains("/api/webhooks/on-push"), "\(row)")
        #expect(!(try running.server.get("/api/webhooks").text.contains(token)))

        // The token shown is the webhook's: it starts a run with the mapped parameter.
        let started = try running.server.request(
            "POST", "/api/webhooks/on-push", headers: [("Authorization", "Bearer " + token), ("Content-Type", "application/json")],
            body: Array(#"{"attempts": 0}"#.utf8))
        #expect(started.status == 201, "\(started)")
        #expect(started.json["deployment"] == .string("flaky-hook") && started.json["parameters"]?["failures"] == .int(0), "\(started)")

        // Shown once: back on the page, it is nowhere, nor in the browser's storage.
        try page.click(#"a[data-nav="channels"]"#)
        try page.waitFor(#"document.body.dataset.ready === "channels""#)
        try page.click(#"a[data-nav="webhooks"]"#)
        try page.waitFor(#"document.body.dataset.ready === "webhooks" && document.querySelector('tr[data-webhook="on-push"]') !== null"#)
        let literal = try Self.literal(token)
        let anywhere = try page.evaluate(
            "[document.documentElement.outerHTML, JSON.stringify(localStorage), JSON.stringify(sessionStorage)].some((s) => s.includes(\(literal)))")
        #expect(anywhere as? Bool == false, "the token is still in the page")
        #expect(try page.evaluate("document.querySelector('#webhook-token').hidden") as? Bool == true)

        // Removing asks first.
        try page.click(#"tr[data-webhook="on-push"] [data-action="remove"]"#)
        try page.click(#"tr[data-webhook="on-push"] [data-action="confirm-remove"]"#)
        try page.waitFor(#"document.querySelector('tr[data-webhook="on-push"]') === null"#)
        #expect(try running.server.get("/api/webhooks").json["webhooks"]?.arrayValue?.isEmpty == true)
        #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)")
        #expect(running.stop() == 0)
    }
}
