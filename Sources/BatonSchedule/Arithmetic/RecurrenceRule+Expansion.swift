import BatonCore
// Expansion follows python-dateutil's `rrule` for a naive DTSTART, which the scheduler is checked
// against, including where it departs from a literal reading of RFC 5545:
// - DTSTART is emitted only when the rule produces it; COUNT counts instances from DTSTART on.
// - Missing parts are taken from DTSTART: YEARLY takes its month and day, MONTHLY its day, WEEKLY its
//   weekday (unless BYWEEKNO, BYYEARDAY, BYMONTHDAY or BYDAY is given), and coarser frequencies its
//   hour, minute and second.
// - BYDAY ordinals count within the year (or within each BYMONTH month) for YEARLY and within the
//   month for MONTHLY; finer frequencies ignore them. Plain and numbered weekdays in one BYDAY must
//   both match a day.
// - A WEEKLY rule's first period runs from DTSTART to the end of its week, not from the week's start.
// - HOURLY, MINUTELY and SECONDLY step from DTSTART by INTERVAL and skip the steps that BYHOUR,
//   BYMINUTE, BYSECOND or the day parts rule out.
// - BYSETPOS picks from each period's whole set, including times before DTSTART.
// - Week numbers of days carried into the next year (a WEEKLY period across New Year) and of days
//   before week 1 (the previous year's last week) are worked out as dateutil does.

extension RecurrenceRule {
    /// Wall-clock instances in ascending order from `start` (DTSTART), computed lazily one period at
    /// a time: the caller stops when it has enough.
    ///
    /// COUNT counts instances from `start` on, as the rule produces them. A `.local` UNTIL ends the
    /// sequence after the last instance at or before it. For a `.utc` UNTIL, which only the caller
    /// can place in its time zone, the sequence ends at the first instance for which `isPastUntil`
    /// is true (it is asked of every instance, whatever the UNTIL). The sequence also ends after
    /// 9999-12-31, and is empty when `start` is not a valid time or the rule can never match.
    ///
    /// ```swift
    /// let rule = try RecurrenceRule("FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=9;BYMINUTE=0")
    /// for instance in rule.instances(from: start, isPastUntil: { _ in false }).prefix(10) { … }
    /// ```
    public func instances(
        from start: CivilTime, isPastUntil: @escaping @Sendable (CivilTime) -> Bool
    ) -> RecurrenceInstances {
        RecurrenceInstances(rule: self, start: start, isPastUntil: isPastUntil)
    }
}

/// The instances of a `RecurrenceRule` from a start: a lazy, ascending, possibly endless sequence.
public struct RecurrenceInstances: Sequence, Sendable {
    /// The rule being expanded.
    public let rule: RecurrenceRule
    /// DTSTART: the wall-clock time the rule counts from.
    public let start: CivilTime
    let isPastUntil: @Sendable (CivilTime) -> Bool

    public func makeIterator() -> RecurrenceIterator {
        RecurrenceIterator(plan: ExpansionPlan(rule: rule, start: start), isPastUntil: isPastUntil)
    }
}

/// Walks a rule's periods (years, months, weeks, days or clock steps), keeping each period's
/// instances until they are asked for.
public struct RecurrenceIterator: IteratorProtocol, Sendable {
    private let plan: ExpansionPlan
    private let isPastUntil: @Sendable (CivilTime) -> Bool
    private var remaining: Int?
    private var cursor: PeriodCursor
    private var started = false
    private var finished: Bool
    /// Local seconds of the current period's instances, ascending.
    private var pending: [Int64] = []
    private var pendingIndex = 0
    /// The current period's matching days, kept to reuse its storage.
    private var days: [Int64] = []
    private var calendar = CalendarCache()

    fileprivate init(plan: ExpansionPlan, isPastUntil: @escaping @Sendable (CivilTime) -> Bool) {
        self.plan = plan
        self.isPastUntil = isPastUntil
        remaining = plan.count
        cursor = PeriodCursor(plan: plan)
        finished = !plan.canMatch()
    }

