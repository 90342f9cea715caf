import BatonCore
import Foundation

extension ScheduleSpec {
    /// The whole seconds an interval schedule may have between its runs.
    public static let intervalRange = 1...Int(Int32.max)

    /// A schedule from what a person typed: at most one of a cron expression, an interval in whole
    /// seconds or an RRULE, with an anchor (ISO 8601; local time in the zone without an offset) and an
    /// IANA zone. `naming` spells an input's name as the person knows it (`--cron` on the command line,
    /// `cron` in a JSON body). Nil when no schedule was given and none is required.
    public static func from(
        cron: String?, interval: String?, rrule: String?, anchor: String?, timeZone zone: String?, required: Bool,
        naming: (String) -> String
    ) throws -> ScheduleSpec? {
        let given = [("cron", cron), ("interval", interval), ("rrule", rrule)].filter { $0.1 != nil }.map(\.0)
        guard given.count <= 1 else {
            throw BatonError(
                .invalidInput, "\(naming(given[0])) and \(naming(given[1])) are both given: expected one of "
                    + "\(naming("cron")), \(naming("interval")) or \(naming("rrule"))", field: given[1])
        }
        let zoneRules = try zone.map(ZoneRules.named) ?? .utc
        let anchorDate = try anchor.map { Date(timeIntervalSince1970: Double(try ScheduleTime.parse($0, in: zoneRules))) }
        let spec: ScheduleSpec
        switch given.first {
        case "cron":
            if anchor != nil {
                throw BatonError(
                    .invalidInput, "\(naming("anchor")) does not apply to \(naming("cron")): a cron expression fires on its own wall times",
                    field: "anchor")
            }
            spec = ScheduleSpec(kind: "cron", cron: cron, timeZone: zone)
        case "interval":
            let text = interval ?? ""
            guard let seconds = Int(text), Self.intervalRange.contains(seconds) else {
                throw BatonError(
                    .invalidInput,
                    "\(naming("interval")) '\(text)' is not valid: expected a whole number of seconds from \(Self.intervalRange.lowerBound) "
                        + "to \(Self.intervalRange.upperBound)",
                    field: "interval")
            }
            spec = ScheduleSpec(kind: "interval", intervalSeconds: Double(seconds), anchor: anchorDate, timeZone: zone)
        case "rrule":
            spec = ScheduleSpec(kind: "rrule", rrule: rrule, anchor: anchorDate, timeZone: zone)
        default:
            if required {
                throw BatonError(
                    .invalidInput, "no schedule given: expected \(naming("cron")) EXPR, \(naming("interval")) SECONDS or \(naming("rrule")) RULE")
            }
            if anchor != nil || zone != nil {
                throw BatonError(
                    .invalidInput, "\(naming("anchor")) and \(naming("timezone")) need a schedule: give \(naming("cron")), "
                        + "\(naming("interval")) or \(naming("rrule")) too")
            }
            return nil
        }
        _ = try CompiledSchedule(spec)
        return spec
    }
}
