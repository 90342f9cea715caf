import BatonCore
/// A Vixie cron schedule: five fields (minute hour day-of-month month day-of-week) or a nickname.
///
/// Fields take `*`, lists (`1,15`), ranges (`9-17`), steps (`*/15`, `1-30/5`, and `5/15` for
/// `5-max/15`), month and weekday names in any case (`JAN`…`DEC`, `SUN`…`SAT`, also in ranges) and 0 or
/// 7 for Sunday. When both day fields are restricted (neither starts with `*`) a day matches if either
/// does; otherwise both must.
///
/// Offset changes are handled as Debian's cron does. A *fixed* job (neither the minute nor the hour
/// field starts with `*`) fires at the first instant the wall clock reads at or past its time: once
/// in a fall-back overlap, and at the end of a spring-forward gap, where several times in one gap fire
/// once. A *wildcard* job fires at every instant whose wall time matches: twice in an overlap, never in
/// a gap.
///
/// ```swift
/// let weekdays = try CronSchedule("*/5 9-17 * * MON-FRI")
/// let next = weekdays.fireTimes(after: now, in: try .named("Europe/London"), count: 3)
/// ```
public struct CronSchedule: Sendable, Hashable {
    /// The expression as written.
    public let expression: String
    let fields: CronFields

    /// Parses a five-field expression or one of `@yearly @annually @monthly @weekly @daily @midnight
    /// @hourly`; throws ``BatonError`` `.invalidInput` naming the bad part.
    public init(_ expression: String) throws {
        self.expression = expression
        let parts = expression.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        if parts.count == 1, parts[0].hasPrefix("@") {
            guard let expanded = Self.nicknames[parts[0].lowercased()] else {
                throw BatonError(
                    .invalidInput,
                    "cron expression '\(expression)': unknown nickname '\(parts[0])': expected @yearly, @annually, "
                        + "@monthly, @weekly, @daily, @midnight or @hourly")
            }
            fields = try CronFields(expanded.split(separator: " ").map(String.init), expression: expression)
        } else {
            guard parts.count == 5 else {
                throw BatonError(
                    .invalidInput,
                    "cron expression '\(expression)': expected 5 fields (minute hour day-of-month month day-of-week) "
                        + "or a nickname such as @daily")
            }
            fields = try CronFields(parts, expression: expression)
        }
    }

    /// Neither the minute nor the hour field starts with `*` (and @daily/@weekly/@monthly/@yearly/@annually/@midnight).
    public var isFixed: Bool { fields.isFixed }

    /// The next `count` fire times strictly after `instant`, ascending, no duplicates.
    ///
    /// Fewer when the expression matches no more wall times up to the end of year 9999 (`0 0 30 2 *`
    /// never matches).
    public func fireTimes(after instant: Int64, in zone: ZoneRules, count: Int) -> [Int64] {
        guard count > 0, instant < Self.latestInstant else { return [] }
        let after = max(instant, Self.earliestInstant)
        var times: [Int64] = []
        // Walk the stretches of constant offset, mapping the matching wall times inside each one. A fixed
        // job starts three days early to learn which wall times the clock has already passed, since a
        // fall-back can repeat up to a day of them.
        var segmentStart = isFixed ? after - 3 * 86_400 : after + 1
        var offset = Int64(zone.offset(at: segmentStart))
        var passed = segmentStart + offset
        // The last search, reused while the walk stays between where it began and what it found.
        var memo: (from: Int64, found: Int64?) = (.max, nil)
        func nextMatch(atOrAfter wall: Int64) -> Int64? {
            if memo.from <= wall, memo.found.map({ wall <= $0 }) ?? true { return memo.found }
            memo = (wall, fields.nextMatch(atOrAfter: wall))
            return memo.found
        }
        while times.count < count {
            let segmentEnd = zone.nextOffsetChange(after: segmentStart)
            let wallStart = segmentStart + offset
            let wallEnd = segmentEnd.map { $0 + offset } ?? .max
            var from = max(wallStart, after + offset + 1)
            if isFixed {
                if passed < wallStart {
                    // The clock jumped over [passed, wallStart): matches in the gap fire once, at its end.
                    guard let skipped = nextMatch(atOrAfter: passed) else { return times }
                    if skipped < wallStart, segmentStart > after { times.append(segmentStart) }
                }
                from = max(from, passed)
                passed = max(passed, wallEnd)
            }
            while times.count < count {
                guard let wall = nextMatch(atOrAfter: from) else { return times }
                if wall >= wallEnd { break }
                // A match at the very end of a gap fires at the instant the gap's matches already did.
                if times.last.map({ wall - offset > $0 }) ?? true { times.append(wall - offset) }
                from = wall + 60
            }
            guard let segmentEnd else { break }
            segmentStart = segmentEnd
            offset = Int64(zone.offset(at: segmentEnd))
        }
        return times
    }

