import BatonCore
import Foundation
import Testing

/// The UI's project switcher, as a member of two projects uses it: it offers the projects they
/// have a role in, every page then shows the chosen project's things only, the live stream follows
/// the choice, and a run page of the other project is not found.
@Suite(.timeLimit(.minutes(10)))
struct WebUIProjectTests {
    @Test(.requiresChromium) func theSwitcherShowsEachProjectsRunsAndItsLiveEvents() async throws {
        let server = try await ServerProcess.withFixtures(["--no-worker"])
        defer { _ = server.stop() }
        let sandbox = server.sandbox
        #expect(try sandbox.baton("project", "create", "analytics").status == 0)
        #expect(try sandbox.baton("project", "create", "hidden").status == 0)
        #expect(try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows"), "--project", "analytics").status == 0)
        #expect(try sandbox.baton("user", "create", "pat").status == 0)
        #expect(try sandbox.baton("project", "member", "add", "default", "pat", "--role", "viewer").status == 0)
        #expect(try sandbox.baton("project", "member", "add", "analytics", "pat", "--role", "operator").status == 0)
        let mine = try server.createRun(#"{"flow": "hello"}"#)
        let mineID = try #require(mine["id"]?.stringValue)

        let browser = try Chromium()
        defer { browser.close() }
        let link = try sandbox.baton("user", "link", "pat", "--url", server.baseURL).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let page = try browser.open(link)
        try page.waitFor(#"document.body.dataset.ready === "dashboard""#)
        // Offered: the projects pat has a role in, not the one they have none in.
        let offered = try page.evaluate(##"[...document.querySelectorAll("#project-select option")].map(o => o.value).join(",")"##) as? String
        #expect(offered == "analytics,default", "\(offered ?? "")")
        #expect(try page.evaluate(##"document.querySelector("#project-select").value"##) as? String == "default")
        #expect(try page.evaluate(#"document.querySelector("[data-nav=audit]").hidden"#) as? Bool == true)

        // default's runs: the one made above.
        try page.navigate(server.baseURL + "/#/runs")
        try page.waitFor(#"document.body.dataset.ready === "runs""#)
        try page.waitFor(#"document.querySelector(`tr[data-run-id="\#(mineID)"]`) !== null"#)

        // analytics: none of default's runs, and a run made there appears live.
        try page.select("#project-select", value: "analytics")
        try page.waitFor(##"document.body.dataset.ready === "runs" && document.querySelector("#project-select").value === "analytics""##)
        try page.waitFor(#"document.getElementById("live").dataset.status === "live""#)
        #expect(try page.evaluate("document.querySelectorAll('tr[data-run-id]').length") as? Int == 0)
        let key = try ServerProcess.makeKey(sandbox, name: "analytics-ci", role: "operator", project: "analytics")
        let theirs = try server.request(
            "POST", "/api/flow-runs", headers: [("Authorization", "Bearer " + key), ("Content-Type", "application/json")],
            body: Array(#"{"flow": "hello"}"#.utf8))
        #expect(theirs.status == 201, "\(theirs)")
        let theirID = try #require(theirs.json["id"]?.stringValue)
        try page.waitFor(#"document.querySelector(`tr[data-run-id="\#(theirID)"]`) !== null"#)
        #expect(try page.evaluate(#"document.querySelector(`tr[data-run-id="\#(mineID)"]`) === null"#) as? Bool == true)

        // The choice is remembered, and default's run page is not found from analytics.
        try page.navigate(server.baseURL + "/#/runs/\(mineID)")
        try page.waitFor(#"document.querySelector(".error-page") !== null"#)
        #expect((try page.evaluate(#"document.querySelector(".error-page").textContent"#) as? String)?.contains("no flow run") == true)
        #expect(page.consoleErrors.filter { !$0.contains("no flow run") }.isEmpty, "\(page.consoleErrors)")
    }
}
