import BatonCore
import Foundation

/// A schedule checked and ready to say when it fires: cron, interval or RRULE, in its time zone.
///
///     let schedule = try CompiledSchedule(ScheduleSpec(kind: "cron", cron: "0 2 * * *", timeZone: "Europe/Berlin"))
///     schedule.fireTimes(after: now, count: 5).map(schedule.format)   // ["2026-11-22T02:00:00+01:00", …]
public struct CompiledSchedule: Sendable {
    public let spec: ScheduleSpec
    public let zone: ZoneRules
    private let rule: Rule

    private enum Rule: Sendable {
        case cron(CronSchedule)
        case interval(IntervalSchedule)
        case rrule(RecurrenceRule, start: CivilTime)
    }

    /// An interval without an anchor counts from midnight of 2020-01-01 in its zone, so that "every
    /// hour" fires on the hour; an RRULE without one starts at `defaultStart`.
    public init(_ spec: ScheduleSpec, defaultStart: Date = Date()) throws {
        self.spec = spec
        zone = try ZoneRules.named(spec.timeZone ?? "UTC")
        switch spec.kind {
        case "cron":
            guard let expression = spec.cron else { throw BatonError(.invalidInput, "a cron schedule needs an expression") }
            rule = .cron(try CronSchedule(expression))
        case "interval":
            guard let seconds = spec.intervalSeconds, seconds >= 1, seconds.rounded() == seconds, seconds < 1e12 else {
                throw BatonError(
                    .invalidInput, "interval '\(spec.intervalSeconds.map { "\($0)" } ?? "none")' is not valid: expected a whole number of seconds, at least 1")
            }
            let anchor = spec.anchor.map { Int64(floor($0.timeIntervalSince1970)) }
                ?? zone.resolve(CivilTime(year: 2020, month: 1, day: 1)).rfc5545Instant
            rule = .interval(try IntervalSchedule(seconds: Int64(seconds), anchor: anchor))
        case "rrule":
            guard let text = spec.rrule else { throw BatonError(.invalidInput, "an rrule schedule needs a rule") }
            let start = Int64(floor((spec.anchor ?? defaultStart).timeIntervalSince1970))
            rule = .rrule(try RecurrenceRule(text), start: zone.civil(at: start))
        default:
            throw BatonError(.invalidInput, "schedule kind '\(spec.kind)' is not known: expected cron, interval or rrule")
        }
    }

    /// The next `count` fire times strictly after `instant`, ascending.
    public func fireTimes(after instant: Int64, count: Int) -> [Int64] {
        guard count > 0 else { return [] }
        switch rule {
        case .cron(let cron): return cron.fireTimes(after: instant, in: zone, count: count)
        case .interval(let interval): return interval.fireTimes(after: instant, in: zone, count: count)
        case .rrule(let rule, let start): return RecurrenceFireTimes.fireTimes(of: rule, start: start, in: zone, after: instant, count: count)
        }
    }

    /// Fire times from `start` through `end`, both included, at most `limit`.
    public func fireTimes(from start: Int64, through end: Int64, limit: Int) -> [Int64] {
        var found: [Int64] = []
        var cursor = start - 1
        while found.count < limit {
            let wanted = min(500, limit - found.count)
            let batch = fireTimes(after: cursor, count: wanted)
            for time in batch {
                if time > end { return found }
                found.append(time)
            }
            // Fewer than asked for: the rule has ended.
            guard batch.count == wanted, let last = batch.last else { return found }
            cursor = last
        }
        return found
    }

    /// How soon a schedule must fire: one with no fire time within this many years is a mistake (31
    /// February, an RRULE that has ended, an anchor decades ahead), not a deployment to keep.
    public static let horizonYears = 5

    /// Throws ``BatonError`` `.invalidInput`, in one line saying why, unless the schedule fires within
    /// ``horizonYears`` years after `instant`. Deployments are checked against the time they are
    /// made; `baton schedule preview` against its `--after`.
    public func requireFireTime(after instant: Int64) throws {
        // The mean Gregorian year: 365.2425 days.
        let horizon = instant + Int64(Self.horizonYears) * 31_556_952
        let rule = "a schedule must fire within \(Self.horizonYears) years"
        guard let next = fireTimes(after: instant, count: 1).first else {
            throw BatonError(
                .invalidInput, "schedule '\(summary)' never fires after \(format(instant)): \(rule)", field: spec.kind)
        }
        guard next <= horizon else {
            throw BatonError(
                .invalidInput,
                "schedule '\(summary)' first fires at \(format(next)), more than \(Self.horizonYears) years after \(format(instant)): \(rule)",
                field: spec.kind)
        }
    }

    /// `2026-03-08T03:00:00-04:00`, in the schedule's zone.
    public func format(_ instant: Int64) -> String { ScheduleTime.format(instant, in: zone) }

    /// The schedule as a person reads it: `every 5 minutes`, `cron 0 2 * * * (Europe/Berlin)`.
    public var summary: String { spec.summary }
}
