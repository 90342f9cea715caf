import BatonCore
import Foundation
import Synchronization

/// A time zone's rules: the offset from UTC in force at each instant, and the instants that a
/// wall-clock time names.
///
/// Read from the system's TZif files (RFC 8536, versions 1 to 4) in `/usr/share/zoneinfo`: the
/// transitions and their local time types, then the POSIX TZ string in the file's footer for instants
/// after the last transition. Instants before the first transition take the first standard-time type,
/// and the footer is applied per UTC year, as Python's `zoneinfo` does. Leap-second records are ignored.
///
/// ```swift
/// let newYork = try ZoneRules.named("America/New_York")
/// newYork.offset(at: 1_772_953_200)  // -14400: 2026-03-08T03:00:00-04:00, just after the spring-forward
/// ```
public struct ZoneRules: Sendable, Hashable {
    /// The name the zone was loaded by: `UTC`, `America/New_York`.
    public let name: String
    /// UTC instants at which the offset may change, ascending.
    let transitions: [Int64]
    /// The offset in force from `transitions[i]` on.
    let offsetsFrom: [Int]
    /// The offset in force before the first transition.
    let initialOffset: Int
    /// The rule for instants after the last transition.
    let tail: ZoneTail
    /// The least and greatest offsets the zone ever uses, which bound the instants a wall time can name.
    let minimumOffset: Int
    let maximumOffset: Int

    /// Coordinated Universal Time.
    public static let utc = ZoneRules(
        name: "UTC", transitions: [], offsetsFrom: [], initialOffset: 0, tail: .fixed(0))

    /// The directory the IANA zones are read from.
    static let zoneDirectory = "/usr/share/zoneinfo"

    /// Zones already read; a few dozen at most in a process, read once each. The lock is held only for a
    /// dictionary lookup, so `Mutex`'s hand-over to the longest waiter (which `Locked` in the SDK avoids
    /// under heavy contention) costs nothing here.
    private static let cache = Mutex<[String: ZoneRules]>([:])

    init(name: String, transitions: [Int64], offsetsFrom: [Int], initialOffset: Int, tail: ZoneTail) {
        self.name = name
        self.transitions = transitions
        self.offsetsFrom = offsetsFrom
        self.initialOffset = initialOffset
        self.tail = tail
        let all = offsetsFrom + [initialOffset] + tail.offsets
        minimumOffset = all.min() ?? 0
        maximumOffset = all.max() ?? 0
    }

    /// Loads (and caches, thread-safely) the named IANA zone; "UTC", "Etc/UTC", "Z" are UTC.
    ///
    /// Unknown or malformed names (including ones with "..", absolute paths) and files that are not
    /// TZif throw ``BatonError`` `.invalidInput`.
    public static func named(_ name: String) throws -> ZoneRules {
        if name == "UTC" || name == "Etc/UTC" || name == "Z" { return .utc }
        if let known = cache.withLock({ $0[name] }) { return known }
        guard isWellFormedName(name),
            let data = FileManager.default.contents(atPath: zoneDirectory + "/" + name),
            let zone = ZoneRules(name: name, tzif: [UInt8](data))
        else {
            throw BatonError(
                .invalidInput,
                "unknown time zone '\(name)': expected an IANA name such as America/New_York (from \(zoneDirectory))")
        }
        cache.withLock { $0[name] = zone }
        return zone
    }

    /// Seconds east of UTC in force at `instant`.
    public func offset(at instant: Int64) -> Int {
        guard let first = transitions.first, let last = transitions.last else { return tail.offset(at: instant) }
        if instant < first { return initialOffset }
        if instant > last { return tail.offset(at: instant) }
        return offsetsFrom[firstTransitionIndex(after: instant) - 1]
    }

    /// The wall clock at `instant`.
    public func civil(at instant: Int64) -> CivilTime {
        let instant = Self.clamped(instant)
        return CivilTime(localSeconds: instant + Int64(offset(at: instant)))
    }

    /// Instants within about a million years of 1970, so that calendar arithmetic on absurd ones
    /// (`Int64.max`) gives a meaningless answer instead of overflowing.
    static func clamped(_ instant: Int64) -> Int64 { min(max(instant, -(1 << 45)), 1 << 45) }