    /// The next instance, or nil once COUNT, UNTIL, `isPastUntil` or year 9999 ends the sequence.
    public mutating func next() -> CivilTime? {
        while !finished {
            guard pendingIndex < pending.count else {
                pending.removeAll(keepingCapacity: true)
                pendingIndex = 0
                if started {
                    finished = !cursor.advance(plan: plan, calendar: &calendar)
                } else {
                    started = true
                }
                if !finished { collectPeriod() }
                continue
            }
            let seconds = pending[pendingIndex]
            pendingIndex += 1
            if seconds < plan.startSeconds { continue }
            if let until = plan.localUntil, seconds > until { break }
            let instance = CivilTime(localSeconds: seconds)
            if isPastUntil(instance) { break }
            if let left = remaining {
                if left <= 0 { break }
                remaining = left - 1
            }
            return instance
        }
        finished = true
        return nil
    }

    /// Fills `pending` with the instances of the period at the cursor.
    private mutating func collectPeriod() {
        let times = plan.times
        if plan.frequency.isSubDaily {
            let seconds = cursor.unit * plan.unitSeconds
            let day = floorDivide(seconds, 86_400)
            guard plan.timeMatches(seconds - day * 86_400), calendar.dayMatches(day, plan: plan) else { return }
            if plan.setPositions.isEmpty {
                for time in times { pending.append(seconds + Int64(time)) }
            } else {
                days.removeAll(keepingCapacity: true)
                days.append(0)
                pickSetPositions(dayLength: 0, base: seconds)
            }
            return
        }
        days.removeAll(keepingCapacity: true)
        cursor.collectDays(plan: plan, calendar: &calendar, into: &days)
        if plan.setPositions.isEmpty {
            for day in days {
                for time in times { pending.append(day * 86_400 + Int64(time)) }
            }
        } else {
            pickSetPositions(dayLength: 86_400, base: 0)
        }
    }

    /// BYSETPOS: the chosen positions of the period's `days` × times, without repeats, ascending.
    private mutating func pickSetPositions(dayLength: Int64, base: Int64) {
        let times = plan.times
        let total = days.count * times.count
        for position in plan.setPositions {
            let index = position > 0 ? position - 1 : total + position
            guard index >= 0, index < total else { continue }
            let instance = base + days[index / times.count] * dayLength + Int64(times[index % times.count])
            if !pending.contains(instance) { pending.append(instance) }
        }
        pending.sort()
    }
}

// MARK: - The rule, made ready to expand from one start

/// A rule's parts as expansion needs them: DTSTART's defaults filled in, lists turned into lookup
/// tables, times of day spelled out. A class so that passing it around copies one reference.
private final class ExpansionPlan: Sendable {
    let frequency: RecurrenceRule.Frequency
    /// INTERVAL, capped where a larger one could not reach a second period before year 9999.
    let interval: Int64
    let count: Int?
    let start: CivilTime
    let startSeconds: Int64
    let localUntil: Int64?
    let weekStart: Int
    let months: [Bool]?
    let weekdays: [Bool]?
    /// (weekday, ordinal) pairs, for YEARLY and MONTHLY only.
    let numberedWeekdays: [(weekday: Int, ordinal: Int)]
    let positiveMonthDays: [Bool]
    let negativeMonthDays: [Bool]
    let hasMonthDays: Bool
    let positiveYearDays: [Bool]
    let negativeYearDays: [Bool]
    let hasYearDays: Bool
    let weekNumbers: [Int]
    /// Filters on the clock step, for HOURLY, MINUTELY and SECONDLY.
    let hours: [Bool]?
    let minutes: [Bool]?
    let seconds: [Bool]?
    /// Offsets in seconds, ascending, from the start of each day (DAILY and coarser) or of each
    /// clock step (HOURLY, MINUTELY, SECONDLY) to its instances.
    let times: [Int]
    let setPositions: [Int]
    /// The clock step in seconds for HOURLY, MINUTELY and SECONDLY.
    let unitSeconds: Int64

    static let lastDay = CivilTime.days(year: 9999, month: 12, day: 31)

