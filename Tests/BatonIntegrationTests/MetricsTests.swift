import BatonCore
import Foundation
import Testing

/// `GET /metrics` in Prometheus's text format, and `--log-format json` on the server and workers.
@Suite(.timeLimit(.minutes(20))) struct MetricsTests {
    /// One sample line: `name{label="value",…} value`.
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// Parses an exposition (format 0.0.4) line by line, recording an issue for every line that is not
    /// a HELP, a TYPE or a valid sample of a metric whose HELP and TYPE came before it.
    static func parse(_ text: String) -> (samples: [Sample], types: [String: String]) {
        let name = #"^[a-zA-Z_:][a-zA-Z0-9_:]*$"#
        let labelName = #"^[a-zA-Z_][a-zA-Z0-9_]*$"#
        var helps: Set<String> = []
        var types: [String: String] = [:]
        var samples: [Sample] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) where !line.isEmpty {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
                #expect(parts.count == 4 && parts[2].range(of: name, options: .regularExpression) != nil, "bad line: \(line)")
                guard parts.count == 4 else { continue }
                if parts[1] == "HELP" {
                    helps.insert(parts[2])
                } else {
                    #expect(["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]), "bad type: \(line)")
                    #expect(parts[3] != "counter" || parts[2].hasSuffix("_total"), "a counter's name must end in _total: \(line)")
                    types[parts[2]] = parts[3]
                }
                continue
            }
            #expect(!line.hasPrefix("#"), "unexpected comment: \(line)")
            var rest = Substring(line)
            let sampleName = String(rest.prefix { $0 != "{" && $0 != " " })
            rest = rest.dropFirst(sampleName.count)
            #expect(sampleName.range(of: name, options: .regularExpression) != nil, "bad metric name: \(line)")
            var labels: [String: String] = [:]
            if rest.first == "{" {
                guard let close = rest.lastIndex(of: "}") else {
                    Issue.record("unclosed labels: \(line)")
                    continue
                }
                let inside = rest[rest.index(after: rest.startIndex)..<close]
                for pair in inside.split(separator: ",") {
                    let pieces = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    #expect(pieces.count == 2 && pieces[0].range(of: labelName, options: .regularExpression) != nil, "bad label: \(line)")
                    #expect(pieces.count == 2 && pieces[1].hasPrefix("\"") && pieces[1].hasSuffix("\""), "bad label value: \(line)")
                    if pieces.count == 2 { labels[pieces[0]] = String(pieces[1].dropFirst().dropLast()) }
                }
                rest = rest[rest.index(after: close)...]
            }
            let valueText = rest.trimmingCharacters(in: .whitespaces)
            let value = valueText == "+Inf" ? Double.infinity : Double(valueText)
            #expect(value != nil, "bad value: \(line)")
            // A histogram's samples are named after it with _bucket, _sum and _count.
            let family = ["_bucket", "_sum", "_count"].compactMap { suffix -> String? in
                guard sampleName.hasSuffix(suffix) else { return nil }
                let base = String(sampleName.dropLast(suffix.count))
                return types[base] == "histogram" ? base : nil
            }.first ?? sampleName
            #expect(helps.contains(family) && types[family] != nil, "sample without HELP and TYPE before it: \(line)")
            samples.append(Sample(name: sampleName, labels: labels, value: value ?? .nan))
        }
        return (samples, types)
    }

    @Test func metricsAreValidPrometheusTextAndCountRunsAsTheAPIDoes() async throws {
        let server = try await ServerProcess.withFixtures()
        var ids: [String] = []
        for flow in ["echo", "echo", "no-params"] {
            ids.append(try server.createRun(#"{"flow": "\#(flow)"}"#)["id"]?.stringValue ?? "")
        }
        for id in ids { try await server.finished(id) }

        let reply = try server.get("/metrics")
        #expect(reply.status == 200)
        #expect(reply.headers["Content-Type"]?.hasPrefix("text/plain; version=0.0.4") == true, "\(reply.headers)")
        let (samples, types) = Self.parse(reply.text)
        #expect(types["baton_flow_runs"] == "gauge")
        #expect(types["baton_task_runs_completed_total"] == "counter")
        #expect(types["baton_http_request_duration_seconds"] == "histogram")

        for state in StateType.allCases {
            let listed = try server.get("/api/flow-runs?state=\(state.rawValue)&limit=500").json["runs"]?.arrayValue?.count ?? -1
            let sample = samples.first { $0.name == "baton_flow_runs" && $0.labels["state"] == state.rawValue }
            #expect(sample?.value == Double(listed), "state \(state.rawValue): metrics \(String(describing: sample?.value)), API \(listed)")
        }
        #expect(samples.first { $0.name == "baton_flow_runs" && $0.labels["state"] == "completed" }?.value == 3)
        #expect((samples.first { $0.name == "baton_task_runs_completed_total" }?.value ?? 0) >= 2)
        #expect(samples.first { $0.name == "baton_workers_live" && $0.labels["pool"] == "default" }?.value == 1)
        #expect((samples.first { $0.name == "baton_store_size_bytes" }?.value ?? 0) > 0)
        #expect(samples.contains { $0.name == "baton_flow_runs_late" })
        let created = samples.first {
            $0.name == "baton_http_request_duration_seconds_count" && $0.labels["route"] == "/api/flow-runs" && $0.labels["method"] == "POST"
                && $0.labels["status"] == "2xx"
        }
        #expect(created?.value == 3)
        // Paths are reported by their route's pattern, never one series per run.
        #expect(samples.contains { $0.labels["route"] == "/api/flow-runs/{id}" })
        #expect(!samples.contains { $0.labels["route"]?.contains(ids[0]) == true })

        let document = try server.get("/api/openapi.json").json
        #expect(document["paths"]?["/metrics"]?["get"]?["responses"]?["200"]?["content"]?["text/plain"] != nil)
        #expect(server.stop() == 0)
    }

    /// Every line parses as one JSON object with the fields log shippers read.
    static func expectJSONLines(_ output: String, component: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = output.split(separator: "\n")
        #expect(!lines.isEmpty, sourceLocation: sourceLocation)
        for line in lines {
            let value = try? JSONValue(json: Data(line.utf8))
            #expect(value?["ts"]?.stringValue.flatMap(Timestamps.parse) != nil, "not a JSON log line: \(line)", sourceLocation: sourceLocation)
            #expect(value?["level"]?.stringValue == "info", "\(line)", sourceLocation: sourceLocation)
            #expect(value?["component"]?.stringValue == component, "\(line)", sourceLocation: sourceLocation)
            #expect(value?["message"]?.stringValue?.isEmpty == false, "\(line)", sourceLocation: sourceLocation)
        }
    }

    @Test func serverLogLinesAreJSONWhenAsked() async throws {
        let sandbox = try Sandbox()
        try #require(try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows")).status == 0)
        let server = try await ServerProcess.start(sandbox, ["--log-format", "json"])
        let id = try server.createRun(#"{"flow": "echo"}"#)["id"]?.stringValue ?? ""
        try await server.finished(id)
        #expect(server.stop() == 0)
        Self.expectJSONLines(server.output, component: "server")
        #expect(server.output.contains("POST /api/flow-runs 201"), "\(server.output)")
        #expect(server.output.contains("server stopped"))
    }

    @Test func workerLogLinesAreJSONWhenAsked() async throws {
        let sandbox = try Sandbox()
        let worker = try WatchedProcess(sandbox, ["worker", "start", "--log-format", "json"])
        #expect(await worker.line(containing: "started") != nil, "\(worker.output)")
        worker.process.terminate()
        #expect(worker.wait() == 0)
        Self.expectJSONLines(worker.output, component: "worker")
    }

    @Test func anUnknownLogFormatIsRefused() throws {
        let result = try Sandbox().baton("worker", "start", "--log-format", "xml")
        #expect(result.status != 0)
        #expect(result.stderr.contains("--log-format 'xml' is not valid: expected text or json"), "\(result.stderr)")
    }
}
