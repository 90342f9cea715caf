import BatonCore
import Foundation
import Testing

/// Flow runs through the API, executed by the server's built-in worker: created with parameters,
/// listed, shown, and inspected (states, task runs, graph, logs, subflows).
@Suite(.timeLimit(.minutes(20)))
struct ServerRunTests {
    @Test func aRunIsCreatedWithItsDefaultsFilledInAndShownByIdPrefixAndName() async throws {
        let server = try await ServerProcess.withFixtures()
        let created = try server.post("/api/flow-runs", #"{"flow": "echo", "parameters": {"name": "api", "count": 2}}"#)
        #expect(created.status == 201, "\(created)")
        let run = created.json
        #expect(run["flow"] == .string("echo"))
        #expect(run["version"] == .int(1))
        #expect(run["state"] == .string("scheduled"))
        #expect(run["attempt"] == .int(1))
        #expect(run["pool"] == .string("default"))
        let parameters = try #require(run["parameters"]?.objectValue)
        #expect(parameters["name"] == .string("api"))
        #expect(parameters["count"] == .int(2))
        #expect(parameters["ratio"] == .double(0.5), "defaults are filled in")
        #expect(parameters["enabled"] == .bool(true))
        #expect(parameters["tags"] == .array([.string("a"), .string("b")]))
        #expect(parameters["mode"] == .string("fast"))
        #expect(parameters["window"] == .object(["from": .int(1), "to": .int(10)]))
        #expect(Set(parameters.keys) == ["name", "count", "ratio", "enabled", "tags", "limit", "mode", "window", "since"])

        let id = try #require(run["id"]?.stringValue)
        let name = try #require(run["name"]?.stringValue)
        let done = try await server.finished(id)
        #expect(done["state"] == .string("completed"), "\(done)")
        #expect(done["result"]?["greeting"] == .string("hello api, hello api"))
        #expect(done["result"]?["params"]?["count"] == .int(2))
        #expect(done["workerID"]?.stringValue?.isEmpty == false)
        try server.expectHistory(id, ["Scheduled", "Pending", "Running", "Completed"])

        for reference in [id, String(id.prefix(8)), name] {
            let shown = try server.get("/api/flow-runs/\(reference)")
            #expect(shown.status == 200, "\(reference): \(shown)")
            #expect(shown.json["id"] == .string(id), "\(reference)")
        }
        let states = try server.get("/api/flow-runs/\(id)/states").json["states"]?.arrayValue ?? []
        let times = states.compactMap { $0["timestamp"]?.stringValue }
        #expect(times.count == 4 && times == times.sorted(), "oldest first: \(times)")
        #expect(states.map { $0["type"] } == ["scheduled", "pending", "running", "completed"].map(JSONValue.string))
        #expect(try server.get("/api/flow-runs/\(id)/subflows").json == .object(["runs": .array([])]))
        #expect(server.stop() == 0)
    }

    @Test func taskRunsCarryTheirHistoriesAndInputs() async throws {
        let server = try await ServerProcess.withFixtures()
        let id = try server.createRun(#"{"flow": "flaky", "parameters": {"failures": 1}}"#)["id"]?.stringValue ?? ""
        #expect(try await server.finished(id)["state"] == .string("completed"))
        let reply = try server.get("/api/flow-runs/\(id)/task-runs")
        #expect(reply.status == 200)
        let taskRuns = reply.json["taskRuns"]?.arrayValue ?? []
        #expect(taskRuns.count == 1)
        let step = try #require(taskRuns.first)
        #expect(step["name"] == .string("flaky-step-0"))
        #expect(step["taskName"] == .string("flaky-step"))
        #expect(step["flowRunID"] == .string(id))
        #expect(step["attempts"] == .int(2))
        #expect(step["history"]?.stateNames == ["Pending", "Running", "AwaitingRetry", "Retrying", "Completed"])
        #expect(step["history"]?.arrayValue?[2]["message"]?.stringValue?.contains("planned failure 1 of 1") == true)

        let one = try server.get("/api/task-runs/\(step["id"]?.stringValue ?? "")")
        #expect(one.status == 200, "\(one)")
        #expect(one.json["id"] == step["id"])
        #expect(one.json["result"] == .int(2), "succeeded on its second attempt")
        #expect(one.json["input"] != nil)
        #expect(one.json["history"]?.stateNames == step["history"]?.stateNames)
        #expect(try server.get("/api/flow-runs/\(id)/task-runs?limit=1").json["taskRuns"]?.arrayValue?.count == 1)
        let missing = try server.get("/api/task-runs/nothing")
        #expect(missing.status == 404 && missing.error == "not_found", "\(missing)")
        #expect(server.stop() == 0)
    }

    @Test func theGraphOfAFlowThatPassesFuturesLinksItsNodes() async throws {
        let server = try await ServerProcess.withFixtures()
        let id = try server.createRun(#"{"flow": "graph"}"#)["id"]?.stringValue ?? ""
        let done = try await server.finished(id)
        #expect(done["result"] == .string("total 25"), "\(done)")
        let graph = try server.get("/api/flow-runs/\(id)/graph")
        #expect(graph.status == 200)
        let nodes = graph.json["nodes"]?.arrayValue ?? []
        let edges = graph.json["edges"]?.arrayValue ?? []
        #expect(graph.json["truncated"] == .bool(false))
        let byName = Dictionary(uniqueKeysWithValues: nodes.compactMap { node in node["name"]?.stringValue.map { ($0, node["id"]?.stringValue ?? "") } })
        #expect(Set(byName.keys) == ["square-0", "square-1", "combine-0", "describe-0", "audit-0"], "\(nodes)")
        #expect(nodes.allSatisfy { $0["state"] == .string("completed") })
        let ids = Set(byName.values)
        #expect(!edges.isEmpty)
        for edge in edges {
            #expect(ids.contains(edge["from"]?.stringValue ?? ""), "edge from a node: \(edge)")
            #expect(ids.contains(edge["to"]?.stringValue ?? ""), "edge to a node: \(edge)")
        }
        let pairs = Set(edges.map { "\(name(of: $0["from"], in: byName))->\(name(of: $0["to"], in: byName))" })
        #expect(pairs.contains("combine-0->describe-0"), "a future passed as an argument: \(pairs)")
        #expect(pairs.isSuperset(of: ["square-0->audit-0", "square-1->audit-0"]), "waitFor: \(pairs)")
        let truncated = try server.get("/api/flow-runs/\(id)/graph?limit=2")
        #expect(truncated.json["nodes"]?.arrayValue?.count == 2)
        #expect(truncated.json["truncated"] == .bool(true))
        #expect(server.stop() == 0)
    }

    private func name(of id: JSONValue?, in nodes: [String: String]) -> String {
        nodes.first { $0.value == id?.stringValue }?.key ?? "?"
    }

    @Test func logsArePagedAfterAnIdAndFilteredByLevel() async throws {
        let server = try await ServerProcess.withFixtures()
        let id = try server.createRun(#"{"flow": "echo"}"#)["id"]?.stringValue ?? ""
        #expect(try await server.finished(id)["state"] == .string("completed"))
        let all = try server.get("/api/flow-runs/\(id)/logs")
        #expect(all.status == 200)
        let lines = all.json["logs"]?.arrayValue ?? []
        let messages = lines.compactMap { $0["message"]?.stringValue }
        #expect(messages.contains("debug line") && messages.contains("warning line") && messages.contains("printed by the flow body"), "\(messages)")
        #expect(lines.allSatisfy { $0["flowRunID"] == .string(id) })
        let lineIDs = lines.compactMap { $0["id"]?.intValue }
        #expect(lineIDs == lineIDs.sorted() && lineIDs.count >= 3)

        // Two at a time, each page after the last one's position.
        var paged: [Int64] = []
        var after: Int64 = 0
        for _ in 0..<lines.count + 1 {
            let page = try server.get("/api/flow-runs/\(id)/logs?after=\(after)&limit=2")
            let pageIDs = page.json["logs"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
            if pageIDs.isEmpty {
                #expect(page.json["nextAfter"]?.intValue == after, "an empty page stays where it was")
                break
            }
            #expect(pageIDs.count <= 2)
            paged += pageIDs
            after = page.json["nextAfter"]?.intValue ?? -1
            #expect(after == pageIDs.last)
        }
        #expect(paged == lineIDs, "every line once, in order")

        let warnings = try server.get("/api/flow-runs/\(id)/logs?level=warning").json["logs"]?.arrayValue ?? []
        let warningMessages = warnings.compactMap { $0["message"]?.stringValue }
        #expect(warningMessages.contains("warning line"))
        #expect(warnings.allSatisfy { ["warning", "error"].contains($0["level"]?.stringValue ?? "") }, "\(warnings)")
        let upper = try server.get("/api/flow-runs/\(id)/logs?level=WARNING").json["logs"]?.arrayValue ?? []
        #expect(upper == warnings, "the level is case-insensitive")
        let debug = try server.get("/api/flow-runs/\(id)/logs?level=debug").json["logs"]?.arrayValue ?? []
        #expect(debug.count == lines.count)
        #expect(lines.first { $0["message"] == .string("debug line") }?["level"] == .string("debug"))
        #expect(server.stop() == 0)
    }

    @Test func runsAreListedNewestFirstAndPagedByCursorWithEachFilter() async throws {
        let server = try await ServerProcess.withFixtures()
        var hello: [String] = []
        for _ in 0..<7 { hello.append(try server.createRun(#"{"flow": "hello"}"#)["id"]?.stringValue ?? "") }
        for id in hello { #expect(try await server.finished(id)["state"] == .string("completed")) }

        // Seven runs, three a page: 3, 3, 1, newest first by start time, each once.
        var seen: [JSONValue] = []
        var cursor: String?
        var pages: [Int] = []
        repeat {
            let page = try server.get("/api/flow-runs?flow=hello&limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""))
            #expect(page.status == 200, "\(page)")
            let runs = page.json["runs"]?.arrayValue ?? []
            pages.append(runs.count)
            seen += runs
            cursor = page.json["nextCursor"]?.stringValue
        } while cursor != nil && pages.count < 10
        #expect(pages == [3, 3, 1])
        let seenIDs = seen.compactMap { $0["id"]?.stringValue }
        #expect(seenIDs.count == 7 && Set(seenIDs) == Set(hello), "every run once")
        let started = seen.compactMap { $0["startTime"]?.stringValue }
        #expect(started.count == 7 && started == started.sorted(by: >), "newest first by start time")
        let unpaged = try server.get("/api/flow-runs?flow=hello").json
        #expect(unpaged["runs"]?.arrayValue?.count == 7)
        #expect(unpaged["nextCursor"] == nil, "no next page when the page is not full")

        // A failed run, a run of version 2, and a deployment's run.
        let failed = try server.createRun(#"{"flow": "flaky", "parameters": {"failures": 5}}"#)["id"]?.stringValue ?? ""
        #expect(try await server.finished(failed)["state"] == .string("failed"))
        let upload = try server.upload(try await fixtureBytes(padded: true), fileName: "libFixtureFlows.so")
        #expect(upload.status == 201, "\(upload)")
        let second = try server.createRun(#"{"flow": "hello"}"#)
        #expect(second["version"] == .int(2))
        let secondID = second["id"]?.stringValue ?? ""
        try await server.finished(secondID)
        #expect(try server.post("/api/deployments", #"{"flow": "hello", "name": "manual"}"#).status == 201)
        let deployed = try server.post("/api/deployments/manual/run")
        #expect(deployed.status == 201, "\(deployed)")
        let deployedID = deployed.json["id"]?.stringValue ?? ""
        try await server.finished(deployedID)

        func ids(_ query: String) throws -> [String] {
            let reply = try server.get("/api/flow-runs?\(query)")
            #expect(reply.status == 200, "\(query): \(reply)")
            return reply.json["runs"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        }
        #expect(try ids("flow=flaky") == [failed])
        #expect(try ids("flow=nothing") == [])
        #expect(try ids("state=failed") == [failed])
        #expect(try ids("state=FAILED") == [failed])
        #expect(Set(try ids("state=completed")) == Set(hello + [secondID, deployedID]))
        #expect(try ids("flow=hello&version=2") == [deployedID, secondID])
        #expect(try ids("flow=hello&version=1") == seenIDs)
        #expect(try ids("deployment=manual") == [deployedID])
        #expect(try ids("deployment=other") == [])

        // since is inclusive, until exclusive, both on the time runs are listed by (their start).
        let failedAt = try server.get("/api/flow-runs/\(failed)").json["startTime"]?.stringValue ?? ""
        let encoded = failedAt.replacingOccurrences(of: "+", with: "%2B")
        #expect(try ids("since=\(encoded)") == [deployedID, secondID, failed])
        #expect(try ids("until=\(encoded)") == seenIDs)
        #expect(try ids("since=\(encoded)&until=\(encoded)") == [])
        #expect(try ids("flow=hello&since=\(encoded)&limit=1") == [deployedID])
        #expect(server.stop() == 0)
    }

    @Test func aSubflowRunIsListedUnderItsParent() async throws {
        let server = try await ServerProcess.withFixtures()
        let id = try server.createRun(#"{"flow": "parent-flow"}"#)["id"]?.stringValue ?? ""
        let done = try await server.finished(id)
        #expect(done["result"] == .int(17), "\(done)")
        let subflows = try server.get("/api/flow-runs/\(id)/subflows").json["runs"]?.arrayValue ?? []
        #expect(subflows.count == 1)
        #expect(subflows.first?["flow"] == .string("child-flow"))
        #expect(subflows.first?["parentFlowRunID"] == .string(id))
        #expect(subflows.first?["parameters"]?["x"] == .int(4))
        #expect(subflows.first?["state"] == .string("completed"))
        let node = try server.get("/api/flow-runs/\(id)/graph").json["nodes"]?.arrayValue?.first
        #expect(node?["kind"] == .string("subflow"))
        #expect(node?["childFlowRunID"] == subflows.first?["id"])
        #expect(server.stop() == 0)
    }
}