    init(rule: RecurrenceRule, start: CivilTime) {
        let frequency = rule.frequency
        self.frequency = frequency
        interval = Int64(min(rule.interval, 1_000_000_000_000))
        count = rule.count
        self.start = start
        startSeconds = start.localSeconds
        if case .local(let until) = rule.until { localUntil = until.localSeconds } else { localUntil = nil }
        weekStart = rule.weekStart

        var months = rule.byMonth
        var monthDays = rule.byMonthDay
        var weekdays = rule.byDay.filter { $0.ordinal == nil || !frequency.countsWeekdayOrdinals }.map(\.weekday)
        if rule.byWeekNumber.isEmpty && rule.byYearDay.isEmpty && rule.byMonthDay.isEmpty && rule.byDay.isEmpty {
            switch frequency {
            case .yearly:
                if months.isEmpty { months = [start.month] }
                monthDays = [start.day]
            case .monthly: monthDays = [start.day]
            case .weekly: weekdays = [start.weekday]
            default: break
            }
        }
        self.months = Self.table(months, size: 13)
        self.weekdays = Self.table(weekdays, size: 7)
        numberedWeekdays = frequency.countsWeekdayOrdinals
            ? rule.byDay.compactMap { entry in entry.ordinal.map { (entry.weekday, $0) } } : []
        let noDays32 = [Bool](repeating: false, count: 32), noDays367 = [Bool](repeating: false, count: 367)
        positiveMonthDays = Self.table(monthDays.filter { $0 > 0 }, size: 32) ?? noDays32
        negativeMonthDays = Self.table(monthDays.filter { $0 < 0 }.map { -$0 }, size: 32) ?? noDays32
        hasMonthDays = !monthDays.isEmpty
        positiveYearDays = Self.table(rule.byYearDay.filter { $0 > 0 }, size: 367) ?? noDays367
        negativeYearDays = Self.table(rule.byYearDay.filter { $0 < 0 }.map { -$0 }, size: 367) ?? noDays367
        hasYearDays = !rule.byYearDay.isEmpty
        weekNumbers = rule.byWeekNumber
        setPositions = rule.bySetPosition

        let hourList = rule.byHour.isEmpty ? [start.hour] : rule.byHour
        let minuteList = rule.byMinute.isEmpty ? [start.minute] : rule.byMinute
        let secondList = rule.bySecond.isEmpty ? [start.second] : rule.bySecond
        hours = frequency.isSubDaily ? Self.table(rule.byHour, size: 24) : nil
        minutes = frequency == .minutely || frequency == .secondly ? Self.table(rule.byMinute, size: 60) : nil
        seconds = frequency == .secondly ? Self.table(rule.bySecond, size: 60) : nil
        var times: Set<Int> = []
        switch frequency {
        case .secondly:
            times = [0]
            unitSeconds = 1
        case .minutely:
            times = Set(secondList)
            unitSeconds = 60
        case .hourly:
            for minute in minuteList { for second in secondList { times.insert(minute * 60 + second) } }
            unitSeconds = 3600
        default:
            for hour in hourList {
                for minute in minuteList { for second in secondList { times.insert(hour * 3600 + minute * 60 + second) } }
            }
            unitSeconds = 86_400
        }
        self.times = times.sorted()
    }

    /// A lookup table of `size` entries, true at each value; nil for an empty list (no filter).
    private static func table(_ values: [Int], size: Int) -> [Bool]? {
        guard !values.isEmpty else { return nil }
        var table = [Bool](repeating: false, count: size)
        for value in values { table[value] = true }
        return table
    }

    /// False when the rule can be seen never to match, so iteration need not run to year 9999 (or,
    /// for a clock frequency, forever): an invalid start, BYSETPOS beyond the few times of one step,
    /// or BYHOUR/BYMINUTE/BYSECOND values that the steps from DTSTART never reach.
    func canMatch() -> Bool {
        guard start.isValid else { return false }
        if !setPositions.isEmpty && (frequency.isSubDaily || frequency == .daily) {
            let size = times.count
            if !setPositions.contains(where: { $0 > 0 ? $0 <= size : -$0 <= size }) { return false }
        }
        guard frequency.isSubDaily else { return true }
        let unitsPerDay = 86_400 / unitSeconds
        let step = greatestCommonDivisor(interval, unitsPerDay)
        let firstUnit = floorDivide(startSeconds, unitSeconds)
        var unit = firstUnit - floorDivide(firstUnit, step) * step
        while unit < unitsPerDay {
            if timeMatches(unit * unitSeconds) { return true }
            unit += step
        }
        return false
    }

    /// Whether a clock step at `secondOfDay` passes BYHOUR, BYMINUTE and BYSECOND (those that filter
    /// steps at this frequency).
    func timeMatches(_ secondOfDay: Int64) -> Bool {
        let value = Int(secondOfDay)
        if let hours, !hours[value / 3600] { return false }
        if let minutes, !minutes[value / 60 % 60] { return false }
        if let seconds, !seconds[value % 60] { return false }
        return true
    }
}

