import BatonCore
import BatonHTTP
import BatonStore
import BatonTestSupport
import Foundation
import Testing

@testable import BatonServer

/// The API against its own OpenAPI document, in process: requests generated from the document at
/// its boundaries (each minimum and maximum, each enum value, `latest`) get only statuses the
/// document lists and never a 5xx, and each input broken on purpose (below its minimum, above its
/// maximum, of the wrong type, not one of its words, an empty name, a null field, an unknown field)
/// gets a 4xx the document lists, naming the input.
@Suite struct ContractTests {
    let file: StoreFile
    let api: API
    /// A run, a deployment, a flow and a tag that exist, for the path parameters that name things.
    let known: [String: String]

    init() throws {
        file = try StoreFile()
        let home = BatonHome(path: file.folder)
        let store = try file.open()
        _ = try store.register(sampleRegistration(String(repeating: "c", count: 64), flows: ["etl"]))
        api = API(store: store, home: home, events: try Server.eventHub(store: store, home: home, log: { _ in }), requireCredentials: false, log: { _ in })
        var known = ["flow": "etl", "tag": "db", "name": "nightly"]
        let run = Self.send(api, "POST", "/api/flow-runs", body: #"{"flow": "etl"}"#)
        known["id"] = run.1?["id"]?.stringValue
        #expect(Self.send(api, "POST", "/api/deployments", body: #"{"flow": "etl", "name": "nightly", "interval": 3600}"#).0 == 201)
        #expect(Self.send(api, "PUT", "/api/limits/db", body: #"{"slots": 2}"#).0 == 200)
        self.known = known
    }

    static func send(_ api: API, _ method: String, _ target: String, body: String? = nil) -> (Int, JSONValue?) {
        var headers = HTTPHeaders()
        if body != nil { headers.set("Content-Type", "application/json") }
        let response = api.handle(HTTPRequest(method: method, target: target, headers: headers, body: Array((body ?? "").utf8)))
        guard case .bytes(let bytes) = response.body else { return (response.status.code, nil) }
        return (response.status.code, try? JSONValue(json: bytes))
    }

    // MARK: The document

    struct Operation {
        var method: String
        var path: String
        var parameters: [JSONValue]
        var body: JSONValue?
        var statuses: Set<Int>
    }

    func operations() throws -> [Operation] {
        let document = try #require(Self.send(api, "GET", "/api/openapi.json").1)
        let schemas = document["components"]?["schemas"]?.objectValue ?? [:]
        var operations: [Operation] = []
        for (path, item) in try #require(document["paths"]?.objectValue) {
            for (method, operation) in item.objectValue ?? [:] where path != "/api/events" {
                let responses = operation["responses"]?.objectValue ?? [:]
                #expect(!responses.keys.contains { !$0.allSatisfy(\.isNumber) }, "\(method) \(path) lists a status range: \(responses.keys)")
                var body: JSONValue?
                if let reference = operation["requestBody"]?["content"]?["application/json"]?["schema"]?["$ref"]?.stringValue {
                    body = schemas[String(reference.split(separator: "/").last ?? "")]
                }
                operations.append(Operation(
                    method: method.uppercased(), path: path, parameters: operation["parameters"]?.arrayValue ?? [], body: body,
                    statuses: Set(responses.keys.compactMap { Int($0) })))
            }
        }
        // Deletions last, so that what the other operations name still exists.
        return operations.sorted { ($0.method == "DELETE" ? 1 : 0, $0.path, $0.method) < ($1.method == "DELETE" ? 1 : 0, $1.path, $1.method) }
    }

    /// The values at the edges of what `schema` accepts.
    func boundaries(_ schema: JSONValue) -> [JSONValue] {
        if let alternatives = schema["oneOf"]?.arrayValue { return alternatives.flatMap(boundaries) }
        if let words = schema["enum"]?.arrayValue { return words }
        switch schema["type"]?.stringValue {
        case "integer": return [schema["minimum"], schema["maximum"]].compactMap { $0 }
        case "boolean": return [.bool(true), .bool(false)]
        case "object": return [.object([:])]
        case "array": return [.array([]), .array([schema["items"]?["type"]?.stringValue == "object" ? .object([:]) : .string("a")])]
        case "string":
            if schema["format"]?.stringValue == "date-time" { return [.string("2026-01-01T00:00:00Z")] }
            if schema["pattern"]?.stringValue == InputType.cursorPattern { return [.string("1764936000.25_x")] }
            let shortest = max(Int(schema["minLength"]?.intValue ?? 1), 1)
            var values: [JSONValue] = [.string(String(repeating: "a", count: shortest))]
            if let longest = schema["maxLength"]?.intValue { values.append(.string(String(repeating: "a", count: Int(longest)))) }
            return values
        default: return [.string("a")]
        }
    }

