import BatonCore
import BatonHTTP
import BatonSchedule
import BatonServices
import BatonStore
import Foundation
import Testing

/// The Runs page, the dashboard and a flow's page in a real headless Chromium after the quickstart's
/// situation: two real runs, a deployment whose one-minute schedule made the next hour of runs, and
/// one whose runs are overdue with no worker for them. Real runs come first, upcoming ones apart,
/// overdue ones read Late, and the dashboard counts only what happened.
@Suite(.serialized, .requiresChromium, .timeLimit(.minutes(20)))
struct WebUIRunListingTests: StoreWatching {
    final class Running {
        let sandbox: Sandbox
        let server: ServerProcess
        let browser: Chromium
        /// The runs made with `baton run`, oldest first.
        let real: [String]

        init(_ suite: WebUIRunListingTests) async throws {
            sandbox = try await suite.registered()
            #expect(try sandbox.baton("deployment", "create", "hello", "--name", "minutely", "--interval", "60").status == 0)
            // A schedule whose scheduler ran ten minutes ago, for a pool no worker serves: overdue runs.
            let store = try SQLiteStore(home: BatonHome(path: sandbox.home))
            let then = Date().addingTimeInterval(-600)
            _ = try Services(store: store, home: BatonHome(path: sandbox.home), options: ServiceOptions(now: { then })).deployments.create(
                NewDeployment(
                    name: "stalled", flow: "echo", schedule: ScheduleSpec(kind: "interval", intervalSeconds: 60, anchor: then), pool: "elsewhere"),
                .storeOwner())
            _ = try Scheduler(store: store).pass(now: then)
            var real: [String] = []
            for _ in 0..<2 {
                let run = try sandbox.baton("run", "hello", "--json")
                #expect(run.status == 0, "\(run.stderr)")
                real += run.json["id"]?.stringValue.map { [$0] } ?? []
            }
            self.real = real
            server = try await ServerProcess.start(sandbox)
            let filled = try suite.waitUntil(sandbox) { store in
                try store.flowRuns(FlowRunQuery(deployment: "minutely", when: .upcoming, limit: 100)).count >= 20
            }
            #expect(filled, "the scheduler made no runs ahead: \(server.output.suffix(2000))")
            browser = try Chromium()
            try browser.logIn(to: server)
        }

        func stop() -> Int32 {
            browser.close()
            return server.stop()
        }

        func runs(_ query: String) throws -> [JSONValue] { try server.get("/api/flow-runs?limit=500&" + query).json["runs"]?.arrayValue ?? [] }

        func ids(_ expression: String, on page: ChromiumPage) throws -> [String] {
            try page.evaluate("[...document.querySelectorAll(\(expression))].map(r => r.dataset.runId)", as: [String].self)
        }

        func screenshot(_ page: ChromiumPage, _ name: String) throws {
            let folder = Paths.root + "/.build/test-artifacts"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try page.screenshot(to: folder + "/" + name)
        }
    }