    /// Every instant whose wall clock reads `local`.
    public func resolve(_ local: CivilTime) -> LocalTimeResolution {
        let wall = local.localSeconds
        let windowEnd = wall - Int64(minimumOffset)
        // Every answer is `wall - o` for some offset `o` of the zone, so the window between the greatest
        // and least offsets holds them all; walk its stretches of constant offset.
        var start = wall - Int64(maximumOffset)
        var offset = Int64(self.offset(at: start))
        var previousOffset = offset
        var first: Int64?
        var second: Int64?
        var gap: (offsetBefore: Int64, end: Int64)?
        while true {
            let end = nextOffsetChange(after: start) ?? .max
            let candidate = wall - offset
            if candidate >= start, candidate < end {
                if first == nil { first = candidate } else if second == nil { second = candidate }
            } else if gap == nil, first == nil, start + offset > wall {
                gap = (wall - previousOffset, start)
            }
            if end > windowEnd || second != nil { break }
            previousOffset = offset
            start = end
            offset = Int64(self.offset(at: end))
        }
        switch (first, second, gap) {
        case (let first?, let second?, _): return .ambiguous(first: first, second: second)
        case (let first?, nil, _): return .unique(first)
        case (nil, _, let gap?): return .skipped(offsetBefore: gap.offsetBefore, gapEnd: gap.end)
        case (nil, _, nil): return .unique(wall - offset)  // unreachable: the window ends with the wall at or past `wall`
        }
    }

    /// The first instant after `instant` at which the offset may differ from the one before it, or nil
    /// when it never changes again.
    func nextOffsetChange(after instant: Int64) -> Int64? {
        if let last = transitions.last, instant < last {
            return transitions[firstTransitionIndex(after: instant)]
        }
        if let last = transitions.last, instant == last, tail.offset(at: last + 1) != offsetsFrom[offsetsFrom.count - 1] {
            return last + 1
        }
        return tail.nextChange(after: instant)
    }

    /// The index of the first transition later than `instant` (binary search).
    private func firstTransitionIndex(after instant: Int64) -> Int {
        var low = 0
        var high = transitions.count
        while low < high {
            let middle = (low + high) / 2
            if transitions[middle] <= instant { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Relative paths of letters, digits and `_ + - .`, without empty, `.` or `..` components.
    private static func isWellFormedName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 255 else { return false }
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x5F || byte == 0x2B || byte == 0x2D || byte == 0x2E || byte == 0x2F
        }
        return allowed && name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty && part != "." && part != ".."
        }
    }