    /// Vixie cron's nicknames.
    private static let nicknames = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    /// Year 1 (a couple of days early, so the first day's wall times can be reached in any zone).
    private static let earliestInstant = CivilTime.days(year: 1, month: 1, day: 1) * 86_400 - 2 * 86_400
    /// The end of year 9999 in every zone.
    private static let latestInstant = CivilTime.days(year: 10_000, month: 1, day: 2) * 86_400
}

/// The parsed fields of a cron expression, as bit sets of the values they match.
struct CronFields: Sendable, Hashable {
    var minutes: UInt64 = 0
    var hours: UInt64 = 0
    var daysOfMonth: UInt64 = 0
    var months: UInt64 = 0
    /// Bit 0 is Sunday; a 7 in the expression is folded into it.
    var weekdays: UInt64 = 0
    var dayOfMonthStar = false
    var dayOfWeekStar = false
    var isFixed = false

    /// One field's name, values and names.
    private struct Kind {
        let name: String
        let range: ClosedRange<Int>
        let names: [String]
        let firstNameValue: Int
        var expected: String {
            names.isEmpty
                ? "\(range.lowerBound)-\(range.upperBound)"
                : "\(range.lowerBound)-\(range.upperBound) or \(names[0].uppercased())-\(names[names.count - 1].uppercased())"
        }
    }

