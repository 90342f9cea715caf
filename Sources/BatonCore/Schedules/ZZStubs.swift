// TEMPORARY: stand-ins for the RRULE arithmetic being written; removed when it lands.
public struct RecurrenceRule: Sendable, Hashable {
    public let text: String
    public init(_ text: String) throws { self.text = text }
}
enum RecurrenceFireTimes {
    static func fireTimes(of rule: RecurrenceRule, start: CivilTime, in zone: ZoneRules, after instant: Int64, count: Int) -> [Int64] { [] }
}
