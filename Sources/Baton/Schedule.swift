import FoundationEssentials

/// When a flow runs by itself: every so often, on a cron expression, or on an RFC 5545 RRULE.
///
/// A flow that declares a schedule gets a default deployment with it when it is registered.
///
/// ```swift
/// let poll = Flow("poll", schedule: .every(minutes: 5)) { … }
/// let nightly = Flow("nightly", schedule: .cron("0 2 * * *", timeZone: "Europe/Berlin")) { … }
/// ```
public struct Schedule: Codable, Sendable, Hashable {
    /// The schedule's kind: `interval`, `cron` or `rrule`.
    public let kind: String
    /// Seconds between runs, for an interval schedule.
    public let intervalSeconds: Double?
    /// A five-field cron expression or a nickname such as `@daily`, for a cron schedule.
    public let cron: String?
    /// An RRULE value such as `FREQ=WEEKLY;BYDAY=MO`, for an rrule schedule.
    public let rrule: String?
    /// The first fire time of an interval schedule, or DTSTART of an rrule schedule.
    public let anchor: Date?
    /// An IANA time zone name such as `America/New_York`; UTC when absent.
    public let timeZone: String?

    /// Runs every `interval`, counted from `anchor`; without one, from midnight of 2020-01-01 in the
    /// schedule's zone, so that `.every(hours: 1)` fires on the hour. A whole number of days keeps
    /// the anchor's wall-clock time across daylight-saving changes.
    public static func interval(_ interval: Duration, anchor: Date? = nil, timeZone: String? = nil) -> Schedule {
        let (seconds, attoseconds) = interval.components
        return Schedule(
            kind: "interval", intervalSeconds: Double(seconds) + Double(attoseconds) / 1e18, cron: nil,
            rrule: nil, anchor: anchor, timeZone: timeZone)
    }

    /// Runs every `minutes` minutes.
    public static func every(minutes: Int) -> Schedule { .interval(.seconds(minutes * 60)) }

    /// Runs every `hours` hours.
    public static func every(hours: Int) -> Schedule { .interval(.seconds(hours * 3600)) }

    /// Runs when the cron expression matches, read in `timeZone` (UTC when absent).
    public static func cron(_ expression: String, timeZone: String? = nil) -> Schedule {
        Schedule(kind: "cron", intervalSeconds: nil, cron: expression, rrule: nil, anchor: nil, timeZone: timeZone)
    }

    /// Runs at each instance of an RFC 5545 recurrence rule starting at `anchor` (DTSTART; the
    /// registration time when absent), read in `timeZone`.
    public static func rrule(_ rule: String, anchor: Date? = nil, timeZone: String? = nil) -> Schedule {
        Schedule(kind: "rrule", intervalSeconds: nil, cron: nil, rrule: rule, anchor: anchor, timeZone: timeZone)
    }
}