    private static let kinds = [
        Kind(name: "minute", range: 0...59, names: [], firstNameValue: 0),
        Kind(name: "hour", range: 0...23, names: [], firstNameValue: 0),
        Kind(name: "day-of-month", range: 1...31, names: [], firstNameValue: 0),
        Kind(
            name: "month", range: 1...12,
            names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], firstNameValue: 1),
        Kind(name: "day-of-week", range: 0...7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], firstNameValue: 0),
    ]

    init(_ parts: [String], expression: String) throws {
        let masks = try zip(parts, Self.kinds).map { part, kind in try Self.parse(part, kind, expression: expression) }
        minutes = masks[0]
        hours = masks[1]
        daysOfMonth = masks[2]
        months = masks[3]
        weekdays = (masks[4] | masks[4] >> 7) & 0x7F
        dayOfMonthStar = parts[2].hasPrefix("*")
        dayOfWeekStar = parts[4].hasPrefix("*")
        isFixed = !parts[0].hasPrefix("*") && !parts[1].hasPrefix("*")
    }

    /// A field's bit set: a comma-separated list of `*`, `n`, `a-b`, each optionally followed by `/step`.
    private static func parse(_ field: String, _ kind: Kind, expression: String) throws -> UInt64 {
        func failure(_ part: Substring, _ problem: String) -> BatonError {
            BatonError(.invalidInput, "cron expression '\(expression)': \(kind.name) '\(part)' \(problem)")
        }
        func value(_ text: Substring) throws -> Int {
            if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                guard text.count <= 9, let number = Int(text), kind.range.contains(number) else {
                    throw failure(text, "is out of range \(kind.range.lowerBound)-\(kind.range.upperBound)")
                }
                return number
            }
            guard let index = kind.names.firstIndex(of: text.lowercased()) else {
                throw failure(text, "is not a number or a known name: expected \(kind.expected)")
            }
            return index + kind.firstNameValue
        }
        var mask: UInt64 = 0
        for item in field.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = item.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
            let bounds = pieces[0].split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
            guard pieces.count <= 2, bounds.count <= 2, !bounds.contains(where: \.isEmpty) else {
                throw failure(item.isEmpty ? field[...] : item, "is not valid: expected a number, a range (1-5), a list (1,3) or a step (*/15)")
            }
            var low: Int
            var high: Int
            if pieces[0] == "*" {
                (low, high) = (kind.range.lowerBound, kind.range.upperBound)
            } else if bounds.count == 2 {
                (low, high) = (try value(bounds[0]), try value(bounds[1]))
                guard low <= high else {
                    throw failure(item, "is a reversed range: expected the low end first, as in \(high)-\(low)")
                }
            } else {
                low = try value(bounds[0])
                high = pieces.count == 2 ? kind.range.upperBound : low
            }
            var step = 1
            if pieces.count == 2 {
                guard !pieces[1].isEmpty, pieces[1].count <= 9, pieces[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                    let number = Int(pieces[1])
                else { throw failure(item, "has a step that is not a number: expected e.g. */15") }
                guard number > 0 else { throw failure(item, "has a step of 0: expected a step of 1 or more") }
                step = number
            }
            for bit in stride(from: low, through: high, by: step) { mask |= 1 << UInt64(bit) }
        }
        return mask
    }

    /// Whether the date matches the day-of-month, month and day-of-week fields.
    func matches(year: Int, month: Int, day: Int) -> Bool {
        guard months & (1 << UInt64(month)) != 0 else { return false }
        let weekday = (CivilTime.weekday(ofDays: CivilTime.days(year: year, month: month, day: day)) + 1) % 7
        let dayOfMonth = daysOfMonth & (1 << UInt64(day)) != 0
        let dayOfWeek = weekdays & (1 << UInt64(weekday)) != 0
        return dayOfMonthStar || dayOfWeekStar ? dayOfMonth && dayOfWeek : dayOfMonth || dayOfWeek
    }

    /// The first matching wall time (local seconds, on a whole minute) at or after `wall`, or nil when
    /// there is none up to the end of year 9999. None is before year 1.
    func nextMatch(atOrAfter wall: Int64) -> Int64? {
        let remainder = ((wall % 60) + 60) % 60
        let start = CivilTime(localSeconds: max(remainder == 0 ? wall : wall + 60 - remainder, Self.firstWall))
        var (year, month, day, hour, minute) = (start.year, start.month, start.day, start.hour, start.minute)
        while year <= 9999 {
            if months & (1 << UInt64(month)) == 0 {
                if let next = Self.nextBit(months, from: month + 1, through: 12) {
                    month = next
                } else {
                    year += 1
                    month = Self.nextBit(months, from: 1, through: 12) ?? 1
                }
                (day, hour, minute) = (1, 0, 0)
                continue
            }
            if day > CivilTime.daysInMonth(year: year, month: month) {
                (month, day, hour, minute) = (month + 1, 1, 0, 0)
                if month > 12 { (year, month) = (year + 1, 1) }
                continue
            }
            if !matches(year: year, month: month, day: day) {
                // When both day fields must match, skip straight to the next allowed day of the month.
                let allowed = dayOfMonthStar || dayOfWeekStar ? Self.nextBit(daysOfMonth, from: day + 1, through: 31) : nil
                (day, hour, minute) = (allowed ?? day + 1, 0, 0)
                continue
            }
            if hours & (1 << UInt64(hour)) == 0 {
                guard let next = Self.nextBit(hours, from: hour + 1, through: 23) else {
                    (day, hour, minute) = (day + 1, 0, 0)
                    continue
                }
                (hour, minute) = (next, 0)
            }
            if minutes & (1 << UInt64(minute)) == 0 {
                guard let next = Self.nextBit(minutes, from: minute + 1, through: 59) else {
                    (hour, minute) = (hour + 1, 0)
                    if hour > 23 { (day, hour) = (day + 1, 0) }
                    continue
                }
                minute = next
            }
            return CivilTime(year: year, month: month, day: day, hour: hour, minute: minute).localSeconds
        }
        return nil
    }

    /// 0001-01-01T00:00:00, the first wall time matched.
    private static let firstWall = CivilTime.days(year: 1, month: 1, day: 1) * 86_400

    /// The lowest set bit from `from` through `through`, if any.
    private static func nextBit(_ mask: UInt64, from: Int, through: Int) -> Int? {
        guard from <= through else { return nil }
        let rest = mask >> UInt64(from)
        guard rest != 0 else { return nil }
        let bit = from + rest.trailingZeroBitCount
        return bit <= through ? bit : nil
    }
}
