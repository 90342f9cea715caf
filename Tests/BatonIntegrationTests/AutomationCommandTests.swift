import BatonCore
import BatonHTTP
import BatonTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Being told and reacting, as a team meets it: channels and automations made with the CLI, runs
/// failing in other processes, a server that schedules (and so evaluates and delivers), a receiver
/// and an SMTP server on loopback, and inbound webhooks signed or not.
@Suite(.timeLimit(.minutes(10)))
struct AutomationCommandTests {
    /// The run named in a `baton run --json` answer.
    func runName(_ result: CommandResult) throws -> String { try #require(result.json["name"]?.stringValue, "\(result.stdout) \(result.stderr)") }

    func history(_ sandbox: Sandbox, _ name: String) throws -> [JSONValue] {
        try sandbox.baton("automation", "history", name, "--json", "--limit", "100").json.arrayValue ?? []
    }

    /// A failed run notifies exactly once; the server SIGKILLed while the receiver holds the delivery
    /// and started again makes that delivery again (the same `Baton-Delivery`), and never fires twice.
    @Test func aFailedRunNotifiesOnceAlsoWhenTheServerDiesMidDelivery() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let sandbox = try Sandbox()
        #expect(try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows")).status == 0)
        #expect(try sandbox.baton("channel", "create", "ops", "--webhook", receiver.url + "/hook").status == 0)
        let made = try sandbox.baton("automation", "create", "page", "--on-state", "failed", "--flow", "flaky", "--notify", "ops")
        #expect(made.status == 0, "\(made.stderr)")
        var server = try await ServerProcess.start(sandbox, ["--no-worker"])

        // A run that fails in a process of its own (`baton run`), not the server's.
        let first = try runName(try sandbox.baton("run", "flaky", "--param", "failures=5", "--json"))
        #expect(await server.process.line(containing: "(run '\(first)'): notify ops: delivered (HTTP 200)") != nil, "\(server.output)")
        var requests = receiver.waitForRequests(1, timeout: 60)
        #expect(requests.count == 1)
        let body = try JSONValue(json: requests[0].body)
        #expect(body["automation"] == .string("page") && body["event"]?["flowRunName"] == .string(first), "\(requests[0].text)")
        #expect(body["text"]?.stringValue?.contains("Flow: flaky (version 1)") == true && body["link"]?.stringValue?.contains("/#/runs/") == true)
        // A completed run of it fires nothing.
        #expect(try sandbox.baton("run", "flaky", "--json").status == 0)

        // The next delivery is held by the receiver while the server is killed.
        receiver.hold()
        let second = try runName(try sandbox.baton("run", "flaky", "--param", "failures=5", "--json"))
        requests = receiver.waitForRequests(2, timeout: 60)
        #expect(requests.count == 2)
        kill(server.process.process.processIdentifier, SIGKILL)
        _ = server.process.wait()
        receiver.release()
        server = try await ServerProcess.start(sandbox, ["--no-worker"])
        defer { _ = server.stop() }
        #expect(await server.process.line(containing: "(run '\(second)'): notify ops: delivered") != nil, "\(server.output)")
        requests = receiver.waitForRequests(3, timeout: 60)
        let deliveries = requests.compactMap { $0.headers["Baton-Delivery"] }
        #expect(deliveries.count == 3 && Set(deliveries).count == 2, "the held delivery made again, under its id: \(deliveries)")

        let firings = try history(sandbox, "page")
        #expect(firings.count == 2, "once per failed run: \(firings)")
        #expect(firings.map { $0["event"]?["flowRunName"]?.stringValue } == [second, first])
        let last = try #require(firings.first?["deliveries"]?.arrayValue?.first)
        #expect(last["status"] == .string("delivered") && last["attempts"] == .int(2), "\(last)")
        let text = try sandbox.baton("automation", "history", "page").stdout
        #expect(text.contains("notify ops: delivered after 2 attempts (HTTP 200)"), "\(text)")
    }

