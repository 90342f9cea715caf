import BatonCore
import Foundation
import Testing

@testable import BatonStore

/// A task run's states are stored as lines of JSON in its row and read back by hand.
@Suite struct StateHistoryTests {
    @Test func everyStateReadsBackAsWritten() {
        let messages: [String?] = [
            nil, "", "plain", "a \"quoted\" word", "back\\slash", "two\nlines\tand a tab\r", "bell \u{7} and nul \u{0}",
            "naïve café", "emoji 🚀 and 𝄞", "/slashes/ stay",
        ]
        var states: [RunState] = []
        for (index, message) in messages.enumerated() {
            let type = StateType.allCases[index % StateType.allCases.count]
            states.append(RunState(type, name: "Name \(index) \"x\"", message: message, at: Date(timeIntervalSince1970: 1_763_700_000.123456 + Double(index))))
        }
        let history = states.map(StateHistory.line).joined()
        let read = StateHistory.states(history)
        #expect(read.count == states.count)
        for (a, b) in zip(read, states) {
            #expect(a.type == b.type && a.name == b.name && a.message == b.message)
            #expect(a.timestamp.timeIntervalSince1970 == b.timestamp.timeIntervalSince1970)
        }
    }

    @Test func linesWrittenByAJSONEncoderAreReadToo() {
        // \u escapes, escaped slashes and surrogate pairs, as other writers produce them.
        let line = #"["failed","Retrying",1763700000.5,"caf\u00e9 \/ \ud83d\ude80"]"#
        let state = StateHistory.states(line).first
        #expect(state?.type == .failed)
        #expect(state?.message == "café / 🚀")
        #expect(StateHistory.states("not json\n[1,2]\n").isEmpty)
    }
}
