import BatonCore
/// An RFC 5545 recurrence rule (the value of an `RRULE` line), parsed and checked.
///
/// The rule works on wall-clock times only: `instances(from:isPastUntil:)` expands it from a
/// wall-clock start (DTSTART) into wall-clock instances, and another component places them in a
/// time zone. Expansion matches python-dateutil's `rrule` for a naive DTSTART, quirks included (see
/// `RecurrenceRule+Expansion.swift`).
///
/// ```swift
/// let rule = try RecurrenceRule("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1")  // last weekday
/// let start = CivilTime(year: 2026, month: 1, day: 1, hour: 17)
/// let firstThree = Array(rule.instances(from: start, isPastUntil: { _ in false }).prefix(3))
/// ```
public struct RecurrenceRule: Sendable, Hashable {
    /// How often the rule repeats (`FREQ`), from the finest to the coarsest period.
    public enum Frequency: String, Sendable, Hashable, CaseIterable {
        case secondly = "SECONDLY", minutely = "MINUTELY", hourly = "HOURLY", daily = "DAILY"
        case weekly = "WEEKLY", monthly = "MONTHLY", yearly = "YEARLY"
    }

    /// `UNTIL` as written: a wall-clock time, or an instant when it ended in `Z`.
    public enum Until: Sendable, Hashable {
        /// A wall-clock time (a date alone means its midnight); instances after it are dropped.
        case local(CivilTime)
        /// Unix seconds; only the caller, who knows the time zone, can compare instances with it.
        case utc(Int64)
    }

    /// One `BYDAY` entry: a weekday, with an ordinal such as `-1` in `-1FR` (the last Friday).
    public struct WeekdayNumber: Sendable, Hashable {
        /// 0 for Monday through 6 for Sunday, as `CivilTime.weekday`.
        public let weekday: Int
        /// 1…53 or -53…-1 counting within the month or year; `nil` for every such weekday. Only
        /// `MONTHLY` and `YEARLY` rules use it; finer frequencies ignore it, as dateutil does.
        public let ordinal: Int?
    }

    /// The text the rule was parsed from, as given.
    public let text: String
    public let frequency: Frequency
    /// Periods between repetitions (`INTERVAL`), at least 1.
    public let interval: Int
    /// How many instances the rule makes from DTSTART on (`COUNT`; 0 makes none, as in dateutil);
    /// never given with `until`.
    public let count: Int?
    /// The last moment instances may fall on (`UNTIL`, inclusive); never given with `count`.
    public let until: Until?
    /// `BYMONTH`, 1…12, as written; empty when absent. The same goes for the other `BY` parts.
    public let byMonth: [Int]
    /// `BYMONTHDAY`, 1…31 or -31…-1 (-1 is the last day of the month).
    public let byMonthDay: [Int]
    /// `BYYEARDAY`, 1…366 or -366…-1.
    public let byYearDay: [Int]
    /// `BYWEEKNO`, 1…53 or -53…-1: weeks start on `weekStart`, and week 1 is the first with at
    /// least four days in the year.
    public let byWeekNumber: [Int]
    /// `BYDAY`.
    public let byDay: [WeekdayNumber]
    /// `BYHOUR`, 0…23.
    public let byHour: [Int]
    /// `BYMINUTE`, 0…59.
    public let byMinute: [Int]
    /// `BYSECOND`, 0…59 (leap seconds are not supported).
    public let bySecond: [Int]
    /// `BYSETPOS`, 1…366 or -366…-1: which of each period's instances to keep.
    public let bySetPosition: [Int]
    /// `WKST`, 0 for Monday (the default) through 6 for Sunday.
    public let weekStart: Int

    /// Parses an RRULE value such as `FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=9;BYMINUTE=0`.
    ///
    /// An optional leading `RRULE:` is accepted; parts come in any order, names and values in any
    /// case. Errors are `BatonError(.invalidInput, …)` with a one-line message naming the bad part.
    public init(_ text: String) throws {
        let parser = RuleTextParser(text: text)
        let parts = try parser.parts()
        self.text = text
        guard let frequencyText = parts["FREQ"] else {
            throw parser.error("FREQ is missing (one of \(Self.frequencyNames))")
        }
        guard let frequency = Frequency(rawValue: frequencyText) else {
            throw parser.error("FREQ value '\(frequencyText)' is not one of \(Self.frequencyNames)")
        }
        self.frequency = frequency
        interval = try parts["INTERVAL"].map { try parser.integer($0, part: "INTERVAL", in: 1...Int.max) } ?? 1
        count = try parts["COUNT"].map { try parser.integer($0, part: "COUNT", in: 0...Int.max) }
        until = try parts["UNTIL"].map { try parser.until($0) }
        if count != nil && until != nil {
            throw parser.error("COUNT and UNTIL cannot both be given; keep one")
        }
        byMonth = try parser.integers(parts["BYMONTH"], part: "BYMONTH", in: 1...12)
        byMonthDay = try parser.integers(parts["BYMONTHDAY"], part: "BYMONTHDAY", in: 1...31, negativeToo: true)
        byYearDay = try parser.integers(parts["BYYEARDAY"], part: "BYYEARDAY", in: 1...366, negativeToo: true)
        byWeekNumber = try parser.integers(parts["BYWEEKNO"], part: "BYWEEKNO", in: 1...53, negativeToo: true)
        byDay = try parser.weekdayNumbers(parts["BYDAY"])
        byHour = try parser.integers(parts["BYHOUR"], part: "BYHOUR", in: 0...23)
        byMinute = try parser.integers(parts["BYMINUTE"], part: "BYMINUTE", in: 0...59)
        bySecond = try parser.integers(
            parts["BYSECOND"], part: "BYSECOND", in: 0...59, note: "; leap seconds are not supported")
        bySetPosition = try parser.integers(parts["BYSETPOS"], part: "BYSETPOS", in: 1...366, negativeToo: true)
        weekStart = try parts["WKST"].map { try parser.weekday($0, part: "WKST") } ?? 0
    }

