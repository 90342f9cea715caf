import BatonCore
import Foundation

extension ScheduleSpec {
    /// The next `count` fire times after `now`, ISO 8601 in the schedule's zone, as a deployment's
    /// view shows them; none when the schedule does not compile. `defaultStart` anchors an interval
    /// or RRULE stored without one (the deployment's creation).
    public func nextFireTimes(count: Int, after now: Date, defaultStart: Date) -> [String] {
        guard let compiled = try? CompiledSchedule(self, defaultStart: defaultStart) else { return [] }
        return compiled.fireTimes(after: Int64(now.timeIntervalSince1970), count: count).map(compiled.format)
    }

    /// The schedule made stable for storing: an RRULE without DTSTART starts at `now` (whole
    /// seconds), so that its fire times do not move each time they are computed. Throws when it does
    /// not compile.
    public func settled(now: Date) throws -> ScheduleSpec {
        var schedule = self
        if schedule.kind == "rrule", schedule.anchor == nil {
            schedule.anchor = Date(timeIntervalSince1970: floor(now.timeIntervalSince1970))
        }
        _ = try CompiledSchedule(schedule, defaultStart: now)
        return schedule
    }
}
