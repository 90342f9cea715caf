// TEMPORARY: stand-ins for the schedule arithmetic being written; removed when it lands.
public struct ZoneRules: Sendable, Hashable {
    public let name: String
    public static let utc = ZoneRules(name: "UTC")
    public static func named(_ name: String) throws -> ZoneRules {
        guard name == "UTC" else { throw BatonError(.invalidInput, "unknown time zone '\(name)'") }
        return .utc
    }
    public func offset(at instant: Int64) -> Int { 0 }
    public func civil(at instant: Int64) -> CivilTime { CivilTime(localSeconds: instant) }
    public func resolve(_ local: CivilTime) -> LocalTimeResolution { .unique(local.localSeconds) }
}
public enum LocalTimeResolution: Sendable, Hashable {
    case unique(Int64)
    case ambiguous(first: Int64, second: Int64)
    case skipped(offsetBefore: Int64, gapEnd: Int64)
    public var rfc5545Instant: Int64 {
        switch self {
        case .unique(let t): t
        case .ambiguous(let a, _): a
        case .skipped(let a, _): a
        }
    }
}
public enum ScheduleTime {
    public static func parse(_ text: String, in zone: ZoneRules) throws -> Int64 {
        guard let date = Timestamps.parse(text) else { throw BatonError(.invalidInput, "date '\(text)' is not ISO 8601") }
        return Int64(date.timeIntervalSince1970)
    }
    public static func format(_ instant: Int64, in zone: ZoneRules) -> String { CivilTime(localSeconds: instant).description + "+00:00" }
}
public struct CronSchedule: Sendable, Hashable {
    public let expression: String
    public init(_ expression: String) throws { self.expression = expression }
    public var isFixed: Bool { true }
    public func fireTimes(after instant: Int64, in zone: ZoneRules, count: Int) -> [Int64] {
        let start = (instant / 60 + 1) * 60
        return (0..<Int64(count)).map { start + $0 * 60 }
    }
}
public struct IntervalSchedule: Sendable, Hashable {
    let seconds: Int64
    let anchor: Int64
    public init(seconds: Int64, anchor: Int64) throws {
        guard seconds >= 1 else { throw BatonError(.invalidInput, "interval \(seconds)") }
        self.seconds = seconds
        self.anchor = anchor
    }
    public func fireTimes(after instant: Int64, in zone: ZoneRules, count: Int) -> [Int64] {
        let k = instant < anchor ? 0 : (instant - anchor) / seconds + 1
        return (0..<Int64(count)).map { anchor + (k + $0) * seconds }
    }
}
public struct RecurrenceRule: Sendable, Hashable {
    public let text: String
    public init(_ text: String) throws { self.text = text }
}
enum RecurrenceFireTimes {
    static func fireTimes(of rule: RecurrenceRule, start: CivilTime, in zone: ZoneRules, after instant: Int64, count: Int) -> [Int64] { [] }
}
