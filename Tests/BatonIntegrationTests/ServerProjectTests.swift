import BatonCore
import BatonHTTP
import BatonServices
import Foundation
import Testing

/// Projects on a server, tried as a caller of another project would: every operation on this
/// project's flow, run, task run, deployment and limit answers 404 to the other project's admin key,
/// listings are empty, naming this project is 403, the live stream carries none of its events, and
/// the same flow and deployment names live in both.
@Suite(.timeLimit(.minutes(10)))
struct ServerProjectTests {
    @Test func anotherProjectsKeyFindsNothingOfThisProject() async throws {
        let server = try await ServerProcess.withFixtures(["--no-worker"])
        defer { _ = server.stop() }
        let sandbox = server.sandbox
        let run = try server.createRun(#"{"flow": "hello"}"#)
        let runID = try #require(run["id"]?.stringValue)
        #expect(try server.post("/api/deployments", #"{"flow": "hello", "name": "matrix", "interval": 3600}"#).status == 201)
        #expect(try server.send("PUT", "/api/limits/matrix", json: #"{"slots": 1}"#).status == 200)

        #expect(try sandbox.baton("project", "create", "other").status == 0)
        let otherKey = try ServerProcess.makeKey(sandbox, name: "other-admin", role: "admin", project: "other")
        let other = [("Authorization", "Bearer " + otherKey)]

        let document = try server.get("/api/openapi.json").json
        var tried = 0
        for (path, item) in (document["paths"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            for (method, operation) in (item.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                let method = method.uppercased()
                // A PUT (a limit, a secret, a variable) sets the caller's own project's: not this one's to find.
                guard operation["x-baton-permission"]?.stringValue != nil, path.contains("{"), method != "PUT" else { continue }
                let target = ServerAccessMatrixTests.target(method, path, runID: runID).replacingOccurrences(of: "/gone", with: "/matrix")
                var headers = other
                let (contentType, body) = ServerAccessMatrixTests.body(method, path, caller: "other")
                if let contentType { headers.append(("Content-Type", contentType)) }
                let reply = try server.request(method, target, headers: headers, body: body)
                tried += 1
                #expect(reply.status == 404 && reply.error == "not_found", "other project's key: \(method) \(target) → \(reply)")
            }
        }
        #expect(tried >= 15, "\(tried) operations on this project's things")

        // Listings in its own project are empty; naming this project is refused.
        for (target, key) in [("/api/flows", "flows"), ("/api/flow-runs", "runs"), ("/api/deployments", "deployments"), ("/api/limits", "limits")] {
            let reply = try server.request("GET", target, headers: other)
            #expect(reply.status == 200 && reply.json[key]?.arrayValue?.isEmpty == true, "\(target) → \(reply)")
            let named = try server.request("GET", target + "?project=default", headers: other)
            #expect(named.status == 403 && named.message.contains("has no role in project 'default'"), "\(named)")
        }
        // A project that does not exist is not found for a server admin, and a key has no role there;
        // a name that cannot be one is refused as input.
        let admin = try server.sandbox.baton("user", "create", "root", "--admin")
        #expect(admin.status == 0)
        let link = try server.sandbox.baton("user", "link", "root").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let token = String(try #require(link.split(separator: "=").last))
        let login = try server.request(
            "POST", "/api/login/link", headers: [("Content-Type", "application/json")], body: Array(#"{"token": "\#(token)"}"#.utf8), anonymous: true)
        let cookie = try #require(login.headers.values("Set-Cookie").first?.split(separator: ";").first.map(String.init))
        let missing = try server.request("GET", "/api/flows?project=nope", headers: [("Cookie", cookie)])
        #expect(missing.status == 404 && missing.message.contains("no project 'nope'"), "\(missing)")
        let keyed = try server.get("/api/flows?project=nope")
        #expect(keyed.status == 403 && keyed.message.contains("has no role in project 'nope'"), "\(keyed)")
        let malformed = try server.get("/api/flows?project=no%20such")
        #expect(malformed.status == 400 && malformed.field == "project", "\(malformed)")

        // Nothing the other key tried was done here.
        #expect(try server.get("/api/deployments/matrix").json["name"] == .string("matrix"))
        #expect(try server.get("/api/flow-runs/\(runID)").json["state"] == run["state"])
        #expect(try server.get("/api/limits").json["limits"]?.arrayValue?.count == 1)
    }

    @Test func theSameNamesLiveInTwoProjectsAndEachStreamCarriesItsOwn() async throws {
        let server = try await ServerProcess.withFixtures(["--no-worker"])
        defer { _ = server.stop() }
        let sandbox = server.sandbox
        #expect(try sandbox.baton("project", "create", "other").status == 0)
        let registered = try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows"), "--project", "other")
        #expect(registered.status == 0, "\(registered.stderr)")
        let otherKey = try ServerProcess.makeKey(sandbox, name: "other-operator", role: "operator", project: "other")
        let other = [("Authorization", "Bearer " + otherKey), ("Content-Type", "application/json")]
        #expect(try server.request("GET", "/api/flows/hello", headers: other).json["latestVersion"] == .int(1))

        // The other project's stream: its run's event comes, this project's run (made first) does not.
        let (baseURL, adminCredentials) = (server.baseURL, server.credentials)
        let mine = Locked<String?>(nil)
        let theirs = Locked<String?>(nil)
        let seen = try await onThread { () throws -> [String] in
            let client = try HTTPClient(baseURL: baseURL)
            client.headers = [("Authorization", "Bearer " + otherKey)]
            var runs: [String] = []
            try client.events("/api/events") { event in
                if event.event == "hello" {
                    let admin = try HTTPClient(baseURL: baseURL)
                    admin.headers = adminCredentials
                    let a = try admin.request("POST", "/api/flow-runs", headers: [("Content-Type", "application/json")], body: Array(#"{"flow": "hello"}"#.utf8))
                    mine.value = (try? JSONValue(json: a.body))?["id"]?.stringValue
                    let b = try admin.request("POST", "/api/flow-runs", headers: other, body: Array(#"{"flow": "hello"}"#.utf8))
                    theirs.value = (try? JSONValue(json: b.body))?["id"]?.stringValue
                    return true
                }
                guard event.event == "flow_run", let id = (try? JSONValue(json: Array(event.data.utf8)))?["id"]?.stringValue else { return true }
                runs.append(id)
                return id != theirs.value
            }
            return runs
        }
        let theirRun = try #require(theirs.value)
        let myRun = try #require(mine.value)
        #expect(seen.last == theirRun)
        #expect(!seen.contains(myRun), "the other project's stream carries none of this project's runs")

        // Each project lists its own run of its own `hello`.
        let mineListed = try server.get("/api/flow-runs").json["runs"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        let theirsListed = try server.request("GET", "/api/flow-runs", headers: other).json["runs"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        #expect(mineListed == [myRun] && theirsListed == [theirRun])
        #expect(try server.get("/api/flow-runs/\(theirRun)").status == 404)
    }
}
