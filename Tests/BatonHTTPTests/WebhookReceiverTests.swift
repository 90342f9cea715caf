import BatonHTTP
import BatonTestSupport
import Dispatch
import Foundation
import Testing

/// The webhook receiver test fixture: it records what arrives, answers as told, comes back on
/// the same port after a stop, and holds requests until released.
@Suite(.timeLimit(.minutes(5))) struct WebhookReceiverTests {
    @Test func recordsMethodTargetHeadersAndBody() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let client = try HTTPClient(baseURL: receiver.url)
        let response = try client.request(
            "POST", "/hooks/run?attempt=1", headers: [("Content-Type", "application/json"), ("X-Baton-Event", "run.failed")],
            body: Array(#"{"run":"r1"}"#.utf8))
        #expect(response.status == 200)
        let request = try #require(receiver.waitForRequests(1, timeout: 10).first)
        #expect(request.method == "POST")
        #expect(request.target == "/hooks/run?attempt=1")
        #expect(request.headers["X-Baton-Event"] == "run.failed")
        #expect(request.headers["Content-Type"] == "application/json")
        #expect(request.text == #"{"run":"r1"}"#)
    }

    @Test func answersTheStatusesGivenThen200() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        receiver.respond(with: [500, 503])
        let client = try HTTPClient(baseURL: receiver.url)
        let statuses = try (1...4).map { attempt in try client.request("POST", "/hook", body: Array("attempt \(attempt)".utf8)).status }
        #expect(statuses == [500, 503, 200, 200])
        #expect(receiver.waitForRequests(4, timeout: 10).map(\.text) == (1...4).map { "attempt \($0)" })
    }

    @Test func comesBackOnTheSamePortAfterAStop() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let port = receiver.port
        let client = try HTTPClient(baseURL: receiver.url)
        #expect(try client.request("POST", "/hook", body: [1]).status == 200)
        receiver.stop()
        #expect(throws: SocketError.self) { try client.request("POST", "/hook", body: [2]) }
        try receiver.start()
        #expect(receiver.port == port)
        #expect(try client.request("POST", "/hook", body: [3]).status == 200)
        #expect(receiver.requests.map(\.body) == [[1], [3]])
    }

    @Test func aHeldRequestIsRecordedAtOnceAndAnsweredOnRelease() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        receiver.hold()
        let answered = DispatchSemaphore(value: 0)
        let status = Shared<Int?>(nil)
        let url = receiver.url
        Thread {
            let response = try? HTTPClient(baseURL: url).request("POST", "/hook", body: Array("held".utf8))
            status.value = response?.status
            answered.signal()
        }.start()
        #expect(receiver.waitForRequests(1, timeout: 10).first?.text == "held")
        #expect(status.value == nil)
        receiver.release()
        #expect(answered.wait(timeout: .now() + 10) == .success)
        #expect(status.value == 200)
    }
}
