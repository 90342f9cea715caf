import BatonCore
import BatonHTTP
import Foundation
import Testing

/// The web UI in a real headless Chromium, against a real `baton server start` over the fixture
/// flows: the run form generated from a version's schema, the version picker, and a run's page.
@Suite(.serialized, .requiresChromium) struct WebUITests {
    /// A server over a sandbox with `versioned` registered twice (versions 1 and 2).
    final class Running {
        let sandbox: Sandbox
        let server: ServerProcess
        var address: String { server.baseURL }
        let client: HTTPClient
        let browser: Chromium

        init() async throws {
            sandbox = try Sandbox()
            for library in ["VersionedOne", "VersionedTwo"] {
                let registered = try sandbox.baton("register", try await Builds.shared.fixture(library))
                #expect(registered.status == 0, "\(registered.stderr)")
            }
            server = try await ServerProcess.start(sandbox)
            client = try server.client()
            browser = try Chromium()
            try browser.logIn(to: server)
        }

        func stop() -> Int32 {
            browser.close()
            return server.stop()
        }

        func runs() throws -> [JSONValue] {
            let response = try client.request("GET", "/api/flow-runs?flow=versioned")
            return (try JSONValue(json: response.body))["runs"]?.arrayValue ?? []
        }

        /// The run the page at `page` shows, once it has reached a final state.
        func finishedRun(on page: ChromiumPage) throws -> JSONValue {
            try page.waitFor(##"location.hash.startsWith("#/runs/") && document.body.dataset.ready === "run""##)
            let hash = try #require(try page.evaluate("location.hash") as? String)
            let id = String(hash.dropFirst("#/runs/".count).prefix { $0 != "?" })
            do {
                try page.waitFor(#"["completed", "failed", "crashed"].includes(document.querySelector("[data-run-state]")?.dataset.runState)"#, timeout: 60)
            } catch {
                // Whether the run or the page is behind: what the store says, and what the server did.
                let stored = (try? client.request("GET", "/api/flow-runs/\(id)/states").text) ?? "?"
                Issue.record("\(error)\nstates in the store: \(stored)\nserver output:\n\(server.output.suffix(4000))")
                throw error
            }
            return try JSONValue(json: try client.request("GET", "/api/flow-runs/\(id)").body)
        }
    }

    @Test func theRunFormRefusesAWrongTypedParameterAndStartsARunWithAValidOne() async throws {
        let running = try await Running()
        let page = try running.browser.open(running.address + "/#/flows/versioned")
        try page.waitFor(##"document.body.dataset.ready === "flow" && document.querySelector("#run-submit")"##)
        // The form is the latest version's schema with its defaults.
        #expect(try page.evaluate(#"document.querySelector('[name="param-count"]').value"#) as? String == "3")
        #expect(try page.evaluate(#"document.querySelector('[name="param-note"]').value"#) as? String == "hello")

        try page.fill(#"[name="param-count"]"#, "abc")
        try page.click("#run-submit")
        try page.waitFor(#"document.querySelector(".field-error")?.textContent.length > 0"#)
        let message = try page.evaluate(#"document.querySelector(".field-error").textContent"#) as? String ?? ""
        #expect(message.lowercased().contains("integer") || message.lowercased().contains("whole number"), "\(message)")
        #expect(try running.runs().isEmpty, "a wrong-typed parameter must not reach the server")

        try page.fill(#"[name="param-count"]"#, "4")
        try page.click("#run-submit")
        let run = try running.finishedRun(on: page)
        #expect(run["state"]?.stringValue == "completed")
        #expect(run["version"]?.intValue == 2)
        #expect(run["parameters"]?["count"]?.intValue == 4)
        #expect(run["result"]?.stringValue == "v2: 12")
        #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)")
        #expect(running.stop() == 0)
    }

    @Test func pickingVersionOneInThePickerRunsVersionOne() async throws {
        let running = try await Running()
        let page = try running.browser.open(running.address + "/#/flows/versioned")
        try page.waitFor(##"document.body.dataset.ready === "flow" && document.querySelector("#run-submit")"##)
        let options = try page.evaluate(##"[...document.querySelectorAll("#version-picker option")].map(o => o.value).join(",")"##) as? String
        #expect(options == "2,1")
        try page.select("#version-picker", value: "1")
        try page.waitFor(##"document.querySelector("#run-submit")?.textContent.includes("v1")"##)
        try page.click("#run-submit")
        let run = try running.finishedRun(on: page)
        #expect(run["version"]?.intValue == 1)
        #expect(run["result"]?.stringValue == "v1: 6")
        #expect(running.stop() == 0)
    }

    @Test func aRunPageShowsTheTaskGraphAndItsLogs() async throws {
        let running = try await Running()
        let created = try running.client.request(
            "POST", "/api/flow-runs", headers: [("Content-Type", "application/json")], body: Array(#"{"flow": "versioned", "parameters": {"count": 3}}"#.utf8))
        #expect(created.status == 201)
        let id = try #require(try JSONValue(json: created.body)["id"]?.stringValue)
        let page = try running.browser.open(running.address + "/#/runs/\(id)")
        _ = try running.finishedRun(on: page)

        // Three doubles, the total and the announcement, coloured by their state.
        try page.waitFor(##"document.querySelectorAll("#task-graph g.node").length === 5"##)
        let states = try page.evaluate(##"[...document.querySelectorAll("#task-graph g.node")].map(n => n.dataset.state).join(",")"##) as? String
        #expect(states == "completed,completed,completed,completed,completed")
        let graph = try JSONValue(json: try running.client.request("GET", "/api/flow-runs/\(id)/graph").body)
        #expect((graph["edges"]?.arrayValue?.count ?? 0) >= 1, "the engine recorded no edges: \(graph)")
        let drawnEdges = try page.evaluate(##"document.querySelectorAll("#task-graph .edge").length"##) as? Int ?? -1
        #expect(drawnEdges == graph["edges"]?.arrayValue?.count)

        try page.waitFor(##"[...document.querySelectorAll("#logs .log-line")].some(l => l.textContent.includes("the total is 6"))"##)
        #expect(try page.evaluate(##"document.querySelectorAll("#gantt rect.bar").length >= 5"##) as? Bool == true)

        let artifacts = Paths.root + "/.build/test-artifacts"
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        try page.screenshot(to: artifacts + "/run-page.png")
        let png = try Data(contentsOf: URL(fileURLWithPath: artifacts + "/run-page.png"))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)")
        #expect(running.stop() == 0)
    }
}
