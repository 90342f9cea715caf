import BatonCore
import BatonEngine
import Foundation
import Testing

@testable import BatonRunner

/// The binary codec between a runner child and its parent (RunEvent+Binary.swift, RunnerMessage.swift):
/// every event and every message survives a round trip through a frame, with empty, unicode, absent
/// and extreme values, and frames split anywhere still read back whole.
@Suite struct RunEventCodecTests {
    static let unicode = "Zürich → 東京 🚀 \u{0} tab\tnew\nline \"quoted\" \\"
    static let long = String(repeating: "x", count: 100_000)
    static let moments = [
        Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_764_936_000.123_456), Date.distantPast, Date.distantFuture,
        Date(timeIntervalSince1970: -1.5),
    ]

    static func state(_ type: StateType, name: String? = nil, message: String? = nil, at index: Int = 1) -> RunState {
        RunState(type, name: name, message: message, at: moments[index % moments.count])
    }

    /// Every case of RunEvent, each with its fields at their edges: all optionals present, then absent.
    static var events: [RunEvent] {
        var events: [RunEvent] = []
        for (index, text) in ["", unicode, long, "plain"].enumerated() {
            let some: String? = index.isMultiple(of: 2) ? nil : text
            let number = [0, 1, Int.max, Int.min][index]
            events += [
                .flowRunState(FlowRunStateChange(flowRunID: text, state: state(StateType.allCases[index], message: some, at: index), result: some, attempt: index == 0 ? nil : number)),
                .flowRunCreated(NewFlowRun(
                    flow: text, version: number, parameters: index == 0 ? [:] : ["n": .int(Int64.max), "s": .string(unicode), "x": .double(1.5), "nested": .object(["a": .array([.null, .bool(true), .int(Int64.min)])])],
                    state: state(.pending, name: text, at: index), rerunOf: some, parentFlowRunID: some, parentTaskRunID: some, id: text, name: text)),
                .taskRunCreated(TaskRunStart(
                    id: text, flowRunID: text, flowRunAttempt: number, position: number, name: text, taskName: text, kind: text,
                    childFlowRunID: some, parentTaskRunID: some, input: some, inputKey: some, cacheKey: some, tags: index == 0 ? [] : [text, "", unicode],
                    createdAt: moments[index])),
                .taskRunState(TaskRunStateChange(
                    taskRunID: text, flowRunID: text, state: state(StateType.allCases[StateType.allCases.count - 1 - index], at: index + 1), attempt: number,
                    result: some, cachedFrom: some)),
                .edges(flowRunID: text, index == 0 ? [] : [TaskRunEdge(upstream: text, downstream: "", kind: unicode), TaskRunEdge(upstream: "a", downstream: "b", kind: "data")]),
                .log(LogRecord(flowRunID: text, taskRunID: some, taskRunName: some, timestamp: moments[index], level: LogLevel.allCases[index], message: text)),
                .artifact(ArtifactRecord(key: text, kind: text, data: text, description: some, flowRunID: text, taskRunID: some, createdAt: moments[index + 1])),
                .cacheStore(CacheEntry(
                    key: text, taskName: text, result: text, flowRunID: text, taskRunID: text, taskRunName: some, createdAt: moments[index],
                    expiresAt: some == nil ? nil : moments[index + 1])),
            ]
        }
        return events
    }

    static func roundTrip(_ message: RunnerMessage) throws -> RunnerMessage {
        var buffer = message.frame()
        let messages = try RunnerMessage.unframe(&buffer)
        #expect(buffer.isEmpty, "the frame is read whole")
        try #require(messages.count == 1)
        return messages[0]
    }

    @Test func everyEventSurvivesARoundTrip() throws {
        let events = Self.events
        // Every case is here.
        #expect(Set(events.map { "\($0)".prefix { $0 != "(" } }).count == 8)
        for event in events {
            guard case .events(let decoded) = try Self.roundTrip(.events([event])) else {
                Issue.record("not an events message")
                continue
            }
            #expect(decoded == [event], "\(String(describing: event).prefix(200))")
        }
        guard case .events(let all) = try Self.roundTrip(.events(events)) else { throw RawFailure("not events") }
        #expect(all == events)
        guard case .events(let none) = try Self.roundTrip(.events([])) else { throw RawFailure("not events") }
        #expect(none.isEmpty)
    }

    /// Every case of RunnerMessage (and of the requests and responses inside), framed and read back.
    static var messages: [RunnerMessage] {
        let spec = FlowRunSpec(
            flowRunID: "r1", flowRunName: unicode, flow: "etl", version: Int.max, parameters: ["n": .int(1), "s": .string(unicode)], attempt: 3,
            libraryHash: String(repeating: "a", count: 64), flowVersions: ["etl": 2, "sub": Int.max],
            reuse: ["key": ReusedResult(taskRunID: "t1", taskRunName: unicode, attempt: 2, result: "42")],
            notBefore: Date(timeIntervalSince1970: 1_764_936_000))
        let bare = FlowRunSpec(flowRunID: "", flowRunName: "", flow: "", version: 0, parameters: [:], attempt: 0)
        return [
            .start(RunnerStart(libraryPath: "/libraries/\(unicode)/libX.so", libraryHash: "", spec: spec)),
            .start(RunnerStart(libraryPath: "", libraryHash: "", spec: bare)),
            .response(id: 0, .cache(nil)),
            .response(id: UInt64.max, .cache(CacheHit(result: unicode, taskRunID: "t", taskRunName: nil, flowRunID: "", createdAt: Date.distantFuture))),
            .response(id: 7, .cache(CacheHit(result: "", taskRunID: "", taskRunName: unicode, flowRunID: "f", createdAt: moments[1]))),
            .response(id: 1, .slots(granted: true)), .response(id: 2, .slots(granted: false)), .response(id: 3, .done),
            .cancel(reason: ""), .cancel(reason: unicode),
            .events([]), .events(events),
            .request(id: 0, .cacheLookup(key: "")), .request(id: UInt64.max, .cacheLookup(key: long)),
            .request(id: 5, .acquireSlots(tags: [], taskRunID: "", flowRunID: "")),
            .request(id: 6, .acquireSlots(tags: ["db", unicode, ""], taskRunID: "t", flowRunID: "f")),
            .request(id: 8, .releaseSlots(taskRunID: unicode)),
            .manifest(""), .manifest(#"{"flows": [], "name": "\#(unicode)"}"#),
        ] + BatonError.Code.allCases.flatMap { [RunnerMessage.failure(code: $0, message: ""), .failure(code: $0, message: unicode)] }
    }

    @Test func everyRunnerMessageSurvivesARoundTrip() throws {
        for message in Self.messages {
            let decoded = try Self.roundTrip(message)
            // The same frame again: every field came back (the spec's JSON has sorted keys).
            #expect(decoded.frame() == message.frame(), "\(String(describing: message).prefix(200))")
            switch (message, decoded) {
            case (.start(let a), .start(let b)):
                #expect(a.libraryPath == b.libraryPath && a.libraryHash == b.libraryHash)
                #expect(a.spec.parameters == b.spec.parameters && a.spec.flowVersions == b.spec.flowVersions && a.spec.reuse == b.spec.reuse)
                #expect(a.spec.flowRunName == b.spec.flowRunName && a.spec.version == b.spec.version && a.spec.notBefore == b.spec.notBefore)
            case (.response(let a, .cache(let x)), .response(let b, .cache(let y))): #expect(a == b && x == y)
            case (.response(let a, .slots(let x)), .response(let b, .slots(let y))): #expect(a == b && x == y)
            case (.response(let a, .done), .response(let b, .done)): #expect(a == b)
            case (.cancel(let a), .cancel(let b)), (.manifest(let a), .manifest(let b)): #expect(a == b)
            case (.events(let a), .events(let b)): #expect(a == b)
            case (.request(let a, .cacheLookup(let x)), .request(let b, .cacheLookup(let y))): #expect(a == b && x == y)
            case (.request(let a, .acquireSlots(let t, let r, let f)), .request(let b, .acquireSlots(let u, let s, let g))):
                #expect(a == b && t == u && r == s && f == g)
            case (.request(let a, .releaseSlots(let x)), .request(let b, .releaseSlots(let y))): #expect(a == b && x == y)
            case (.failure(let a, let x), .failure(let b, let y)): #expect(a == b && x == y)
            default: Issue.record("\(message) came back as another case: \(decoded)")
            }
        }
    }

    @Test func framesSplitAnywhereReadBackWholeAndInOrder() throws {
        let messages = Self.messages.filter {
            if case .events(let events) = $0 { return events.isEmpty }
            return true
        }
        let stream = messages.flatMap { $0.frame() }
        // Fed a few bytes at a time, as a pipe may deliver them.
        for step in [1, 3, 64, 4096] {
            var buffer: [UInt8] = []
            var read: [[UInt8]] = []
            var offset = 0
            while offset < stream.count {
                buffer += stream[offset..<min(offset + step, stream.count)]
                offset += step
                read += try RunnerMessage.unframe(&buffer).map { $0.frame() }
            }
            #expect(buffer.isEmpty)
            #expect(read == messages.map { $0.frame() }, "step \(step)")
        }
    }

    @Test func aFrameThatDoesNotDecodeOrIsTooLongIsTheRunnersError() throws {
        for bytes: [UInt8] in [[0, 0, 0, 1, 99], [0, 0, 0, 2, 3, 0], [0x7F, 0xFF, 0xFF, 0xFF]] {
            var buffer = bytes
            #expect(throws: BatonError.self, "\(bytes)") { _ = try RunnerMessage.unframe(&buffer) }
        }
        // A frame not yet whole waits for the rest.
        var partial: [UInt8] = Array(RunnerMessage.cancel(reason: "stop").frame().dropLast())
        #expect(try RunnerMessage.unframe(&partial).isEmpty)
        #expect(partial.count == RunnerMessage.cancel(reason: "stop").frame().count - 1)
    }
}

struct RawFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
