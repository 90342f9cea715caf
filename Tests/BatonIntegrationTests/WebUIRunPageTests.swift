import BatonCore
import Foundation
import Testing

/// The run page and the run form in a real headless Chromium against `baton server start` over the
/// fixture flows: a placeholder before the data, durations as the CLI prints them, a Gantt axis that
/// fits a run of a few milliseconds, every edge of the graph with the first task at the top, and a form
/// that refuses a value out of its schema's range. Each test saves a screenshot under
/// `.build/test-artifacts/`.
@Suite(.serialized, .requiresChromium, .timeLimit(.minutes(20)))
struct WebUIRunPageTests {
    static let wait = 120.0

    /// A server over a sandbox with the fixture flows registered, and a browser.
    final class Running {
        let server: ServerProcess
        let browser: Chromium

        init() async throws {
            server = try await ServerProcess.withFixtures()
            browser = try Chromium()
            try browser.logIn(to: server)
        }

        func stop() -> Int32 {
            browser.close()
            return server.stop()
        }

        /// A completed run of `constrained`: list-parts, three measures and a sum, a few ms long.
        func shortRun() async throws -> JSONValue {
            let run = try server.createRun(#"{"flow": "constrained", "parameters": {"parts": 3}}"#)
            let id = try #require(run["id"]?.stringValue)
            let final = try await server.finished(id)
            try #require(final["state"] == .string("completed"), "\(final)")
            return final
        }
    }

    static func screenshot(_ page: ChromiumPage, _ name: String) throws {
        let folder = Paths.root + "/.build/test-artifacts"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try page.screenshot(to: folder + "/" + name)
        let png = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    }

