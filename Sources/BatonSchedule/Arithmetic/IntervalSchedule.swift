import BatonCore
/// A schedule that fires every so many seconds from an anchor, which is its first fire time.
///
/// When `seconds` is a whole number of days the schedule keeps the anchor's wall-clock time across
/// offset changes: each fire time is the anchor's local time on the anchor's date plus a multiple of
/// that many days, read as ``LocalTimeResolution/rfc5545Instant`` (a time in a spring-forward gap takes
/// the offset before the gap; one in a fall-back overlap its first occurrence). Otherwise fire times
/// are the anchor plus multiples of `seconds` of elapsed time.
///
/// ```swift
/// let daily = try IntervalSchedule(seconds: 86_400, anchor: try ScheduleTime.parse("2026-03-07T09:00:00-05:00", in: .utc))
/// daily.fireTimes(after: daily.anchor, in: try .named("America/New_York"), count: 1)  // [1_772_974_800]: 2026-03-08T09:00:00-04:00
/// ```
public struct IntervalSchedule: Sendable, Hashable {
    /// Seconds between fire times, 1 or more.
    public let seconds: Int64
    /// The first fire time.
    public let anchor: Int64

    /// `seconds` ≥ 1 (else BatonError invalidInput naming the value); `anchor` is the first fire time.
    public init(seconds: Int64, anchor: Int64) throws {
        guard seconds >= 1 else {
            throw BatonError(.invalidInput, "interval of \(seconds) seconds is not allowed: expected 1 second or more")
        }
        self.seconds = seconds
        self.anchor = anchor
    }

    /// The next `count` fire times strictly after `instant`, ascending, no duplicates, none past year 9999.
    ///
    /// When a day is skipped (Pacific/Apia on 2011-12-30) two dates can name the same instant; it is
    /// returned once.
    public func fireTimes(after instant: Int64, in zone: ZoneRules, count: Int) -> [Int64] {
        guard count > 0 else { return [] }
        return seconds % 86_400 == 0
            ? wallClockTimes(after: instant, in: zone, count: count)
            : elapsedTimes(after: instant, in: zone, count: count)
    }

    private func elapsedTimes(after instant: Int64, in zone: ZoneRules, count: Int) -> [Int64] {
        var times: [Int64] = []
        var time = anchor
        if instant >= anchor {
            let (distance, overflow) = instant.subtractingReportingOverflow(anchor)
            guard !overflow else { return [] }
            let (ahead, tooFar) = (distance / seconds + 1).multipliedReportingOverflow(by: seconds)
            let (next, pastEnd) = anchor.addingReportingOverflow(ahead)
            guard !tooFar, !pastEnd else { return [] }
            time = next
        }
        while times.count < count, zone.civil(at: time).year <= 9999 {
            times.append(time)
            let (next, overflow) = time.addingReportingOverflow(seconds)
            if overflow { break }
            time = next
        }
        return times
    }

    private func wallClockTimes(after instant: Int64, in zone: ZoneRules, count: Int) -> [Int64] {
        let days = seconds / 86_400
        let start = zone.civil(at: anchor)
        let startDay = start.days
        let timeOfDay = start.localSeconds - startDay * 86_400
        let lastDay = CivilTime.days(year: 9999, month: 12, day: 31)
        // Fire k lies within the zone's offset span of anchor + k × seconds; begin a little before
        // the first that can follow `instant`.
        let span = Int64(zone.maximumOffset - zone.minimumOffset)
        var k: Int64 = 0
        let (distance, overflow) = instant.subtractingReportingOverflow(anchor)
        if overflow, instant > anchor { return [] }
        if !overflow, distance > span { k = max(0, (distance - span) / seconds - 1) }
        var times: [Int64] = []
        var latest = Int64.min
        while times.count < count {
            let time: Int64
            if k == 0 {
                guard startDay <= lastDay else { break }
                time = anchor
            } else {
                let (offset, overflow) = k.multipliedReportingOverflow(by: days)
                guard !overflow, offset <= lastDay - startDay else { break }
                time = zone.resolve(CivilTime(localSeconds: (startDay + offset) * 86_400 + timeOfDay)).rfc5545Instant
            }
            if time > latest {
                latest = time
                if time > instant { times.append(time) }
            }
            k += 1
        }
        return times
    }
}