    /// Values `schema` refuses, each with what it is.
    func breaking(_ schema: JSONValue, inBody: Bool) -> [JSONValue] {
        if schema["oneOf"] != nil { return [.int(0), .string("newest")] + (inBody ? [.bool(true)] : []) }
        if schema["enum"] != nil { return [.string("not-one-of-these")] }
        switch schema["type"]?.stringValue {
        case "integer":
            var values: [JSONValue] = [.string("abc")]
            if let minimum = schema["minimum"]?.intValue, minimum > Int64.min { values.append(.int(minimum - 1)) }
            if let maximum = schema["maximum"]?.intValue, maximum < Int64.max { values.append(.int(maximum + 1)) }
            return values + (inBody ? [.double(1.5)] : [])
        case "boolean": return [inBody ? .string("true") : .string("maybe")]
        case "object": return [.array([.int(1)]), .string("x")]
        case "array": return [.array([.int(1)]), .string("x"), .object([:])]
        case "string":
            var values: [JSONValue] = inBody ? [.int(7)] : []
            if schema["format"]?.stringValue == "date-time" { values.append(.string("yesterday")) }
            if schema["pattern"] != nil { values.append(.string("bad value")) }
            if let minimum = schema["minLength"]?.intValue, minimum > 0, inBody { values.append(.string("")) }
            return values
        default: return []
        }
    }

