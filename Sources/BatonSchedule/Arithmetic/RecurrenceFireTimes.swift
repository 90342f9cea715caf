import BatonCore
/// An RRULE's instances as fire times in a time zone: each instance is a wall-clock time read as
/// RFC 5545 §3.3.5 says (a time in a gap with the offset before the gap, an ambiguous one at its first
/// occurrence), and instances that land on the same instant are one fire.
enum RecurrenceFireTimes {
    /// The next `count` fire times strictly after `instant`, ascending.
    ///
    /// Read this way, wall times and instants can come out of order around a gap (02:30 in a gap
    /// is read as 03:30, after 03:00), so once `count` fire times are found, instances are gathered on
    /// until the wall clock is two days past the latest of them (no offset change reaches that far),
    /// then all are sorted.
    static func fireTimes(of rule: RecurrenceRule, start: CivilTime, in zone: ZoneRules, after instant: Int64, count: Int) -> [Int64] {
        guard count > 0 else { return [] }
        let isPastUntil: @Sendable (CivilTime) -> Bool
        if case .utc(let until)? = rule.until {
            isPastUntil = { zone.resolve($0).rfc5545Instant > until }
        } else {
            isPastUntil = { _ in false }
        }
        var times: [Int64] = []
        var seen = Set<Int64>()
        var settledBefore: Int64?
        for wall in rule.instances(from: start, isPastUntil: isPastUntil) {
            if let limit = settledBefore, wall.localSeconds > limit { break }
            let time = zone.resolve(wall).rfc5545Instant
            guard time > instant, seen.insert(time).inserted else { continue }
            times.append(time)
            if settledBefore == nil, times.count == count, let latest = times.max() {
                settledBefore = latest + Int64(zone.maximumOffset) + 2 * 86_400
            }
        }
        return Array(times.sorted().prefix(count))
    }
}