private extension RecurrenceRule.Frequency {
    var isSubDaily: Bool { self == .hourly || self == .minutely || self == .secondly }
    var countsWeekdayOrdinals: Bool { self == .yearly || self == .monthly }
}

private func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    a >= 0 ? a / b : -((-a + b - 1) / b)
}

private func greatestCommonDivisor(_ a: Int64, _ b: Int64) -> Int64 {
    var (a, b) = (a, b)
    while b != 0 { (a, b) = (b, a % b) }
    return a
}

// MARK: - Periods

/// Where the iteration is: the current year and month (YEARLY, MONTHLY), first day (WEEKLY, DAILY)
/// or clock step (HOURLY, MINUTELY, SECONDLY).
private struct PeriodCursor: Sendable {
    private var year: Int
    private var month: Int
    private var day: Int64
    /// The clock step, in steps of `ExpansionPlan.unitSeconds` since 1970.
    private(set) var unit: Int64
    /// DTSTART's clock step: every step is this plus a multiple of INTERVAL.
    private let origin: Int64

    init(plan: ExpansionPlan) {
        year = plan.start.year
        month = plan.start.month
        day = plan.start.days
        origin = floorDivide(plan.startSeconds, plan.unitSeconds)
        unit = origin
    }

    /// Moves to the next period; false past year 9999.
    mutating func advance(plan: ExpansionPlan, calendar: inout CalendarCache) -> Bool {
        switch plan.frequency {
        case .yearly:
            year += Int(plan.interval)
            return year <= 9999
        case .monthly:
            let months = Int64(year) * 12 + Int64(month - 1) + plan.interval
            (year, month) = (Int(months / 12), Int(months % 12) + 1)
            return year <= 9999
        case .weekly:
            let intoWeek = (CivilTime.weekday(ofDays: day) - plan.weekStart + 7) % 7
            day += 7 * plan.interval - Int64(intoWeek)
            return day <= ExpansionPlan.lastDay
        case .daily:
            day += plan.interval
            return day <= ExpansionPlan.lastDay
        case .hourly, .minutely, .secondly:
            return advanceClock(plan: plan, calendar: &calendar)
        }
    }

    /// Steps by INTERVAL to the next clock step that the day parts and the clock filters allow,
    /// leaping over whole days, hours and minutes that cannot match.
    private mutating func advanceClock(plan: ExpansionPlan, calendar: inout CalendarCache) -> Bool {
        let unitSeconds = plan.unitSeconds
        func firstStep(atOrAfter seconds: Int64) -> Int64 {
            let target = seconds / unitSeconds
            return origin + (target - origin + plan.interval - 1) / plan.interval * plan.interval
        }
        var next = unit + plan.interval
        while true {
            let seconds = next * unitSeconds
            let day = floorDivide(seconds, 86_400)
            guard day <= ExpansionPlan.lastDay else { return false }
            let dayStart = day * 86_400
            let secondOfDay = Int(seconds - dayStart)
            if !calendar.dayMatches(day, plan: plan) {
                next = firstStep(atOrAfter: dayStart + 86_400)
            } else if let hours = plan.hours, !hours[secondOfDay / 3600] {
                next = firstStep(atOrAfter: dayStart + Int64(secondOfDay / 3600 + 1) * 3600)
            } else if let minutes = plan.minutes, !minutes[secondOfDay / 60 % 60] {
                next = firstStep(atOrAfter: dayStart + Int64(secondOfDay / 60 + 1) * 60)
            } else if let secondsTable = plan.seconds, !secondsTable[secondOfDay % 60] {
                next += plan.interval
            } else {
                unit = next
                return true
            }
        }
    }