    func text(_ value: JSONValue) -> String {
        let raw = value.stringValue ?? value.jsonText
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "+&=?/")
        return raw.addingPercentEncoding(withAllowedCharacters: allowed) ?? raw
    }

    /// The operation's path with its parameters filled: things that exist where the parameter names
    /// one, else the first boundary of its schema; `override` replaces one.
    func target(_ operation: Operation, override: (String, JSONValue)? = nil, query: [(String, JSONValue)] = []) -> String {
        var path = operation.path
        for parameter in operation.parameters where parameter["in"]?.stringValue == "path" {
            let name = parameter["name"]?.stringValue ?? ""
            let value: JSONValue = override?.0 == name ? override!.1 : known[name].map(JSONValue.string) ?? boundaries(parameter["schema"] ?? .null)[0]
            path = path.replacingOccurrences(of: "{\(name)}", with: text(value))
        }
        return query.isEmpty ? path : path + "?" + query.map { "\($0.0)=\(text($0.1))" }.joined(separator: "&")
    }

    /// The smallest body the schema takes: its required fields, each at its first boundary.
    func baseBody(_ schema: JSONValue?) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        for name in schema?["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            body[name] = known[name].map(JSONValue.string) ?? boundaries(schema?["properties"]?[name] ?? .null)[0]
        }
        return body
    }

    func send(_ operation: Operation, _ target: String, _ body: [String: JSONValue]?) -> (Int, JSONValue?) {
        let json = body.map { JSONValue.object($0).jsonText } ?? (operation.body != nil ? "{}" : nil)
        return Self.send(api, operation.method, target, body: json)
    }

    // MARK: Tests

    @Test func requestsAtTheDocumentsBoundariesGetOnlyStatusesItLists() throws {
        var sent = 0
        for operation in try operations() {
            var requests: [(String, [String: JSONValue]?)] = []
            let base = operation.body.map { baseBody($0) }
            requests.append((target(operation), base))
            for parameter in operation.parameters {
                let name = parameter["name"]?.stringValue ?? ""
                for value in boundaries(parameter["schema"] ?? .null) {
                    requests.append(
                        parameter["in"]?.stringValue == "path"
                            ? (target(operation, override: (name, value)), base) : (target(operation, query: [(name, value)]), base))
                }
            }
            for (name, schema) in operation.body?["properties"]?.objectValue ?? [:] {
                for value in boundaries(schema) {
                    var body = base ?? [:]
                    body[name] = known[name] != nil && value == .string("a") ? .string(known[name]!) : value
                    requests.append((target(operation), body))
                }
            }
            for (target, var body) in requests {
                // Each new deployment gets a name of its own, so that it is made rather than refused as a duplicate.
                if operation.path == "/api/deployments", body?["name"] == .string(known["name"] ?? "") { body?["name"] = .string("d\(sent)") }
                let (status, answer) = send(operation, target, body)
                sent += 1
                #expect(status < 500, "\(operation.method) \(target) \(body.map { JSONValue.object($0).jsonText } ?? ""): \(status) \(answer?.jsonText ?? "")")
                #expect(
                    operation.statuses.contains(status),
                    "\(operation.method) \(target) \(body.map { JSONValue.object($0).jsonText } ?? "") answered \(status), which the document does not list (\(operation.statuses.sorted())): \(answer?.jsonText ?? "")")
            }
        }
        #expect(sent > 100)
    }

    @Test func eachBrokenInputGetsAListed4xxNamingIt() throws {
        var sent = 0
        for operation in try operations() {
            let base = operation.body.map { baseBody($0) }
            var cases: [(String, String, [String: JSONValue]?)] = []
            for parameter in operation.parameters {
                let name = parameter["name"]?.stringValue ?? ""
                for value in breaking(parameter["schema"] ?? .null, inBody: false) {
                    let path = parameter["in"]?.stringValue == "path"
                    if path, value.stringValue?.contains(" ") == true || value.stringValue == "abc" { continue }  // a name; 404 is its answer
                    cases.append((name, path ? target(operation, override: (name, value)) : target(operation, query: [(name, value)]), base))
                }
            }
            if let schema = operation.body {
                var unknown = base ?? [:]
                unknown["unexpectedField"] = .int(1)
                cases.append(("unexpectedField", target(operation), unknown))
                for (name, property) in schema["properties"]?.objectValue ?? [:] {
                    for value in breaking(property, inBody: true) + [.null] {
                        var body = base ?? [:]
                        body[name] = value
                        cases.append((name, target(operation), body))
                    }
                }
            }
            for (input, target, body) in cases {
                let (status, answer) = send(operation, target, body)
                sent += 1
                let request = "\(operation.method) \(target) \(body.map { JSONValue.object($0).jsonText } ?? "")"
                #expect((400..<500).contains(status) && operation.statuses.contains(status), "\(request): \(status) \(answer?.jsonText ?? "")")
                #expect(answer?["field"]?.stringValue == input, "\(request) names \(input): \(answer?.jsonText ?? "")")
            }
        }
        #expect(sent > 80)
    }

    @Test func everyRouteHasAContractDeclaringTheQueryItReads() {
        for route in api.routes {
            let contract = Contracts.contract(route.method, route.pattern)
            #expect(contract != nil, "\(route.method) \(route.pattern)")
            let declared = Set(contract?.inputs.filter { $0.location == .query }.map(\.name) ?? [])
            #expect(declared == Set(route.query), "\(route.method) \(route.pattern): the contract declares \(declared.sorted()), the handler reads \(route.query)")
            let inPath = Set(route.pattern.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
            #expect(Set(contract?.inputs.filter { $0.location == .path }.map(\.name) ?? []) == inPath, "\(route.pattern)")
        }
        #expect(Contracts.all.count == api.routes.count, "no contract for a route that is gone")
    }

    @Test func namesFollowTheRuleTheDocumentShows() {
        // The pattern the document shows for a deployment or pool name is DeploymentNames' rule.
        for (name, valid) in [("nightly", true), ("a", true), ("_x.y-z", true), ("9", true), ("", false), ("-x", false), (".x", false),
                              ("bad name", false), ("é", false), (String(repeating: "a", count: 100), true), (String(repeating: "a", count: 101), false)] {
            #expect((InputType.name(what: "name").refusal(text: name) == nil) == valid, "\(name)")
            #expect(((try? DeploymentNames.validate(name, what: "name")) != nil) == valid, "\(name)")
            #expect((name.range(of: InputType.namePattern, options: .regularExpression) != nil) == valid, "\(name)")
        }
    }

    /// The 18 mismatches an outside fuzzer found, each now agreeing with the document.
    @Test func theFuzzersMismatchesAgreeWithTheDocument() throws {
        let id = try #require(known["id"])
        // Typed limits and enums: a value the document allows is answered.
        for target in [
            "/api/flow-runs?limit=500", "/api/flow-runs/\(id)/logs?limit=5000&level=error", "/api/artifacts?limit=1000",
            "/api/flow-runs/\(id)/graph?limit=100000", "/api/flow-runs/\(id)/task-runs?limit=1000000", "/api/flow-runs?state=paused",
            "/api/flows/etl/versions/latest", "/api/flows/etl/versions/1/diff/latest", "/api/flow-runs?version=1",
        ] {
            #expect(Self.send(api, "GET", target).0 == 200, "\(target)")
        }
        // version 0 and latest in bodies: latest is taken, 0 is refused as the document says.
        #expect(Self.send(api, "POST", "/api/flow-runs", body: #"{"flow": "etl", "version": "latest"}"#).0 == 201)
        #expect(Self.send(api, "POST", "/api/flow-runs", body: #"{"flow": "etl", "version": 0}"#).1?["field"] == .string("version"))
        #expect(Self.send(api, "POST", "/api/flow-runs/\(id)/rerun", body: #"{"version": "latest"}"#).0 == 201)
        // Empty names are refused naming the field.
        #expect(Self.send(api, "POST", "/api/flow-runs", body: #"{"flow": ""}"#).1?["field"] == .string("flow"))
        #expect(Self.send(api, "POST", "/api/deployments", body: #"{"flow": "etl", "name": ""}"#).1?["field"] == .string("name"))
        // Zero slots is a limit that holds every task run with the tag.
        #expect(Self.send(api, "PUT", "/api/limits/db", body: #"{"slots": 0}"#).0 == 200)
        // Null is not an object of parameters.
        let null = Self.send(api, "POST", "/api/deployments/nightly/run", body: #"{"parameters": null}"#)
        #expect(null.0 == 400 && null.1?["field"] == .string("parameters"), "\(null)")
        // Resuming a run that has not failed is refused with a status the document lists.
        let resume = Self.send(api, "POST", "/api/flow-runs/\(id)/resume")
        #expect(resume.0 == 400, "\(resume)")
        let statuses = try operations().first { $0.method == "POST" && $0.path == "/api/flow-runs/{id}/resume" }?.statuses ?? []
        #expect(statuses.contains(400) && statuses.contains(202) && statuses.contains(404))
    }
}