    @Test func theRunsPageShowsTheRealRunsFirstAndTheUpcomingOnesApart() async throws {
        let running = try await Running(self)
        try #require(running.real.count == 2)
        let opened = Date()
        let page = try running.browser.open(running.server.baseURL + "/#/runs")
        try page.waitFor(##"document.body.dataset.ready === "runs" && document.querySelectorAll("#upcoming-runs tr[data-run-id]").length === 10"##, timeout: 60)

        // Both tables as they are at one moment (live events may change them between two looks).
        struct Tables: Decodable {
            var past: [String]
            var pastTimes: [Double]
            var upcoming: [String]
            var upcomingTimes: [String]
        }
        let tables = try page.evaluate(
            ##"""
            ({ past: [...document.querySelectorAll("#past-runs tr[data-run-id]")].map(r => r.dataset.runId),
               pastTimes: [...document.querySelectorAll("#past-runs time")].map(t => Date.parse(t.getAttribute("datetime"))),
               upcoming: [...document.querySelectorAll("#upcoming-runs tr[data-run-id]")].map(r => r.dataset.runId),
               upcomingTimes: [...document.querySelectorAll("#upcoming-runs time")].map(t => t.getAttribute("datetime")) })
            """##, as: Tables.self)
        let (past, upcoming) = (tables.past, tables.upcoming)
        #expect(Set(running.real).isSubset(of: Set(past)), "\(past)")
        // Above the real runs sit only runs of the schedules that started or fell due since.
        let lastReal = past.lastIndex { running.real.contains($0) } ?? past.count
        let firstRealStart = try running.real.compactMap { id in
            try running.server.get("/api/flow-runs/\(id)").json["startTime"]?.stringValue.flatMap(Timestamps.parse)
        }.min() ?? .distantFuture
        for id in past.prefix(lastReal) where !running.real.contains(id) {
            let run = try running.server.get("/api/flow-runs/\(id)").json
            let at = (run["startTime"] ?? run["scheduledTime"])?.stringValue.flatMap(Timestamps.parse) ?? .distantPast
            #expect(run["deployment"] != nil && run["upcoming"] == .bool(false) && at >= firstRealStart, "above the real runs: \(run)")
        }
        let aheadNow = Set(try running.runs("when=upcoming").compactMap { $0["id"]?.stringValue })
        #expect(Set(past).isDisjoint(with: aheadNow), "a run still ahead is among the past ones")
        for id in upcoming {
            let run = try running.server.get("/api/flow-runs/\(id)").json
            let at = run["scheduledTime"]?.stringValue.flatMap(Timestamps.parse) ?? .distantPast
            #expect(at > opened, "listed as upcoming, scheduled before the page opened: \(run)")
        }
        let upcomingTimes = tables.upcomingTimes
        #expect(upcomingTimes.count == 10 && upcomingTimes == upcomingTimes.sorted(), "soonest first: \(upcomingTimes)")
        let pastTimes = tables.pastTimes
        #expect(pastTimes.count == past.count && pastTimes == pastTimes.sorted(by: >), "newest first: \(pastTimes)")
        let order = try page.evaluate(##"document.querySelector("#past-runs").compareDocumentPosition(document.querySelector("#upcoming-runs")) & Node.DOCUMENT_POSITION_FOLLOWING"##) as? Int
        #expect(order == Node.following, "the real runs come before the upcoming ones")
        // Overdue runs read Late.
        let late = try page.evaluate(##"[...document.querySelectorAll("#past-runs tr[data-state-name='Late']")].length"##) as? Int ?? 0
        #expect(late >= 5, "\(late) Late rows")
        #expect(try page.evaluate(##"document.querySelector("#past-runs tr[data-state-name='Late'] .badge").textContent"##) as? String == "Late")
        try running.screenshot(page, "runs-page.png")
        _ = try page.evaluate(##"document.querySelector("#upcoming-runs").scrollIntoView()"##)
        try running.screenshot(page, "runs-page-upcoming.png")

        // All upcoming runs, on a page of their own.
        try page.click("#all-upcoming")
        try page.waitFor(##"document.body.dataset.ready === "runs" && document.querySelector("h1").textContent === "Upcoming runs""##)
        let alone = try running.ids(##""#past-runs tr[data-run-id]""##, on: page)
        #expect(alone.count >= 20 && Set(alone).isDisjoint(with: Set(running.real)), "\(alone.count)")
        #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)")

        // A flow with nothing ahead: the upcoming panel says so, and nothing more.
        let quiet = try running.browser.open(running.server.baseURL + "/#/runs?flow=bench-map")
        try quiet.waitFor(##"document.body.dataset.ready === "runs" && document.querySelector("#upcoming-runs") !== null"##, timeout: 60)
        let panel = try quiet.evaluate(##"document.querySelector("#upcoming-runs").textContent"##) as? String
        #expect(panel?.hasSuffix("Nothing is scheduled ahead.") == true && panel?.contains("null") == false, "\(panel ?? "")")
        #expect(running.stop() == 0)
    }

    @Test func theDashboardCountsTheRunsThatHappenedAndShowsUpcomingAndLateOnesApart() async throws {
        let running = try await Running(self)
        let page = try running.browser.open(running.server.baseURL + "/#/")
        // The page shows what the API counts when nothing changed while it loaded (a fire of the
        // one-minute schedule may run in between: then look again).
        var shown = -1
        var counted = -2
        for _ in 0..<5 where shown != counted {
            let first = try running.server.get("/api/dashboard").json
            try page.navigate(running.server.baseURL + "/?load=\(UUID().uuidString)#/")
            try page.waitFor(##"document.body.dataset.ready === "dashboard" && document.querySelector("#tile-total")"##, timeout: 60)
            shown = Int(try page.evaluate(##"document.querySelector("#tile-total .tile-n").textContent"##) as? String ?? "") ?? -1
            let second = try running.server.get("/api/dashboard").json
            let totals = [first, second].map { ($0["countsByState"]?.objectValue ?? [:]).values.compactMap(\.intValue).reduce(0, +) }.map(Int.init)
            counted = totals[0] == totals[1] ? totals[0] : -2
        }
        #expect(shown == counted, "the page shows \(shown), the API counts \(counted)")
        // Two real runs, the overdue runs (about nine), what the schedule ran meanwhile; not the hour ahead.
        #expect(shown >= 2 + 5 && shown < 30, "\(shown)")
        let ahead = Int(try page.evaluate(##"document.querySelector("#upcoming-count").textContent"##) as? String ?? "") ?? 0
        #expect(ahead >= 20, "\(ahead) upcoming")
        #expect(try page.evaluate(##"document.querySelectorAll("#upcoming tr[data-run-id]").length"##) as? Int == 10)
        let lateRows = try page.evaluate(##"[...document.querySelectorAll("tr[data-state-name='Late']")].length"##) as? Int ?? 0
        #expect(lateRows >= 5, "\(lateRows) late runs shown")
        try running.screenshot(page, "dashboard.png")
        _ = try page.evaluate(##"document.querySelector("#upcoming").scrollIntoView()"##)
        try running.screenshot(page, "dashboard-upcoming.png")

        // A flow's page: its recent runs, and its upcoming ones apart.
        try page.navigate(running.server.baseURL + "/#/flows/hello")
        try page.waitFor(##"document.body.dataset.ready === "flow" && document.querySelectorAll("#flow-upcoming tr[data-run-id]").length === 5"##, timeout: 60)
        let recent = try page.evaluate(##"[...document.querySelectorAll("tr[data-run-id]")].filter(r => !r.closest("#flow-upcoming")).map(r => r.dataset.runId)"##, as: [String].self)
        #expect(Set(running.real).isSubset(of: Set(recent)), "\(recent)")
        let aheadNow = Set(try running.runs("when=upcoming&flow=hello").compactMap { $0["id"]?.stringValue })
        #expect(Set(recent).isDisjoint(with: aheadNow))
        _ = try page.evaluate(##"document.querySelector("#flow-upcoming").scrollIntoView()"##)
        try running.screenshot(page, "flow-page-upcoming.png")
        #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)")
        #expect(running.stop() == 0)
    }
}

private enum Node {
    /// `Node.DOCUMENT_POSITION_FOLLOWING`.
    static let following = 4
}
