import BatonCore
import BatonSchedule
import BatonServices
import BatonStore
import Foundation
import Testing

/// `baton run ls` after the quickstart's situation: a few real runs among many runs a one-minute
/// schedule made ahead. By default it lists the runs that happened, newest first by start time;
/// `--upcoming` the ones ahead, soonest first; overdue scheduled runs read as Late even when no
/// scheduler runs. The same through a server (`--api`).
@Suite(.timeLimit(.minutes(20)))
struct RunListingTests: StoreWatching {
    /// A listing's time of a run as `--json` and the API print it.
    static func listTime(_ run: JSONValue) -> Date? {
        let text = run["startTime"]?.stringValue ?? run["scheduledTime"]?.stringValue ?? run["createdAt"]?.stringValue
        return text.flatMap(Timestamps.parse)
    }

    static func scheduledTime(_ run: JSONValue) -> Date? { run["scheduledTime"]?.stringValue.flatMap(Timestamps.parse) }

    static func ids(_ runs: [JSONValue]) -> [String] { runs.compactMap { $0["id"]?.stringValue } }

    /// Expects `runs` (a default listing made between `before` and `after`) to hold no run scheduled
    /// ahead, newest first by start time.
    static func expectPast(_ runs: [JSONValue], after: Date, _ comment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for run in runs {
            #expect(run["upcoming"] == .bool(false), "\(comment): \(run)", sourceLocation: sourceLocation)
            if run["state"] == .string("scheduled"), run["startTime"] == nil || run["startTime"] == .null {
                #expect((scheduledTime(run) ?? .distantFuture) <= after, "\(comment): a run ahead is listed: \(run)", sourceLocation: sourceLocation)
            }
        }
        let times = runs.compactMap(listTime)
        #expect(times.count == runs.count && times == times.sorted(by: >), "\(comment): not newest first: \(times)", sourceLocation: sourceLocation)
    }

    /// Expects `runs` (an `--upcoming` listing made after `before`) to hold only runs scheduled ahead,
    /// soonest first.
    static func expectUpcoming(_ runs: [JSONValue], before: Date, _ comment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for run in runs {
            #expect(run["upcoming"] == .bool(true) && run["state"] == .string("scheduled"), "\(comment): \(run)", sourceLocation: sourceLocation)
            #expect((scheduledTime(run) ?? .distantPast) > before, "\(comment): not ahead: \(run)", sourceLocation: sourceLocation)
        }
        let times = runs.compactMap(scheduledTime)
        #expect(times.count == runs.count && times == times.sorted(), "\(comment): not soonest first: \(times)", sourceLocation: sourceLocation)
    }