    /// Appends the days (days since 1970) of a YEARLY, MONTHLY, WEEKLY or DAILY period that the day
    /// parts allow, in order.
    func collectDays(plan: ExpansionPlan, calendar: inout CalendarCache, into days: inout [Int64]) {
        switch plan.frequency {
        case .yearly, .monthly:
            let isYearly = plan.frequency == .yearly
            calendar.prepare(year: year, month: isYearly ? 0 : month, plan: plan)
            for month in isYearly ? 1...12 : month...month where plan.months?[month] ?? true {
                let first = CivilTime.days(year: year, month: month, day: 1)
                for dayOfMonth in 1...CivilTime.daysInMonth(year: year, month: month) {
                    let day = first + Int64(dayOfMonth - 1)
                    if calendar.matches(day, year: year, month: month, dayOfMonth: dayOfMonth, plan: plan) { days.append(day) }
                }
            }
        case .weekly:
            let length = 7 - (CivilTime.weekday(ofDays: day) - plan.weekStart + 7) % 7
            let periodYear = CivilTime.civil(fromDays: day).year
            calendar.prepare(year: periodYear, month: 0, plan: plan)
            for day in day..<(day + Int64(length)) where day <= ExpansionPlan.lastDay {
                let date = CivilTime.civil(fromDays: day)
                if calendar.matches(day, year: date.year, month: date.month, dayOfMonth: date.day, plan: plan) {
                    days.append(day)
                }
            }
        case .daily:
            if calendar.dayMatches(day, plan: plan) { days.append(day) }
        case .hourly, .minutely, .secondly:
            preconditionFailure("clock frequencies have no day periods")
        }
    }
}

// MARK: - Calendar tables

/// Per-year tables for matching days (week numbers, numbered weekdays), rebuilt when the year (or,
/// for MONTHLY numbered weekdays, the month) changes.
private struct CalendarCache: Sendable {
    private var year = 0
    private var month = -1
    private var firstDay: Int64 = 0
    private var length = 0
    private var nextLength = 0
    private var firstWeekday = 0
    /// By day index from January 1, running 7 days into the next year for WEEKLY periods.
    private var weekNumberMask: [Bool] = []
    private var numberedWeekdayMask: [Bool] = []
    private var lastCheckedDay = Int64.min
    private var lastCheckedDayMatched = false

    /// Makes the tables for `year` (and `month`, for MONTHLY; 0 otherwise) current.
    mutating func prepare(year: Int, month: Int, plan: ExpansionPlan) {
        if year != self.year {
            self.year = year
            self.month = -1
            firstDay = CivilTime.days(year: year, month: 1, day: 1)
            length = CivilTime.daysInYear(year)
            nextLength = CivilTime.daysInYear(year + 1)
            firstWeekday = CivilTime.weekday(ofDays: firstDay)
            if !plan.weekNumbers.isEmpty { weekNumberMask = makeWeekNumberMask(plan: plan) }
        }
        if month != self.month {
            self.month = month
            if !plan.numberedWeekdays.isEmpty { numberedWeekdayMask = makeNumberedWeekdayMask(plan: plan) }
        }
    }

    /// Whether a lone day (DAILY and the clock frequencies) passes the day parts; remembers the
    /// last answer, as clock steps ask about the same day many times.
    mutating func dayMatches(_ day: Int64, plan: ExpansionPlan) -> Bool {
        if day != lastCheckedDay {
            let date = CivilTime.civil(fromDays: day)
            prepare(year: date.year, month: 0, plan: plan)
            lastCheckedDay = day
            lastCheckedDayMatched = matches(day, year: date.year, month: date.month, dayOfMonth: date.day, plan: plan)
        }
        return lastCheckedDayMatched
    }

    /// Whether `day` passes the day parts, with the tables of the period's year (a WEEKLY period
    /// may run into the next year).
    func matches(_ day: Int64, year: Int, month: Int, dayOfMonth: Int, plan: ExpansionPlan) -> Bool {
        if let months = plan.months, !months[month] { return false }
        let index = Int(day - firstDay)
        if !plan.weekNumbers.isEmpty && !weekNumberMask[index] { return false }
        if let weekdays = plan.weekdays, !weekdays[CivilTime.weekday(ofDays: day)] { return false }
        if !plan.numberedWeekdays.isEmpty && !(index < numberedWeekdayMask.count && numberedWeekdayMask[index]) {
            return false
        }
        if plan.hasMonthDays {
            let fromEnd = CivilTime.daysInMonth(year: year, month: month) - dayOfMonth + 1
            if !plan.positiveMonthDays[dayOfMonth] && !plan.negativeMonthDays[fromEnd] { return false }
        }
        if plan.hasYearDays {
            let (dayOfYear, yearLength) = year == self.year ? (index + 1, length) : (index - length + 1, nextLength)
            if !plan.positiveYearDays[dayOfYear] && !plan.negativeYearDays[yearLength - dayOfYear + 1] { return false }
        }
        return true
    }