    static let frequencyNames = Frequency.allCases.map(\.rawValue).joined(separator: ", ")
}

/// Splits and checks the text of a rule; every error it makes names the whole rule first.
private struct RuleTextParser {
    static let knownParts: [String] = [
        "FREQ", "INTERVAL", "COUNT", "UNTIL", "BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYDAY",
        "BYHOUR", "BYMINUTE", "BYSECOND", "BYSETPOS", "WKST",
    ]
    static let weekdayNames = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]

    let text: String

    func error(_ problem: String) -> BatonError {
        BatonError(.invalidInput, "rrule '\(text)': \(problem)")
    }

    /// The parts as upper-cased NAME → VALUE, each name once.
    func parts() throws -> [String: String] {
        var body = Substring(text.uppercased()).drop(while: \.isWhitespace)
        while body.last?.isWhitespace == true { body = body.dropLast() }
        if body.hasPrefix("RRULE:") { body = body.dropFirst(6) }
        var parts: [String: String] = [:]
        for part in body.split(separator: ";", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "=", omittingEmptySubsequences: false)
            guard pieces.count == 2, !pieces[0].isEmpty, !pieces[1].isEmpty else {
                throw error("part '\(part)' is not NAME=VALUE")
            }
            let name = String(pieces[0])
            guard Self.knownParts.contains(name) else {
                throw error("unknown part '\(name)' (known parts: \(Self.knownParts.joined(separator: ", ")))")
            }
            guard parts[name] == nil else { throw error("\(name) is given more than once") }
            parts[name] = String(pieces[1])
        }
        return parts
    }

    /// A whole number with an optional sign, within `range` (or its negation when `negativeToo`).
    func integer(_ value: Substring, part: String, in range: ClosedRange<Int>, negativeToo: Bool = false,
                 note: String = "") throws -> Int {
        let digits = value.first == "+" || value.first == "-" ? value.dropFirst() : value
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw error("\(part) value '\(value)' is not a whole number")
        }
        let number = Int(value)  // nil when it overflows, so out of range
        guard let number, range.contains(number) || (negativeToo && number > Int.min && range.contains(-number)) else {
            let upper = range.upperBound == Int.max ? "or more" : "to \(range.upperBound)"
            let allowed = negativeToo ? "\(range.lowerBound) \(upper) or -\(range.upperBound) to -\(range.lowerBound)"
                : "\(range.lowerBound) \(upper)"
            throw error("\(part) value '\(value)' is out of range (\(allowed)\(note))")
        }
        return number
    }

    func integer(_ value: String, part: String, in range: ClosedRange<Int>) throws -> Int {
        try integer(Substring(value), part: part, in: range)
    }

    func integers(_ list: String?, part: String, in range: ClosedRange<Int>, negativeToo: Bool = false,
                  note: String = "") throws -> [Int] {
        guard let list else { return [] }
        return try list.split(separator: ",", omittingEmptySubsequences: false).map {
            try integer($0, part: part, in: range, negativeToo: negativeToo, note: note)
        }
    }

    func weekday(_ value: some StringProtocol, part: String) throws -> Int {
        guard let index = Self.weekdayNames.firstIndex(of: String(value)) else {
            throw error("\(part) value '\(value)' is not a weekday (\(Self.weekdayNames.joined(separator: ", ")))")
        }
        return index
    }

    func weekdayNumbers(_ list: String?) throws -> [RecurrenceRule.WeekdayNumber] {
        guard let list else { return [] }
        return try list.split(separator: ",", omittingEmptySubsequences: false).map { item in
            let name = item.suffix(2)
            let ordinalText = item.dropLast(2)
            guard Self.weekdayNames.contains(String(name)) else {
                throw error("BYDAY value '\(item)' is not a weekday (\(Self.weekdayNames.joined(separator: ", ")) "
                    + "with an optional ordinal such as -1FR)")
            }
            var ordinal: Int?
            if !ordinalText.isEmpty {
                let digits = ordinalText.first == "+" || ordinalText.first == "-" ? ordinalText.dropFirst() : ordinalText
                guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(ordinalText),
                      number != 0, (-53...53).contains(number)
                else { throw error("BYDAY value '\(item)' has an ordinal outside 1 to 53 or -53 to -1") }
                ordinal = number
            }
            return .init(weekday: try weekday(name, part: "BYDAY"), ordinal: ordinal)
        }
    }

    /// `YYYYMMDD`, or `YYYYMMDDTHHMMSS` optionally ending in `Z`.
    func until(_ value: String) throws -> RecurrenceRule.Until {
        let bad = error("UNTIL value '\(value)' is not a date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSS, "
            + "optionally ending in Z)")
        let characters = Array(value)
        let isUTC = characters.last == "Z"
        let body = isUTC ? Array(characters.dropLast()) : characters
        guard body.count == 8 || (body.count == 15 && body[8] == "T") else { throw bad }
        func field(_ from: Int, _ length: Int) throws -> Int {
            let slice = body[from..<(from + length)]
            guard slice.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(String(slice)) else { throw bad }
            return number
        }
        let time = body.count == 15
            ? CivilTime(year: try field(0, 4), month: try field(4, 2), day: try field(6, 2),
                        hour: try field(9, 2), minute: try field(11, 2), second: try field(13, 2))
            : CivilTime(year: try field(0, 4), month: try field(4, 2), day: try field(6, 2))
        guard time.isValid else { throw bad }
        return isUTC ? .utc(time.localSeconds) : .local(time)
    }
}