    @Test func aOneMinuteScheduleFillsTheUpcomingListWhileRunLsShowsTheRealRunsNewestFirst() async throws {
        let sandbox = try await registered()
        let server = try await ServerProcess.start(sandbox)
        let api = server.remote
        let created = try sandbox.baton("deployment", "create", "hello", "--name", "minutely", "--interval", "60", environment: api)
        #expect(created.status == 0, "\(created.stderr)")
        var real: [String] = []
        for _ in 0..<3 {
            let run = try sandbox.baton("run", "hello", "--json", environment: api)
            #expect(run.status == 0, "\(run.stderr)")
            real += run.json["id"]?.stringValue.map { [$0] } ?? []
        }
        try #require(real.count == 3)
        // The scheduler has made the next hour of runs (at least 20 are ahead).
        let filled = try waitUntil(sandbox) { store in try store.flowRuns(FlowRunQuery(deployment: "minutely", when: .upcoming, limit: 100)).count >= 20 }
        #expect(filled, "the scheduler made no runs ahead: \(server.output.suffix(2000))")

        for (side, environment) in [("local", [String: String]()), ("--api", api)] {
            let before = Date()
            let past = try sandbox.baton("run", "ls", "--json", environment: environment)
            let upcoming = try sandbox.baton("run", "ls", "--upcoming", "--json", "--limit", "100", environment: environment)
            let after = Date()
            #expect(past.status == 0 && upcoming.status == 0, "\(side): \(past.stderr) \(upcoming.stderr)")
            let pastRuns = past.json.arrayValue ?? []
            let upcomingRuns = upcoming.json.arrayValue ?? []
            // The real runs are all in the first page of 20, which no run ahead takes a row of.
            #expect(Set(real).isSubset(of: Set(Self.ids(pastRuns))), "\(side): \(Self.ids(pastRuns))")
            Self.expectPast(pastRuns, after: after, side)
            #expect(upcomingRuns.count >= 20, "\(side): \(upcomingRuns.count) upcoming")
            Self.expectUpcoming(upcomingRuns, before: before, side)
            #expect(upcomingRuns.allSatisfy { $0["deployment"] == .string("minutely") && $0["stateName"] == .string("Scheduled") })
            #expect(Set(Self.ids(pastRuns)).isDisjoint(with: Self.ids(upcomingRuns)))

            let text = try sandbox.baton("run", "ls", environment: environment)
            #expect(text.status == 0)
            let lines = text.stdout.split(separator: "\n")
            #expect(lines.first?.hasPrefix("ID ") == true && lines.first?.contains("START") == true, "\(side): \(text.stdout)")
            #expect(text.stdout.contains("`baton run ls --upcoming` lists them"), "\(side): \(text.stdout)")
            let ahead = try sandbox.baton("run", "ls", "--upcoming", "--limit", "3", environment: environment)
            #expect(ahead.stdout.split(separator: "\n").first?.contains("SCHEDULED") == true, "\(side): \(ahead.stdout)")
            #expect(ahead.stdout.split(separator: "\n").count == 4, "\(side): a header and 3 runs: \(ahead.stdout)")

            // The options of before still narrow either list.
            let twoOfHello = try sandbox.baton("run", "ls", "--flow", "hello", "--limit", "2", "--json", environment: environment).json.arrayValue ?? []
            #expect(twoOfHello.count == 2 && twoOfHello.allSatisfy { $0["flow"] == .string("hello") && $0["upcoming"] == .bool(false) })
            let completed = try sandbox.baton("run", "ls", "--state", "completed", "--json", environment: environment).json.arrayValue ?? []
            #expect(Set(real).isSubset(of: Set(Self.ids(completed))) && completed.allSatisfy { $0["state"] == .string("completed") })
            let ofDeployment = try sandbox.baton("run", "ls", "--deployment", "minutely", "--upcoming", "--limit", "5", "--json", environment: environment)
            #expect(ofDeployment.json.arrayValue?.count == 5)
            let both = try sandbox.baton("run", "ls", "--all", "--limit", "1000", "--json", environment: environment).json.arrayValue ?? []
            #expect(Set(Self.ids(both)).isSuperset(of: real) && both.count >= pastRuns.count + 20, "\(side): --all lists both")
            let clash = try sandbox.baton("run", "ls", "--upcoming", "--all", environment: environment)
            #expect(clash.status == 2 && clash.stderr.contains("--upcoming and --all cannot go together") && clash.stderr.split(separator: "\n").count == 1, "\(clash.stderr)")
        }

        // The API: past by default, upcoming on request, a clear refusal of anything else.
        let before = Date()
        let byDefault = try server.get("/api/flow-runs?limit=500").json["runs"]?.arrayValue ?? []
        let explicit = try server.get("/api/flow-runs?when=past&limit=500").json["runs"]?.arrayValue ?? []
        let ahead = try server.get("/api/flow-runs?when=upcoming&limit=500").json["runs"]?.arrayValue ?? []
        Self.expectPast(byDefault, after: Date(), "API")
        #expect(Set(real).isSubset(of: Set(Self.ids(byDefault))) && Set(real).isSubset(of: Set(Self.ids(explicit))))
        Self.expectUpcoming(ahead, before: before, "API")
        #expect(ahead.count >= 20)
        // Paging the upcoming runs five at a time goes on from each page's last run: soonest first, none twice.
        var paged: [JSONValue] = []
        var cursor: String?
        repeat {
            let page = try server.get("/api/flow-runs?when=upcoming&limit=5" + (cursor.map { "&cursor=\($0)" } ?? "")).json
            paged += page["runs"]?.arrayValue ?? []
            cursor = page["nextCursor"]?.stringValue
        } while cursor != nil && paged.count < 40
        #expect(paged.count >= 20 && Set(Self.ids(paged)).count == paged.count)
        let pagedTimes = paged.compactMap(Self.scheduledTime)
        #expect(pagedTimes == pagedTimes.sorted() && pagedTimes.count == paged.count)
        let refused = try server.get("/api/flow-runs?when=soon")
        #expect(refused.status == 400 && refused.field == "when" && refused.message.contains("expected one of past, upcoming, all"), "\(refused)")

        // The dashboard counts the runs that happened, and the runs ahead apart.
        let dashboard = try server.get("/api/dashboard").json
        let counted = (dashboard["countsByState"]?.objectValue ?? [:]).values.compactMap(\.intValue).reduce(0, +)
        #expect(counted >= 3 && counted < 20, "\(dashboard["countsByState"] ?? .null)")
        #expect((dashboard["upcomingCount"]?.intValue ?? 0) >= 20)
        #expect(dashboard["upcomingRuns"]?.arrayValue?.count == 10)
        #expect(server.stop() == 0)
    }