    private func weekday(at index: Int) -> Int { (firstWeekday + index % 7 + 7) % 7 }

    /// BYDAY ordinals: the nth weekday of the year, of each BYMONTH month (YEARLY), or of the
    /// current month (MONTHLY).
    private func makeNumberedWeekdayMask(plan: ExpansionPlan) -> [Bool] {
        var mask = [Bool](repeating: false, count: length)
        func range(ofMonth month: Int) -> ClosedRange<Int> {
            let first = Int(CivilTime.days(year: year, month: month, day: 1) - firstDay)
            return first...(first + CivilTime.daysInMonth(year: year, month: month) - 1)
        }
        let ranges: [ClosedRange<Int>] = switch (plan.frequency, plan.months) {
        case (.monthly, _): [range(ofMonth: month)]
        case (_, let months?): (1...12).filter { months[$0] }.map(range(ofMonth:))
        case (_, nil): [0...(length - 1)]
        }
        for range in ranges {
            for (weekday, ordinal) in plan.numberedWeekdays {
                let index: Int
                if ordinal > 0 {
                    let earliest = range.lowerBound + (ordinal - 1) * 7
                    index = earliest + (weekday - self.weekday(at: earliest) + 7) % 7
                } else {
                    let latest = range.upperBound + (ordinal + 1) * 7
                    index = latest - (self.weekday(at: latest) - weekday + 7) % 7
                }
                if range.contains(index) { mask[index] = true }
            }
        }
        return mask
    }

    /// BYWEEKNO: weeks start on WKST and week 1 is the first with at least four days in the year.
    /// Covers the year and the 7 days after it; days before week 1 count in the previous year's last
    /// week, and days after the last week in the next year's week 1.
    private func makeWeekNumberMask(plan: ExpansionPlan) -> [Bool] {
        let weekStart = plan.weekStart
        var mask = [Bool](repeating: false, count: length + 7)
        func markWeek(from index: Int) {
            var index = index
            for _ in 0..<7 {
                mask[index] = true
                index += 1
                if weekday(at: index) == weekStart { break }
            }
        }
        // The first day that starts a week; when it leaves four or more days before it, those days
        // make week 1.
        let firstWeekStart = (7 - firstWeekday + weekStart) % 7
        let week1 = firstWeekStart >= 4 ? 0 : firstWeekStart
        let week2 = firstWeekStart >= 4 ? firstWeekStart : firstWeekStart + 7
        func start(ofWeek number: Int) -> Int { number == 1 ? week1 : week2 + (number - 2) * 7 }
        let daysInWeeks = firstWeekStart >= 4 ? length + (firstWeekday - weekStart + 7) % 7 : length - firstWeekStart
        let weekCount = daysInWeeks / 7 + daysInWeeks % 7 / 4

        for number in plan.weekNumbers {
            let number = number < 0 ? number + weekCount + 1 : number
            if (1...weekCount).contains(number) { markWeek(from: start(ofWeek: number)) }
        }
        if plan.weekNumbers.contains(1) {
            let nextWeek1 = start(ofWeek: weekCount + 1)
            if nextWeek1 < length { markWeek(from: nextWeek1) }
        }
        if week1 > 0 && (plan.weekNumbers.contains(-1) || plan.weekNumbers.contains(previousYearWeekCount(week1: week1, weekStart: weekStart))) {
            for index in 0..<week1 { mask[index] = true }
        }
        return mask
    }

    /// The previous year's number of weeks, worked out as dateutil does: when that year's week 1
    /// starts on or after January 1, dateutil counts from this year's length rather than the
    /// previous year's, and the answer can be one off. Kept so that week numbers match it.
    private func previousYearWeekCount(week1: Int, weekStart: Int) -> Int {
        let previousFirstWeekday = CivilTime.weekday(ofDays: CivilTime.days(year: year - 1, month: 1, day: 1))
        let previousFirstWeekStart = (7 - previousFirstWeekday + weekStart) % 7
        if previousFirstWeekStart >= 4 {
            let previousLength = CivilTime.daysInYear(year - 1)
            return 52 + (previousLength + (previousFirstWeekday - weekStart + 7) % 7) % 7 / 4
        }
        return 52 + (length - week1) % 7 / 4
    }
}