    public static func == (a: ZoneRules, b: ZoneRules) -> Bool {
        a.name == b.name && a.transitions == b.transitions && a.offsetsFrom == b.offsetsFrom
            && a.initialOffset == b.initialOffset && a.tail == b.tail
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

/// The instants a wall-clock time names in a zone.
public enum LocalTimeResolution: Sendable, Hashable {
    case unique(Int64)
    /// A fall-back overlap: the wall time happens twice.
    case ambiguous(first: Int64, second: Int64)
    /// A spring-forward gap: the wall time never happens. `offsetBefore` is the instant when the
    /// time is read with the offset in force before the gap; `gapEnd` is the transition instant (the
    /// first instant at which the wall clock reads at or past `local`).
    case skipped(offsetBefore: Int64, gapEnd: Int64)

    /// RFC 5545 §3.3.5 (and Python's fold=0): a skipped time read with the offset before the gap,
    /// an ambiguous one's first occurrence.
    public var rfc5545Instant: Int64 {
        switch self {
        case .unique(let instant): instant
        case .ambiguous(let first, _): first
        case .skipped(let offsetBefore, _): offsetBefore
        }
    }
}

// MARK: - TZif files (RFC 8536)

extension ZoneRules {
    /// Reads a TZif file: the 64-bit body when the version is 2 or later, else the 32-bit one; nil when
    /// the bytes are not a well-formed TZif file.
    init?(name: String, tzif bytes: [UInt8]) {
        var reader = TZifReader(bytes: bytes)
        guard var header = reader.header() else { return nil }
        var timeSize = 4
        if header.version >= 2 {
            reader.position += header.bodySize(timeSize: 4)
            guard let second = reader.header() else { return nil }
            header = second
            timeSize = 8
        }
        var transitions: [Int64] = []
        transitions.reserveCapacity(header.timeCount)
        for _ in 0..<header.timeCount {
            guard let time = reader.integer(size: timeSize) else { return nil }
            if let previous = transitions.last, time <= previous { return nil }
            transitions.append(time)
        }
        var typeIndexes: [Int] = []
        for _ in 0..<header.timeCount {
            guard let index = reader.integer(size: 1), index < header.typeCount else { return nil }
            typeIndexes.append(Int(index))
        }
        var typeOffsets: [Int] = []
        var typeIsDaylight: [Bool] = []
        for _ in 0..<header.typeCount {
            guard let offset = reader.integer(size: 4), let isDaylight = reader.integer(size: 1),
                reader.integer(size: 1) != nil
            else { return nil }
            typeOffsets.append(Int(Int32(truncatingIfNeeded: offset)))
            typeIsDaylight.append(isDaylight != 0)
        }
        reader.position += header.charCount + header.leapCount * (timeSize + 4) + header.isStdCount
            + header.isUTCount
        var tail: ZoneTail?
        if header.version >= 2 {
            guard let footer = reader.footer() else { return nil }
            if !footer.isEmpty {
                guard let rule = ZoneTail(posix: footer) else { return nil }
                tail = rule
            }
        }
        let offsetsFrom = typeIndexes.map { typeOffsets[$0] }
        // Python's zoneinfo: before the first transition, the first standard-time type.
        let initialType = typeIsDaylight.firstIndex(of: false) ?? typeIndexes.first ?? 0
        self.init(
            name: name, transitions: transitions, offsetsFrom: offsetsFrom, initialOffset: typeOffsets[initialType],
            tail: tail ?? .fixed(offsetsFrom.last ?? typeOffsets[typeOffsets.count - 1]))
    }
}

/// The counts of a TZif header.
private struct TZifHeader {
    var version: Int
    var isUTCount: Int
    var isStdCount: Int
    var leapCount: Int
    var timeCount: Int
    var typeCount: Int
    var charCount: Int

    func bodySize(timeSize: Int) -> Int {
        timeCount * (timeSize + 1) + typeCount * 6 + charCount + leapCount * (timeSize + 4) + isStdCount + isUTCount
    }
}

/// Big-endian reads from a TZif file's bytes, each nil past the end.
private struct TZifReader {
    let bytes: [UInt8]
    var position = 0

    mutating func integer(size: Int) -> Int64? {
        guard position >= 0, size <= bytes.count - position else { return nil }
        var value: UInt64 = 0
        for byte in bytes[position..<(position + size)] { value = value << 8 | UInt64(byte) }
        position += size
        // Sign-extend 4- and 8-byte fields; 1-byte fields are unsigned.
        switch size {
        case 4: return Int64(Int32(truncatingIfNeeded: value))
        case 8: return Int64(bitPattern: value)
        default: return Int64(value)
        }
    }

    mutating func header() -> TZifHeader? {
        guard position >= 0, bytes.count - position >= 44, bytes[position..<(position + 4)].elementsEqual("TZif".utf8)
        else { return nil }
        let version: Int
        switch bytes[position + 4] {
        case 0: version = 1
        case 0x32...0x34: version = Int(bytes[position + 4] - 0x30)
        default: return nil
        }
        position += 20
        var counts: [Int] = []
        for _ in 0..<6 {
            guard let count = integer(size: 4), count >= 0, count < 1 << 24 else { return nil }
            counts.append(Int(count))
        }
        guard counts[4] >= 1 else { return nil }
        return TZifHeader(
            version: version, isUTCount: counts[0], isStdCount: counts[1], leapCount: counts[2], timeCount: counts[3],
            typeCount: counts[4], charCount: counts[5])
    }

    /// The text between the newlines that follow a version 2+ body.
    mutating func footer() -> [UInt8]? {
        guard position >= 0, position < bytes.count, bytes[position] == 0x0A else { return nil }
        guard let end = bytes[(position + 1)...].firstIndex(of: 0x0A) else { return nil }
        return Array(bytes[(position + 1)..<end])
    }
}

// MARK: - POSIX TZ strings (the TZif footer)

/// What a TZif footer says about instants after the last transition: one offset, or standard and
/// daylight time switched by yearly rules.
enum ZoneTail: Sendable, Hashable {
    case fixed(Int)
    case seasonal(SeasonalRule)

    var offsets: [Int] {
        switch self {
        case .fixed(let offset): [offset]
        case .seasonal(let rule): [rule.standardOffset, rule.daylightOffset]
        }
    }

    func offset(at instant: Int64) -> Int {
        switch self {
        case .fixed(let offset): offset
        case .seasonal(let rule):
            rule.isDaylight(at: ZoneRules.clamped(instant)) ? rule.daylightOffset : rule.standardOffset
        }
    }

    /// The first instant after `instant` whose offset differs from the second before it.
    func nextChange(after instant: Int64) -> Int64? {
        guard case .seasonal(let rule) = self, instant < 1 << 45 else { return nil }
        let instant = ZoneRules.clamped(instant)
        // The rule is applied per UTC year, so a change can only happen at a year's start or at one of
        // its two switches; three years always hold the next one when there is any.
        let year = CivilTime(localSeconds: instant).year
        var candidates: [Int64] = []
        for candidateYear in year...(year + 2) {
            let bounds = rule.bounds(inYear: candidateYear)
            candidates += [CivilTime.days(year: candidateYear, month: 1, day: 1) * 86_400, bounds.start, bounds.end]
        }
        return candidates.sorted().first { $0 > instant && offset(at: $0) != offset(at: $0 - 1) }
    }

    /// Parses a POSIX TZ string such as `EST5EDT,M3.2.0,M11.1.0` or `<+1030>-10:30<+11>-11,M10.1.0,M4.1.0`.
    init?(posix text: [UInt8]) {
        var scanner = PosixScanner(bytes: text)
        guard scanner.skipName() else { return nil }
        if scanner.isAtEnd {
            self = .fixed(0)
            return
        }
        guard let standardWest = scanner.duration(maxHours: 24) else { return nil }
        if scanner.isAtEnd {
            self = .fixed(-standardWest)
            return
        }
        guard scanner.skipName() else { return nil }
        var daylight = -standardWest + 3600
        if !scanner.peek(0x2C) {
            guard let daylightWest = scanner.duration(maxHours: 24) else { return nil }
            daylight = -daylightWest
        }
        guard scanner.eat(0x2C), let start = scanner.ruleDate(), scanner.eat(0x2C), let end = scanner.ruleDate(),
            scanner.isAtEnd
        else { return nil }
        self = .seasonal(SeasonalRule(standardOffset: -standardWest, daylightOffset: daylight, start: start, end: end))
    }
}

/// Daylight time from `start` (read in standard time) to `end` (read in daylight time) each year.
struct SeasonalRule: Sendable, Hashable {
    var standardOffset: Int
    var daylightOffset: Int
    var start: RuleDate
    var end: RuleDate

    /// The UTC instants at which daylight time starts and ends in `year`.
    func bounds(inYear year: Int) -> (start: Int64, end: Int64) {
        (start.localSeconds(inYear: year) - Int64(standardOffset), end.localSeconds(inYear: year) - Int64(daylightOffset))
    }

    /// Whether daylight time is in force, judged against the switches of the instant's UTC year; when
    /// the end comes before the start (the southern hemisphere) daylight time spans the new year.
    func isDaylight(at instant: Int64) -> Bool {
        let bounds = bounds(inYear: CivilTime(localSeconds: instant).year)
        return bounds.start < bounds.end
            ? bounds.start <= instant && instant < bounds.end
            : !(bounds.end <= instant && instant < bounds.start)
    }
}

/// A day of the year and a time of day from a POSIX TZ rule: `Jn`, `n` or `Mm.w.d`, then `/time`.
struct RuleDate: Sendable, Hashable {
    enum Day: Sendable, Hashable {
        /// `Jn`: 1 to 365, February 29 never counted.
        case julian(Int)
        /// `n`: 0 to 365, February 29 counted.
        case zeroBased(Int)
        /// `Mm.w.d`: day `d` (0 = Sunday) of week `w` (5 = the last) of month `m`.
        case weekday(month: Int, week: Int, day: Int)
    }

    var day: Day
    /// Seconds after local midnight; may be negative or past a day (RFC 8536 allows -167 to 167 hours).
    var time: Int

    func localSeconds(inYear year: Int) -> Int64 {
        let newYear = CivilTime.days(year: year, month: 1, day: 1)
        let days: Int64
        switch day {
        case .julian(let n):
            days = newYear + Int64(n - 1) + (CivilTime.isLeapYear(year) && n >= 60 ? 1 : 0)
        case .zeroBased(let n):
            days = newYear + Int64(n)
        case .weekday(let month, let week, let weekday):
            let first = CivilTime.days(year: year, month: month, day: 1)
            let firstWeekday = (CivilTime.weekday(ofDays: first) + 1) % 7  // 0 = Sunday
            var dayOfMonth = 1 + (weekday - firstWeekday + 7) % 7 + (week - 1) * 7
            if dayOfMonth > CivilTime.daysInMonth(year: year, month: month) { dayOfMonth -= 7 }
            days = first + Int64(dayOfMonth - 1)
        }
        return days * 86_400 + Int64(time)
    }
}

/// Reads the parts of a POSIX TZ string.
private struct PosixScanner {
    let bytes: [UInt8]
    var position = 0

    var isAtEnd: Bool { position == bytes.count }

    func peek(_ byte: UInt8) -> Bool { position < bytes.count && bytes[position] == byte }

    mutating func eat(_ byte: UInt8) -> Bool {
        guard peek(byte) else { return false }
        position += 1
        return true
    }

    /// A zone abbreviation: letters, or `<…>` around letters, digits, `+` and `-`.
    mutating func skipName() -> Bool {
        let start = position
        if eat(0x3C) {
            while position < bytes.count, isDigit(bytes[position]) || isLetter(bytes[position])
                || bytes[position] == 0x2B || bytes[position] == 0x2D
            {
                position += 1
            }
            return position > start + 1 && eat(0x3E)
        }
        while position < bytes.count, isLetter(bytes[position]) { position += 1 }
        return position > start
    }

    /// `[+-]h[h[h]][:mm[:ss]]` in seconds.
    mutating func duration(maxHours: Int) -> Int? {
        let sign = eat(0x2D) ? -1 : 1
        if sign == 1 { _ = eat(0x2B) }
        guard let hours = number(maxDigits: 3), hours <= maxHours else { return nil }
        var total = hours * 3600
        if eat(0x3A) {
            guard let minutes = number(maxDigits: 2), minutes < 60 else { return nil }
            total += minutes * 60
            if eat(0x3A) {
                guard let seconds = number(maxDigits: 2), seconds < 60 else { return nil }
                total += seconds
            }
        }
        return sign * total
    }

    /// `Jn`, `n` or `Mm.w.d`, then an optional `/time` (02:00 when absent).
    mutating func ruleDate() -> RuleDate? {
        let day: RuleDate.Day
        if eat(0x4A) {
            guard let n = number(maxDigits: 3), (1...365).contains(n) else { return nil }
            day = .julian(n)
        } else if eat(0x4D) {
            guard let month = number(maxDigits: 2), (1...12).contains(month), eat(0x2E),
                let week = number(maxDigits: 1), (1...5).contains(week), eat(0x2E),
                let weekday = number(maxDigits: 1), weekday <= 6
            else { return nil }
            day = .weekday(month: month, week: week, day: weekday)
        } else {
            guard let n = number(maxDigits: 3), n <= 365 else { return nil }
            day = .zeroBased(n)
        }
        var time = 7200
        if eat(0x2F) {
            guard let value = duration(maxHours: 167) else { return nil }
            time = value
        }
        return RuleDate(day: day, time: time)
    }

    private mutating func number(maxDigits: Int) -> Int? {
        var value = 0
        var digits = 0
        while digits < maxDigits, position < bytes.count, isDigit(bytes[position]) {
            value = value * 10 + Int(bytes[position] - 0x30)
            position += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private func isLetter(_ byte: UInt8) -> Bool { (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) }
}