    @Test func overdueScheduledRunsReadAsLateWhenNoSchedulerRuns() async throws {
        let sandbox = try await registered()
        // A one-minute schedule whose scheduler ran ten minutes ago and stopped; its pool has no
        // worker, so no run of it starts.
        let store = try SQLiteStore(home: BatonHome(path: sandbox.home))
        let then = Date(timeIntervalSince1970: floor(Date().timeIntervalSince1970) - 600)
        let fires = (1...60).map { then.addingTimeInterval(Double($0) * 60) }
        /// How many fire times `condition` holds for at the two ends of a command.
        func between(_ before: Date, _ after: Date, _ condition: (Date, Date) -> Bool) -> ClosedRange<Int> {
            fires.filter { condition($0, before) }.count...fires.filter { condition($0, after) }.count
        }
        _ = try Services(store: store, home: BatonHome(path: sandbox.home), options: ServiceOptions(now: { then })).deployments.create(
            NewDeployment(
                name: "stalled", flow: "hello", schedule: ScheduleSpec(kind: "interval", intervalSeconds: 60, anchor: then), pool: "elsewhere"),
            .storeOwner())
        _ = try Scheduler(store: store).pass(now: then)
        for _ in 0..<2 { #expect(try sandbox.baton("run", "hello").status == 0) }

        let before = Date()
        let listed = try sandbox.baton("run", "ls", "--json", "--limit", "100")
        let after = Date()
        let runs = listed.json.arrayValue ?? []
        let ofDeployment = runs.filter { $0["deployment"] == .string("stalled") }
        // Fire times up to now are listed; those more than a minute old read Late.
        #expect(between(before, after) { fire, now in fire <= now }.contains(ofDeployment.count), "\(ofDeployment.count)")
        let late = ofDeployment.filter { $0["stateName"] == .string("Late") }
        let lateCount = between(before, after) { fire, now in now.timeIntervalSince(fire) > 60 }
        #expect(lateCount.contains(late.count) && late.count >= 8, "\(ofDeployment.map { "\($0["scheduledTime"] ?? .null) \($0["stateName"] ?? .null)" })")
        #expect(late.allSatisfy { $0["state"] == .string("scheduled") && ($0["message"]?.stringValue ?? "").contains("not started within 60 s") })
        #expect(ofDeployment.filter { $0["stateName"] != .string("Late") }.allSatisfy {
            $0["stateName"] == .string("Scheduled") && (Self.scheduledTime($0) ?? .distantPast) >= before.addingTimeInterval(-61)
        })
        Self.expectPast(runs, after: after, "local")
        // The real runs started after every Late run's time: they come before them.
        let realIndexes = runs.indices.filter { runs[$0]["deployment"] == nil }
        let lateIndexes = runs.indices.filter { runs[$0]["stateName"] == .string("Late") }
        #expect(realIndexes.count == 2 && (realIndexes.max() ?? Int.max) < (lateIndexes.min() ?? -1), "\(realIndexes) \(lateIndexes)")

        let text = try sandbox.baton("run", "ls", "--deployment", "stalled")
        #expect(text.stdout.contains("Late"), "\(text.stdout)")
        let lateID = try #require(late.first?["id"]?.stringValue)
        let shown = try sandbox.baton("run", "show", lateID)
        #expect(shown.stdout.contains("Late: not started within 60 s"), "\(shown.stdout)")
        let aheadFrom = Date()
        let upcoming = try sandbox.baton("run", "ls", "--upcoming", "--json", "--limit", "100").json.arrayValue ?? []
        let aheadCount = between(Date(), aheadFrom) { fire, now in fire > now }
        #expect(aheadCount.contains(upcoming.count) && upcoming.allSatisfy { $0["stateName"] == .string("Scheduled") }, "\(upcoming.count)")

        // Through a server (whose scheduler records them Late in their history), the same runs read Late.
        let server = try await ServerProcess.start(sandbox)
        let remote = try sandbox.baton("run", "ls", "--deployment", "stalled", "--json", "--limit", "100", environment: server.remote)
        let lateThere = (remote.json.arrayValue ?? []).filter { $0["stateName"] == .string("Late") }
        #expect(Set(Self.ids(late)).isSubset(of: Set(Self.ids(lateThere))), "\(remote.stdout.prefix(2000))")
        let dashboard = try server.get("/api/dashboard").json
        #expect(Set(Self.ids(late)).isSubset(of: Set(Self.ids(dashboard["lateRuns"]?.arrayValue ?? []))))
        #expect(server.stop() == 0)
    }
}
