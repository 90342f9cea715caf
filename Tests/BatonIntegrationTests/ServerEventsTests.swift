import BatonCore
import BatonHTTP
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Live events at `/api/events`: a subscriber sees a run through to its final state, its logs and
/// task runs, and new versions; `?flowRun=` keeps other runs' logs and task runs out.
///
/// A test knows it has seen everything it waits for by uploading a library afterwards: the `version`
/// event comes from a later pass over the store than anything written before the upload.
@Suite(.timeLimit(.minutes(20)))
struct ServerEventsTests {
    /// Whether `names` appear in `order`, in that order, possibly with some left out.
    func isOrderedSubset(_ names: [String], of order: [String]) -> Bool {
        var rest = order[...]
        for name in names {
            guard let index = rest.firstIndex(of: name) else { return false }
            rest = rest[(index + 1)...]
        }
        return true
    }

    @Test func aSubscriberSeesARunsStatesLogsAndTaskRunsThenANewVersion() async throws {
        let server = try await ServerProcess.withFixtures()
        let padded = try await fixtureBytes(padded: true)
        let created = Locked<APIReply?>(nil)
        let upload = Locked<APIReply?>(nil)
        let events = try await server.events("/api/events", subscribed: { [server] in
            created.value = try server.post("/api/flow-runs", #"{"flow": "echo", "parameters": {"name": "live"}}"#)
            return created.value?.status != 201
        }) { [server] event, _ in
            if event.event == "version" { return true }
            guard upload.value == nil, event.event == "flow_run", let run = try? JSONValue(json: event.data),
                run["id"] == created.value?.json["id"], isFinal(run)
            else { return false }
            upload.value = try server.upload(padded, fileName: "libFixtureFlows.so", label: "live")
            return upload.value?.status != 201
        }
        let id = try #require(created.value?.json["id"]?.stringValue, "\(String(describing: created.value))")
        #expect(upload.value?.status == 201, "\(String(describing: upload.value))")

        let runs = payloads(events, "flow_run").filter { $0["id"] == .string(id) }
        let names = runs.compactMap { $0["stateName"]?.stringValue }
        #expect(isOrderedSubset(names, of: ["Scheduled", "Pending", "Running", "Completed"]), "\(names)")
        #expect(names.last == "Completed")
        #expect(runs.last?["result"]?["greeting"] == .string("hello live, hello live, hello live"))
        #expect(Set(events.compactMap(\.id)).count == events.count, "each event has an id of its own")

        let logs = payloads(events, "log").filter { $0["flowRunID"] == .string(id) }
        let messages = logs.compactMap { $0["message"]?.stringValue }
        #expect(messages.contains("warning line") && messages.contains("debug line"), "\(messages)")
        #expect(logs.first { $0["message"] == .string("warning line") }?["level"] == .string("warning"))

        let batches = payloads(events, "task_runs").filter { $0["flowRunID"] == .string(id) }
        let greets = batches.flatMap { $0["taskRuns"]?.arrayValue ?? [] }.filter { $0["name"] == .string("greet-0") }
        #expect(!greets.isEmpty, "task_runs events: \(batches)")
        #expect(greets.last?["state"] == .string("completed"))
        #expect(greets.last?["history"]?.stateNames == ["Pending", "Running", "Completed"])

        let version = try #require(payloads(events, "version").first)
        #expect(version["version"] == .int(2))
        #expect(version["label"] == .string("live"))
        #expect(server.stop() == 0)
    }

    @Test func followingOneRunLeavesOutTheLogsAndTaskRunsOfOthers() async throws {
        let server = try await ServerProcess.withFixtures()
        // Run A waits in a pool no worker serves yet, so the subscription begins before it starts.
        let followed = try server.createRun(#"{"flow": "echo", "parameters": {"name": "followed"}, "pool": "held"}"#)
        let a = try #require(followed["id"]?.stringValue)
        #expect(followed["pool"] == .string("held"))
        let other = Locked<String?>(nil)
        let worker = Locked<WatchedProcess?>(nil)
        let flushed = Locked(false)
        let padded = try await fixtureBytes(padded: true)
        let events = try await server.events("/api/events?flowRun=\(a)", subscribed: { [server] in
            other.value = try server.post("/api/flow-runs", #"{"flow": "echo", "parameters": {"name": "other"}}"#).json["id"]?.stringValue
            worker.value = try WatchedProcess(server.sandbox, ["worker", "start", "--pool", "held", "--name", "held-worker", "--no-schedule"])
            return other.value == nil
        }) { [server] event, events in
            if event.event == "version" { return true }
            let finished = Set(payloads(events, "flow_run").filter(isFinal).compactMap { $0["id"]?.stringValue })
            guard !flushed.value, finished.contains(a), let b = other.value, finished.contains(b) else { return false }
            flushed.value = true
            _ = try server.upload(padded, fileName: "libFixtureFlows.so")
            return false
        }
        if let worker = worker.value {
            kill(worker.process.processIdentifier, SIGTERM)
            #expect(worker.wait() == 0, "\(worker.output)")
        }
        let b = try #require(other.value)
        #expect(try server.get("/api/flow-runs/\(a)").json["state"] == .string("completed"))
        #expect(try server.get("/api/flow-runs/\(b)").json["state"] == .string("completed"))
        let bLogs = try server.get("/api/flow-runs/\(b)/logs").json["logs"]?.arrayValue ?? []
        #expect(bLogs.contains { $0["message"] == .string("warning line") }, "run B has logs of its own")

        let logs = payloads(events, "log")
        #expect(logs.contains { $0["flowRunID"] == .string(a) && $0["message"] == .string("warning line") }, "\(logs)")
        #expect(logs.allSatisfy { $0["flowRunID"] == .string(a) }, "only the followed run's logs: \(logs)")
        let batches = payloads(events, "task_runs")
        #expect(batches.contains { $0["flowRunID"] == .string(a) })
        #expect(batches.allSatisfy { $0["flowRunID"] == .string(a) }, "only the followed run's task runs")
        // flow_run events of every run still come, as the stream documents.
        #expect(payloads(events, "flow_run").contains { $0["id"] == .string(b) })
        let ran = try server.get("/api/flow-runs/\(a)").json["workerID"]
        #expect(try server.get("/api/workers?all=true").json["workers"]?.arrayValue?.first { $0["id"] == ran }?["name"] == .string("held-worker"))
        #expect(server.stop() == 0)
    }

    @Test func stoppingTheServerEndsItsEventStreams() async throws {
        let server = try await ServerProcess.withFixtures()
        let ended = try await onThread { [server] () throws -> Bool in
            let client = try server.client()
            var sawHello = false
            try client.events("/api/events") { event in
                if event.event == "hello" {
                    sawHello = true
                    server.process.process.terminate()
                }
                return true
            }
            return sawHello
        }
        #expect(ended, "the stream began, then ended with the server")
        // Already told to stop: a second SIGTERM would mean "stop at once" (exit 143).
        #expect(server.process.wait() == 0)
        #expect(server.output.contains("server stopped"))
    }
}