    /// A receiver that is down: the delivery fails, is retried with backoff, and is recorded delivered
    /// with the error it met; a receiver answering 4xx is not retried.
    @Test func aDeliveryToAReceiverThatIsDownIsRetriedAndRecorded() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let sandbox = try Sandbox()
        #expect(try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows")).status == 0)
        #expect(try sandbox.baton("automation", "create", "call", "--on-state", "crashed", "--webhook", receiver.url + "/crash").status == 0)
        let server = try await ServerProcess.start(sandbox, ["--no-worker"])
        defer { _ = server.stop() }
        receiver.stop()
        let run = try runName(try sandbox.baton("run", "crash", "--param", "how=exit", "--json"))
        #expect(await server.process.line(containing: "(run '\(run)'): call http://127.0.0.1:\(receiver.port)/… failed (attempt 1 of") != nil, "\(server.output)")
        var firings = try history(sandbox, "call")
        var delivery = try #require(firings.first?["deliveries"]?.arrayValue?.first)
        #expect(delivery["status"] == .string("pending") && delivery["attempts"] == .int(1) && delivery["nextAttemptAt"] != nil, "\(delivery)")
        #expect(delivery["lastError"]?.stringValue?.contains("127.0.0.1") == true, "\(delivery)")

        try receiver.start()
        #expect(await server.process.line(containing: "(run '\(run)'): call http://127.0.0.1:\(receiver.port)/…: delivered (HTTP 200) on attempt 2") != nil)
        #expect(receiver.waitForRequests(1, timeout: 60).count == 1)
        firings = try history(sandbox, "call")
        delivery = try #require(firings.first?["deliveries"]?.arrayValue?.first)
        #expect(delivery["status"] == .string("delivered") && delivery["attempts"] == .int(2) && delivery["lastError"] != nil, "\(delivery)")