    @Test func thePlaceholderShowsUntilTheRunsDataArrives() async throws {
        let running = try await Running()
        let id = try #require(try await running.shortRun()["id"]?.stringValue)
        let page = try running.browser.open(running.server.baseURL + "/#/")
        try page.waitFor(##"document.body.dataset.ready === "dashboard""##, timeout: Self.wait)
        // The run's requests are held until the test lets them go: what the page shows meanwhile is
        // what a reader sees on a slow connection.
        _ = try page.evaluate(
            """
            (() => {
              const real = window.fetch.bind(window);
              window.heldRequests = [];
              window.releaseRequests = () => { window.released = true; window.heldRequests.splice(0).forEach((go) => go()); };
              window.fetch = (url, init) => (String(url).includes('/api/flow-runs/') && !window.released)
                ? new Promise((resolve, reject) => window.heldRequests.push(() => real(url, init).then(resolve, reject)))
                : real(url, init);
              location.hash = '#/runs/\(id)';
              return true;
            })()
            """)
        try page.waitFor("window.heldRequests.length > 0 && document.querySelector('#page-loading')", timeout: Self.wait)
        #expect(try page.evaluate("document.querySelector('.run-page') === null") as? Bool == true)
        #expect(try page.evaluate("document.querySelector('#page-loading').textContent") as? String == "Loading the run…")
        #expect(try page.evaluate("document.querySelectorAll('#page-loading .bone').length >= 3") as? Bool == true)
        try Self.screenshot(page, "run-page-loading.png")

        _ = try page.evaluate("window.releaseRequests()")
        try page.waitFor(##"document.body.dataset.ready === "run" && !document.querySelector('#page-loading')"##, timeout: Self.wait)
        #expect(try page.evaluate("document.querySelector('.run-page h1').textContent.length > 0") as? Bool == true)
        #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)")
        #expect(running.stop() == 0)
    }

    @Test func aVeryShortRunGetsAnAxisThatFitsItAndTheCLIsDuration() async throws {
        let running = try await Running()
        let run = try await running.shortRun()
        let id = try #require(run["id"]?.stringValue)
        let page = try running.browser.open(running.server.baseURL + "/#/runs/\(id)")
        try page.waitFor(##"document.body.dataset.ready === "run" && document.querySelectorAll("#gantt rect.bar").length === 5"##, timeout: Self.wait)

        // The task runs span this many milliseconds, from the first start to the last end.
        let tasks = try running.server.get("/api/flow-runs/\(id)/task-runs").json["taskRuns"]?.arrayValue ?? []
        let starts = tasks.compactMap { $0["startTime"]?.stringValue.flatMap(Timestamps.parse) }
        let ends = tasks.compactMap { $0["endTime"]?.stringValue.flatMap(Timestamps.parse) }
        try #require(starts.count == 5 && ends.count == 5, "\(tasks)")
        let spanMs = (ends.max()!.timeIntervalSince(starts.min()!) * 1000).rounded()
        let axisMs = try #require(try page.evaluate("Number(document.querySelector('#gantt').dataset.axisMs)") as? Double)
        #expect(axisMs >= spanMs, "the axis (\(axisMs) ms) must reach the last bar (\(spanMs) ms)")
        #expect(axisMs <= max(2 * spanMs, 10), "the axis (\(axisMs) ms) must fit a run of \(spanMs) ms")
        let ticks = try page.evaluate(##"[...document.querySelectorAll("#gantt text.axis")].slice(1).map(t => t.textContent).join("|")"##) as? String ?? ""
        #expect(!ticks.isEmpty)
        for tick in ticks.split(separator: "|") {
            #expect(tick.hasPrefix("+"), "\(ticks)")
            // A run under a second is measured in milliseconds; a loaded machine may make it longer.
            if spanMs < 1000 { #expect(tick.hasSuffix(" ms"), "\(ticks) for a run of \(spanMs) ms") }
        }

        // The header's duration is the one `baton run show` prints.
        let shown = try running.server.sandbox.baton("run", "show", id)
        let cli = try #require(
            shown.stdout.split(separator: "\n").first { $0.hasPrefix("Duration") }.map { $0.dropFirst("Duration".count).trimmingCharacters(in: .whitespaces) },
            "\(shown.stdout)\(shown.stderr)")
        let header = try page.evaluate(
            ##"[...document.querySelectorAll(".run-header .facts div")].find(d => d.querySelector("dt").textContent === "Duration")?.querySelector("dd").textContent"##)
            as? String
        #expect(header == cli, "page \(header ?? "none"), CLI \(cli)")
        if case .double(let seconds)? = run["durationSeconds"], seconds < 1 { #expect(cli.hasSuffix(" ms")) }
        _ = try page.evaluate("document.querySelector('#gantt').scrollIntoView({ block: 'center' })")
        try Self.screenshot(page, "run-page-short-run.png")
        #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)")
        #expect(running.stop() == 0)
    }

    @Test func theGraphDrawsEveryEdgeWithTheFirstTaskAtTheTopConnected() async throws {
        let running = try await Running()
        let id = try #require(try await running.shortRun()["id"]?.stringValue)
        let graph = try running.server.get("/api/flow-runs/\(id)/graph").json
        let edges = graph["edges"]?.arrayValue ?? []
        let names = Dictionary(uniqueKeysWithValues: (graph["nodes"]?.arrayValue ?? []).compactMap { n in
            n["id"]?.stringValue.map { ($0, n["name"]?.stringValue ?? "") }
        })
        let named = Set(edges.map { "\(names[$0["from"]?.stringValue ?? ""] ?? "?")->\(names[$0["to"]?.stringValue ?? ""] ?? "?")" })
        #expect(named == [
            "list-parts-0->measure-0", "list-parts-0->measure-1", "list-parts-0->measure-2",
            "measure-0->sum-0", "measure-1->sum-0", "measure-2->sum-0",
        ], "the engine's edges: \(named)")

        let page = try running.browser.open(running.server.baseURL + "/#/runs/\(id)")
        try page.waitFor(##"document.body.dataset.ready === "run" && document.querySelectorAll("#task-graph g.node").length === 5"##, timeout: Self.wait)
        let drawn = try page.evaluate(
            ##"[...document.querySelectorAll("#task-graph path.edge")].map(e => e.dataset.from + ">" + e.dataset.to).sort().join(",")"##) as? String
        let expected = edges.map { "\($0["from"]?.stringValue ?? "")>\($0["to"]?.stringValue ?? "")" }.sorted().joined(separator: ",")
        #expect(drawn == expected, "every edge is drawn once")

        // Nodes by creation order: list-parts first at the top left, the measures in order below one another.
        struct Node: Decodable { var name: String; var x: Double; var y: Double }
        let nodes = try page.evaluate(
            ##"[...document.querySelectorAll("#task-graph g.node")].map(g => { const m = /translate\(([-\d.]+),([-\d.]+)\)/.exec(g.getAttribute("transform")); return { name: g.querySelector("text").textContent, x: Number(m[1]), y: Number(m[2]) }; })"##,
            as: [Node].self)
        let at = Dictionary(uniqueKeysWithValues: nodes.map { ($0.name, $0) })
        let first = try #require(at["list-parts-0"])
        #expect(nodes.allSatisfy { $0.y >= first.y && $0.x >= first.x }, "\(nodes)")
        let measures = ["measure-0", "measure-1", "measure-2"].compactMap { at[$0] }
        #expect(measures.count == 3 && measures[0].y < measures[1].y && measures[1].y < measures[2].y, "\(nodes)")
        #expect(measures.allSatisfy { $0.x > first.x } && (at["sum-0"]?.x ?? 0) > measures[0].x, "\(nodes)")
        try Self.screenshot(page, "run-page-graph.png")
        #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)")
        #expect(running.stop() == 0)
    }

    @Test func theRunFormRefusesAnOutOfRangeValueWithTheMessageAndTheFlowPageReadsRight() async throws {
        let running = try await Running()
        let page = try running.browser.open(running.server.baseURL + "/#/flows/constrained")
        try page.waitFor(##"document.body.dataset.ready === "flow" && document.querySelector("#run-submit")"##, timeout: Self.wait)

        // The schema's limits are on the controls and in the hints.
        let attributes = try page.evaluate(
            ##"(() => { const t = document.querySelector('[name="param-threshold"]'), l = document.querySelector('[name="param-label"]'); return [t.getAttribute("min"), t.getAttribute("max"), l.getAttribute("maxlength"), l.getAttribute("minlength"), l.getAttribute("pattern") ? "pattern" : "none"].join(","); })()"##)
            as? String
        #expect(attributes == "0,1,8,1,pattern")
        #expect(try page.evaluate(##"document.querySelector('[data-param="threshold"] .hint').textContent.includes("from 0 to 1")"##) as? Bool == true)

        // Checked as typed, before anything is sent, in the server's words.
        try page.fill(#"[name="param-threshold"]"#, "1.5")
        try page.waitFor(##"!document.querySelector("#param-threshold-error").hidden"##, timeout: Self.wait)
        let message = try page.evaluate(##"document.querySelector("#param-threshold-error").textContent"##) as? String
        #expect(message == "parameter 'threshold': 1.5 is out of range; expected a number from 0 to 1")
        try page.click("#run-submit")
        try page.waitFor(##"document.activeElement === document.querySelector('[name="param-threshold"]')"##, timeout: Self.wait)
        #expect(try page.evaluate(##"document.querySelector("#param-threshold-error").textContent"##) as? String == message)
        try page.fill(#"[name="param-label"]"#, "Run")
        try page.waitFor(##"!document.querySelector("#param-label-error").hidden"##, timeout: Self.wait)
        #expect(
            try page.evaluate(##"document.querySelector("#param-label-error").textContent"##) as? String
                == "parameter 'label': \"Run\" does not match the pattern; expected a string matching ^[a-z]+$")
        try Self.screenshot(page, "flow-page-form-refused.png")
        let runs = try running.server.get("/api/flow-runs?flow=constrained").json["runs"]?.arrayValue ?? []
        #expect(runs.isEmpty, "a value out of range must not reach the server")

        // The flow page: its description once, inline code as code, no literal backticks, who registered.
        let description = "Checks its limited parameters; see baton flow inspect"
        #expect(try page.evaluate(##"[...document.querySelectorAll("p")].filter(p => p.textContent === "\##(description)").length"##) as? Int == 1)
        #expect(try page.evaluate(##"document.querySelector(".lede code")?.textContent"##) as? String == "baton flow inspect")
        #expect(try page.evaluate(##"document.querySelector(".lede em")?.textContent"##) as? String == "limited")
        #expect(try page.evaluate(##"[...document.querySelectorAll("code")].some(c => c.textContent === "baton deployment create")"##) as? Bool == true)
        #expect(try page.evaluate(##"document.querySelector('[data-param="label"] .hint code')?.textContent"##) as? String == "lowercase")
        #expect(try page.evaluate("document.body.innerText.includes('`')") as? Bool == false, "no literal backticks")
        let by = try page.evaluate(##"(() => { const table = document.querySelector(".versions table"); const i = [...table.querySelectorAll("th")].findIndex(th => th.textContent === "By"); return i < 0 ? "no column" : table.querySelector("tbody tr").children[i].textContent; })()"##) as? String ?? ""
        #expect(!by.isEmpty, "the By column shows who registered")

        // A value in range starts a run.
        try page.fill(#"[name="param-threshold"]"#, "0.9")
        try page.fill(#"[name="param-label"]"#, "ok")
        try page.waitFor(##"document.querySelector("#param-threshold-error").hidden && document.querySelector("#param-label-error").hidden"##, timeout: Self.wait)
        _ = try page.evaluate("document.querySelector('.versions').scrollIntoView({ block: 'center' })")
        try Self.screenshot(page, "flow-page.png")

        // The server has the last word: a body changed on its way (as a stale page might send it) is
        // refused, and the form shows the server's message by the field it names.
        _ = try page.evaluate(
            """
            (() => {
              const real = window.fetch.bind(window);
              window.fetch = (url, init) => {
                window.fetch = real;
                const body = JSON.parse(init.body);
                body.parameters.threshold = 1.5;
                return real(url, { ...init, body: JSON.stringify(body) });
              };
              return true;
            })()
            """)
        try page.click("#run-submit")
        try page.waitFor(##"!document.querySelector("#param-threshold-error").hidden"##, timeout: Self.wait)
        #expect(
            try page.evaluate(##"document.querySelector("#param-threshold-error").textContent"##) as? String
                == "parameter 'threshold' of flow 'constrained': 1.5 is out of range; expected a number from 0 to 1")
        #expect(try running.server.get("/api/flow-runs?flow=constrained").json["runs"]?.arrayValue?.isEmpty == true)

        try page.click("#run-submit")
        try page.waitFor(##"location.hash.startsWith("#/runs/") && document.body.dataset.ready === "run""##, timeout: Self.wait)
        let hash = try #require(try page.evaluate("location.hash") as? String)
        let id = String(hash.dropFirst("#/runs/".count).prefix { $0 != "?" })
        let final = try await running.server.finished(id)
        #expect(final["state"] == .string("completed"), "\(final)")
        #expect(final["parameters"]?["threshold"] == .double(0.9))
        #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)")
        #expect(running.stop() == 0)
    }
}
