import BatonCore
import BatonHTTP
import Foundation
import Testing

/// The OpenAPI document against the server that serves it: every documented operation is answered,
/// nothing undocumented is, and every schema reference resolves.
@Suite(.timeLimit(.minutes(20)))
struct ServerOpenAPITests {
    /// A documented path with its parameters filled in with values that match no stored thing.
    func concrete(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") ? "dummy1" : String(segment)
        }.joined(separator: "/")
    }

    @Test func everyDocumentedOperationIsAnsweredAndNoOtherIs() async throws {
        let server = try await ServerProcess.withFixtures()
        let reply = try server.get("/api/openapi.json")
        #expect(reply.status == 200)
        #expect(reply.headers["Content-Type"] == "application/json")
        let document = reply.json
        #expect(document["openapi"]?.stringValue?.hasPrefix("3.1.") == true, "\(document["openapi"] ?? .null)")
        #expect(document["info"]?["title"] != nil)
        let paths = try #require(document["paths"]?.objectValue)
        var operations: Set<String> = []
        var operationIDs: [String] = []
        for (path, item) in paths {
            #expect(path.hasPrefix("/api/") || path == "/metrics", "\(path)")
            for (method, operation) in item.objectValue ?? [:] {
                operations.insert("\(method.uppercased()) \(path)")
                operationIDs.append(operation["operationId"]?.stringValue ?? "")
                // Each path parameter is declared.
                let declared = Set(operation["parameters"]?.arrayValue?.filter { $0["in"] == .string("path") }.compactMap { $0["name"]?.stringValue } ?? [])
                let inPath = Set(path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
                #expect(declared == inPath, "\(method) \(path)")
                #expect(operation["responses"]?.objectValue?.keys.contains { $0.hasPrefix("2") } == true, "\(method) \(path) documents its success")
            }
        }
        #expect(Set(operationIDs).count == operationIDs.count, "operationIds are unique: \(operationIDs.sorted())")
        #expect(operations.count >= 30, "\(operations.sorted())")

        // Each documented operation exists: anything but 405, or a 404 that is not the router's.
        for operation in operations.sorted() {
            let parts = operation.split(separator: " ")
            let (method, path) = (String(parts[0]), String(parts[1]))
            let target = concrete(path)
            if path == "/api/events" {
                let client = try server.client()
                var first: ServerSentEvent?
                try client.events(target) { event in
                    first = event
                    return false
                }
                #expect(first?.event == "hello")
                continue
            }
            let answer = try (method == "GET" || method == "DELETE" ? server.request(method, target) : server.send(method, target, json: "{}"))
            #expect(answer.status != 405, "\(operation) is documented but refused: \(answer)")
            #expect(!(answer.status == 404 && answer.message.hasPrefix("no route")), "\(operation) is documented but has no route: \(answer)")
            #expect(answer.status < 500, "\(operation): \(answer)")
        }

        // On each documented path, the methods allowed are exactly the documented ones (HEAD with GET).
        for (path, item) in paths where path != "/api/events" {
            let documented = Set((item.objectValue ?? [:]).keys.map { $0.uppercased() })
            let answer = try server.request("PATCH", concrete(path))
            #expect(answer.status == 405, "PATCH \(path): \(answer)")
            let allowed = Set((answer.headers["Allow"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(allowed == documented.union(documented.contains("GET") ? ["HEAD"] : []), "\(path): Allow \(allowed), documented \(documented)")
        }

        // Paths that are not documented are not answered.
        for target in ["/api/runs", "/api/flow-runs/a/b/c", "/api/flows/echo/versions/1/diff", "/api/deployment", "/api/health/", "/api/limits"] {
            let answer = try server.request("DELETE", target)
            let documentedPath = paths.keys.contains { concrete($0) == target || $0 == target }
            #expect(answer.status == 404 || answer.status == 405, "DELETE \(target): \(answer)")
            if !documentedPath { #expect(answer.status == 404 && answer.message.hasPrefix("no route"), "\(target): \(answer)") }
        }
        #expect(server.stop() == 0)
    }

    @Test func everySchemaReferenceResolves() async throws {
        let server = try await ServerProcess.start(try Sandbox())
        let document = try server.get("/api/openapi.json").json
        let schemas = try #require(document["components"]?["schemas"]?.objectValue)
        var references: [String] = []
        func collect(_ value: JSONValue) {
            switch value {
            case .object(let object):
                if let reference = object["$ref"]?.stringValue { references.append(reference) }
                object.values.forEach(collect)
            case .array(let items): items.forEach(collect)
            default: break
            }
        }
        collect(document)
        #expect(references.count > 40)
        for reference in Set(references) {
            #expect(reference.hasPrefix("#/components/schemas/"), "\(reference)")
            let name = String(reference.dropFirst("#/components/schemas/".count))
            #expect(schemas[name] != nil, "\(reference) does not resolve")
        }
        // Every schema is an object schema with the properties its `required` names.
        for (name, schema) in schemas {
            let properties = Set(schema["properties"]?.objectValue?.keys.map { $0 } ?? [])
            for required in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                #expect(properties.contains(required), "\(name) requires \(required), which it does not describe")
            }
        }
        #expect(server.stop() == 0)
    }

    @Test func documentedResponsesCarryTheFieldsTheirSchemasRequire() async throws {
        let server = try await ServerProcess.withFixtures()
        let document = try server.get("/api/openapi.json").json
        let schemas = document["components"]?["schemas"]?.objectValue ?? [:]
        let id = try server.createRun(#"{"flow": "echo"}"#)["id"]?.stringValue ?? ""
        try await server.finished(id)
        #expect(try server.post("/api/deployments", #"{"flow": "hello", "name": "d", "interval": 3600}"#).status == 201)
        let samples: [(String, String)] = [
            ("/api/health", "Health"), ("/api/flows", "FlowList"), ("/api/flows/echo", "Flow"),
            ("/api/flows/echo/versions", "VersionList"), ("/api/flows/echo/versions/1", "Version"),
            ("/api/flows/echo/versions/1/diff/1", "VersionDiff"), ("/api/flow-runs", "FlowRunList"),
            ("/api/flow-runs/\(id)", "FlowRun"), ("/api/flow-runs/\(id)/states", "StateList"),
            ("/api/flow-runs/\(id)/task-runs", "TaskRunList"), ("/api/flow-runs/\(id)/graph", "Graph"),
            ("/api/flow-runs/\(id)/logs", "LogList"), ("/api/deployments", "DeploymentList"), ("/api/deployments/d", "Deployment"),
            ("/api/workers", "WorkerList"), ("/api/limits", "LimitList"), ("/api/dashboard", "Dashboard"),
        ]
        for (target, schema) in samples {
            let body = try server.get(target).json
            let required = schemas[schema]?["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(!required.isEmpty, "\(schema)")
            for field in required {
                #expect(body[field] != nil, "\(target) lacks \(field), required by \(schema)")
            }
            // Lists: their items carry what the item schema requires.
            if let listKey = schemas[schema]?["properties"]?.objectValue?.first(where: { $0.value["items"]?["$ref"] != nil }),
                let itemSchema = listKey.value["items"]?["$ref"]?.stringValue?.split(separator: "/").last.map(String.init)
            {
                let itemRequired = schemas[itemSchema]?["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
                for item in body[listKey.key]?.arrayValue ?? [] {
                    for field in itemRequired { #expect(item[field] != nil, "an item of \(target) lacks \(field), required by \(itemSchema)") }
                }
            }
        }
        #expect(server.stop() == 0)
    }
}