        // A 4xx is the receiver's refusal: recorded failed at once, not retried.
        receiver.respond(with: [404])
        let again = try runName(try sandbox.baton("run", "crash", "--param", "how=exit", "--json"))
        #expect(await server.process.line(containing: "(run '\(again)'): call http://127.0.0.1:\(receiver.port)/… failed for good after 1 attempt(s)") != nil)
        delivery = try #require(try history(sandbox, "call").first?["deliveries"]?.arrayValue?.first)
        #expect(delivery["status"] == .string("failed") && delivery["lastError"]?.stringValue?.contains("HTTP 404") == true, "\(delivery)")
    }

    /// A worker taken for gone notifies; a run entering Running is cancelled by the automation it
    /// fires, which also pauses one deployment and runs another.
    @Test func aWorkerGoneNotifiesAndARunningRunIsCancelledWhileDeploymentsArePausedAndRun() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let sandbox = try Sandbox()
        #expect(try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows")).status == 0)
        #expect(try sandbox.baton("deployment", "create", "hello", "--name", "cleanup").status == 0)
        #expect(try sandbox.baton("deployment", "create", "hello", "--name", "nightly", "--interval", "3600").status == 0)
        #expect(try sandbox.baton("automation", "create", "offline", "--worker-offline", "--pool", "far", "--webhook", receiver.url + "/offline").status == 0)
        let made = try sandbox.baton(
            "automation", "create", "stop-sleepers", "--on-state", "running", "--flow", "sleepy", "--cancel-run", "--pause-deployment", "nightly",
            "--run-deployment", "cleanup")
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("cancel the run, pause deployment nightly, run deployment cleanup"), "\(made.stdout)")
        let server = try await ServerProcess.start(sandbox, [])
        defer { _ = server.stop() }

        // A worker of pool `far`, killed: the scheduler takes it for gone at once (its lock came free).
        let worker = try WatchedProcess(sandbox, ["worker", "start", "--name", "doomed", "--pool", "far"])
        #expect(await worker.line(containing: "worker 'doomed' started") != nil, "\(worker.output)")
        kill(worker.process.processIdentifier, SIGKILL)
        _ = worker.wait()
        let offline = try #require(receiver.waitForRequests(1, timeout: 60).first)
        let event = try JSONValue(json: offline.body)["event"]
        #expect(event?["kind"] == .string("worker-offline") && event?["worker"] == .string("doomed"), "\(offline.text)")

        // A sleeping run, cancelled once it runs.
        let id = try #require(try server.post("/api/flow-runs", #"{"flow": "sleepy"}"#).json["id"]?.stringValue)
        let state = try await server.waitForEnd(of: id)
        #expect(state == "cancelled", "\(server.output)")
        #expect(await server.process.line(containing: "pause deployment nightly: delivered") != nil)
        #expect(await server.process.line(containing: "run deployment cleanup: delivered (started run") != nil)
        #expect(try server.get("/api/deployments/nightly").json["paused"] == .bool(true))
        let runs = try sandbox.runs()
        #expect(runs.contains { $0["deployment"] == .string("cleanup") }, "\(runs)")
        let firing = try #require(try history(sandbox, "stop-sleepers").first)
        #expect(firing["deliveries"]?.arrayValue?.map { $0["status"]?.stringValue } == ["delivered", "delivered", "delivered"], "\(firing)")
        #expect(try history(sandbox, "offline").count == 1)
    }

    /// Email through an SMTP server on loopback with STARTTLS and a login whose password is a secret.
    @Test func anEmailChannelSendsThroughSTARTTLSWithThePasswordFromASecret() async throws {
        let certificate = try IntegrationCertificate()
        let sink = try SMTPSink(SMTPSink.Options(
            tls: try TLSIdentity(certificateChainFile: certificate.certificate, privateKeyFile: certificate.key), users: ["baton": "s3cret-pass"],
            requireTLSForAuth: true, requireAuth: true))
        defer { sink.stop() }
        let sandbox = try Sandbox()
        let trust = ["SSL_CERT_FILE": certificate.certificate]
        #expect(try sandbox.baton("secret", "set", "smtp-pass", input: "s3cret-pass").status == 0)
        let made = try sandbox.baton(
            "channel", "create", "team", "--email", "ops@example.com,lead@example.com", "--smtp", "127.0.0.1:\(sink.port)", "--starttls",
            "--smtp-user", "baton", "--smtp-password-secret", "smtp-pass", "--from", "baton@example.com")
        #expect(made.status == 0, "\(made.stderr)")
        let listed = try sandbox.baton("channel", "ls", "--json").stdout
        #expect(listed.contains("smtp-pass") && !listed.contains("s3cret-pass"), "secrets by name only: \(listed)")

        let test = try sandbox.baton("channel", "test", "team", environment: trust)
        #expect(test.status == 0, "\(test.stderr)")
        #expect(test.stdout.contains("sent to 2 recipients"), "\(test.stdout)")
        let mail = try #require(sink.waitForMessages(1, timeout: 30).first)
        #expect(mail.tls && mail.user == "baton" && mail.recipients == ["ops@example.com", "lead@example.com"])
        #expect(mail.subject?.contains("a test message for channel 'team'") == true, "\(mail.subject ?? "")")
        // The read of the password is in the audit log, by name.
        let audit = try sandbox.baton("audit", "ls", "--json").json.arrayValue ?? []
        #expect(audit.contains { $0["action"] == .string("secret read") && $0["target"] == .string("smtp-pass (channel team)") })

        // Not trusting the server's certificate: refused before logging in, in one line, exit 1.
        let untrusted = try sandbox.baton("channel", "test", "team")
        #expect(untrusted.status == 1 && untrusted.stderr.contains("not delivered") && untrusted.stderr.split(separator: "\n").count == 1, "\(untrusted.stderr)")
        #expect(sink.messages.count == 1)
    }

    /// `POST /api/webhooks/NAME` with the token, a good signature, a bad one, none, and payloads that
    /// lack a parameter or give it the wrong type.
    @Test func anInboundWebhookStartsARunOnlyForItsTokenOrSignature() async throws {
        let server = try await ServerProcess.withFixtures(["--no-worker"])
        defer { _ = server.stop() }
        let sandbox = server.sandbox
        #expect(try sandbox.baton("deployment", "create", "echo", "--name", "greet").status == 0)
        let made = try sandbox.baton("webhook", "create", "on-push", "--deployment", "greet", "--map", "name=$.pusher.name", "--map", "count=$.commits[0].n", "--json")
        #expect(made.status == 0, "\(made.stderr)")
        let token = try #require(made.json["token"]?.stringValue)
        let path = try #require(made.json["path"]?.stringValue)
        #expect(!(try sandbox.baton("webhook", "ls", "--json").stdout.contains(token)), "the token is shown once")

        func post(_ payload: String, _ headers: [(String, String)]) throws -> APIReply {
            try server.request("POST", path, headers: headers + [("Content-Type", "application/json")], body: Array(payload.utf8), anonymous: true)
        }
        let payload = #"{"pusher": {"name": "ada"}, "commits": [{"n": 3}]}"#
        let runs = try sandbox.runs().count
        let bearer = try post(payload, [("Authorization", "Bearer " + token)])
        #expect(bearer.status == 201 && bearer.json["parameters"]?["name"] == .string("ada") && bearer.json["parameters"]?["count"] == .int(3), "\(bearer)")
        let signature = HMACHex.sha256(key: token, Array(payload.utf8))
        let signed = try post(payload, [("X-Baton-Signature", "sha256=" + signature)])
        #expect(signed.status == 201, "\(signed)")
        for (headers, what) in [
            ([("X-Baton-Signature", "sha256=" + String(repeating: "0", count: 64))], "a bad signature"),
            ([("X-Baton-Signature", "sha256=" + HMACHex.sha256(key: token, Array((payload + " ").utf8)))], "a signature of other bytes"),
            ([("Authorization", "Bearer whk_" + String(repeating: "a", count: 40))], "another token"),
            ([], "no credentials"),
        ] as [([(String, String)], String)] {
            let refused = try post(payload, headers)
            #expect(refused.status == 401 && refused.error == "unauthorized", "\(what): \(refused)")
        }
        let unknown = try server.request("POST", "/api/webhooks/nope", headers: [("Authorization", "Bearer " + token)], body: Array(payload.utf8), anonymous: true)
        #expect(unknown.status == 401, "an unknown webhook is refused as a wrong token is: \(unknown)")
        let lacking = try post(#"{"pusher": {}}"#, [("Authorization", "Bearer " + token)])
        #expect(lacking.status == 422 && lacking.message.contains("parameter 'count'") || lacking.message.contains("parameter 'name'"), "\(lacking)")
        let wrongType = try post(#"{"pusher": {"name": "ada"}, "commits": [{"n": "three"}]}"#, [("Authorization", "Bearer " + token)])
        #expect(wrongType.status == 422 && wrongType.message.contains("count"), "\(wrongType)")
        let notJSON = try post("not json", [("Authorization", "Bearer " + token)])
        #expect(notJSON.status == 400, "\(notJSON)")
        #expect(try sandbox.runs().count == runs + 2, "only the two good requests made runs")
        let audit = try server.get("/api/audit?limit=500").json["entries"]?.arrayValue ?? []
        #expect(audit.filter { $0["action"] == .string("webhook on-push") }.count >= 2, "\(audit)")
        #expect(!server.output.contains(token) && !audit.description.contains(token))
    }
}

/// HMAC-SHA256 as a sender signs webhooks, computed with the openssl command (independently of Baton).
enum HMACHex {
    static func sha256(key: String, _ body: [UInt8]) -> String {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("hmac-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: input, contents: Data(body))
        defer { try? FileManager.default.removeItem(atPath: input) }
        let result = try? runProgram("/usr/bin/env", ["openssl", "dgst", "-sha256", "-hmac", key, "-r", input])
        return String((result?.stdout ?? "").prefix(64))
    }
}

/// A self-signed certificate for 127.0.0.1 made with the openssl command.
final class IntegrationCertificate: Sendable {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-cert-\(UUID().uuidString.prefix(8))").path
    var certificate: String { folder + "/c.pem" }
    var key: String { folder + "/k.pem" }

    init() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let made = try runProgram(
            "/usr/bin/env",
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        guard made.status == 0 else { throw ServerFailure(description: "openssl req failed: \(made.stderr)") }
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }
}
