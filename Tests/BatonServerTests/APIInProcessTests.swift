import BatonCore
import BatonHTTP
import BatonStore
import Foundation
import Testing

@testable import BatonServer

/// The API answered in process (no sockets): its route table, its OpenAPI document and its errors.
/// The same routes over real loopback sockets are tested in BatonIntegrationTests.
@Suite struct APIInProcessTests {
    let directory: String
    let api: API

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("baton-api-\(UUID().uuidString.prefix(8))").path
        let home = BatonHome(path: directory)
        let store = try SQLiteStore(home: home)
        api = API(store: store, home: home, events: try Server.eventHub(store: store, home: home, log: { _ in }), requireCredentials: false, log: { _ in })
    }

    func request(_ method: String, _ target: String, body: String = "", contentType: String? = "application/json") -> (Int, JSONValue?) {
        var headers = HTTPHeaders()
        if let contentType { headers.set("Content-Type", contentType) }
        let response = api.handle(HTTPRequest(method: method, target: target, headers: headers, body: Array(body.utf8)))
        guard case .bytes(let bytes) = response.body else { return (response.status.code, nil) }
        return (response.status.code, try? JSONValue(json: bytes))
    }

    @Test func openAPIDocumentListsExactlyTheRoutesTheServerAnswers() throws {
        let (status, document) = request("GET", "/api/openapi.json")
        #expect(status == 200)
        #expect(document?["openapi"]?.stringValue == "3.1.0")
        let paths = try #require(document?["paths"]?.objectValue)
        var documented: Set<String> = []
        for (path, operations) in paths {
            for method in operations.objectValue?.keys ?? [:].keys { documented.insert(method.uppercased() + " " + path) }
        }
        let routed = Set(api.routeTable.map { $0.method + " " + $0.pattern })
        #expect(documented == routed)
        #expect(routed.count >= 35)
    }

    @Test func everyReferenceInTheDocumentResolves() throws {
        let document = try #require(request("GET", "/api/openapi.json").1)
        let schemas = try #require(document["components"]?["schemas"]?.objectValue)
        var references: [String] = []
        func walk(_ value: JSONValue) {
            switch value {
            case .object(let object):
                if let ref = object["$ref"]?.stringValue { references.append(ref) }
                object.values.forEach(walk)
            case .array(let items): items.forEach(walk)
            default: break
            }
        }
        walk(document)
        #expect(!references.isEmpty)
        for reference in references {
            #expect(reference.hasPrefix("#/components/schemas/"))
            #expect(schemas[String(reference.dropFirst("#/components/schemas/".count))] != nil, "\(reference) does not resolve")
        }
    }

    @Test func unknownRoutesAndMethodsAreJSONErrors() {
        let (missing, body) = request("GET", "/api/nothing-here")
        #expect(missing == 404)
        #expect(body?["error"]?.stringValue == "not_found")
        let (wrongMethod, other) = request("DELETE", "/api/flows")
        #expect(wrongMethod == 405)
        #expect(other?["error"]?.stringValue == "method_not_allowed")
    }

    @Test func badBodiesAreRefusedWithTheirReason() {
        let (invalid, invalidBody) = request("POST", "/api/flow-runs", body: "{not json")
        #expect(invalid == 400)
        #expect(invalidBody?["message"]?.stringValue?.contains("not valid JSON") == true)
        let (array, _) = request("POST", "/api/flow-runs", body: "[1, 2]")
        #expect(array == 400)
        let (type, typeBody) = request("POST", "/api/flow-runs", body: "flow=x", contentType: "application/x-www-form-urlencoded")
        #expect(type == 415)
        #expect(typeBody?["error"]?.stringValue == "unsupported_media_type")
        let (unknown, unknownBody) = request("POST", "/api/flow-runs", body: #"{"flow": "x", "paramters": {}}"#)
        #expect(unknown == 400)
        #expect(unknownBody?["field"]?.stringValue == "paramters")
        let (wrongType, wrongTypeBody) = request("POST", "/api/flow-runs", body: #"{"flow": 7}"#)
        #expect(wrongType == 400)
        #expect(wrongTypeBody?["message"]?.stringValue?.contains("field 'flow'") == true)
        let (noFlow, noFlowBody) = request("POST", "/api/flow-runs", body: #"{"flow": "nope"}"#)
        #expect(noFlow == 404)
        #expect(noFlowBody?["message"]?.stringValue?.contains("nope") == true)
    }

    @Test func badQueryValuesNameTheParameter() {
        for (target, field) in [
            ("/api/flow-runs?limit=abc", "limit"), ("/api/flow-runs?limit=0", "limit"), ("/api/flow-runs?state=bogus", "state"),
            ("/api/flow-runs?since=yesterday", "since"), ("/api/flow-runs?cursor=garbage", "cursor"),
        ] {
            let (status, body) = request("GET", target)
            #expect(status == 400, "\(target)")
            #expect(body?["field"]?.stringValue == field, "\(target)")
        }
    }

    @Test func anEmptyStoreListsNothingButAnswers() {
        let (flows, flowsBody) = request("GET", "/api/flows")
        #expect(flows == 200)
        #expect(flowsBody?["flows"]?.arrayValue?.isEmpty == true)
        let (runs, runsBody) = request("GET", "/api/flow-runs")
        #expect(runs == 200)
        #expect(runsBody?["runs"]?.arrayValue?.isEmpty == true)
        #expect(runsBody?["nextCursor"] == nil)
        let (dashboard, dashboardBody) = request("GET", "/api/dashboard")
        #expect(dashboard == 200)
        #expect(dashboardBody?["hourly"]?.arrayValue?.count == 24)
    }
}
