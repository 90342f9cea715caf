import BatonCore
import Foundation
import Testing

/// Dates as the API writes and reads them: whole milliseconds, the same after any number of round trips.
@Suite struct TimestampsTests {
    @Test func wholeMillisecondsAreWhatParsingTheWrittenDateGives() {
        var generator = SplitMix(seed: 11)
        for _ in 0..<20_000 {
            let date = Date(timeIntervalSince1970: Double.random(in: 0...4.2e9, using: &generator))
            let text = Timestamps.iso(date)
            let rounded = Timestamps.wholeMilliseconds(date)
            #expect(rounded == Timestamps.parse(text))
            #expect(Timestamps.iso(rounded) == text)
        }
    }

    @Test func aWrittenDateReadsBackToTheSameText() {
        var generator = SplitMix(seed: 11)
        for _ in 0..<20_000 {
            let text = Timestamps.iso(Date(timeIntervalSince1970: Double.random(in: 0...4.2e9, using: &generator)))
            let read = Timestamps.parse(text)!
            #expect(Timestamps.iso(read) == text)
            #expect(Timestamps.wholeMilliseconds(read) == read)
        }
    }
}

/// A seeded generator, so the dates tried are the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
