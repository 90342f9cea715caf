import BatonCore
/// Reading and writing schedule times as ISO 8601 text.
///
/// Written by hand rather than with Foundation's formatters, which load ICU; wall times without an
/// offset are read in a ``ZoneRules`` zone.
public enum ScheduleTime {
    /// ISO 8601 date-time: `2026-03-08T01:30:00-05:00`, `…Z`, `…+0530`, with optional fractional
    /// seconds (truncated toward the past to whole seconds), `T` or a space between date and time,
    /// seconds optional (`2026-03-08T01:30`), or a date alone (`2026-03-08` = midnight). Without an
    /// offset it is a wall-clock time in `zone`, read as rfc5545Instant.
    ///
    /// Offsets may be `Z`, `±HH`, `±HH:MM`, `±HHMM`, `±HH:MM:SS` or `±HHMMSS`. Errors name the text and
    /// the expected form.
    public static func parse(_ text: String, in zone: ZoneRules) throws -> Int64 {
        guard let parsed = parseParts(Array(text.utf8)), parsed.time.isValid else {
            throw BatonError(
                .invalidInput,
                "date '\(text)' is not ISO 8601: expected e.g. 2026-03-08T09:00:00 or 2026-03-08T09:00:00-05:00")
        }
        if let offset = parsed.offset { return parsed.time.localSeconds - Int64(offset) }
        return zone.resolve(parsed.time).rfc5545Instant
    }

    /// `2026-03-08T03:00:00-04:00`; UTC as `+00:00`; an offset with seconds as `+HH:MM:SS` (as Python's isoformat()).
    public static func format(_ instant: Int64, in zone: ZoneRules) -> String {
        let offset = zone.offset(at: instant)
        let wall = zone.civil(at: instant)
        let size = offset.magnitude
        var text = wall.description + (offset < 0 ? "-" : "+")
        text += "\(CivilTime.pad(Int(size / 3600), 2)):\(CivilTime.pad(Int(size / 60 % 60), 2))"
        if size % 60 != 0 { text += ":\(CivilTime.pad(Int(size % 60), 2))" }
        return text
    }

    /// The wall time and the offset (seconds east of UTC, when the text has one); nil when the text is not
    /// one of the accepted forms. The fields are not yet checked against the calendar.
    private static func parseParts(_ bytes: [UInt8]) -> (time: CivilTime, offset: Int?)? {
        var scanner = DigitScanner(bytes: bytes)
        guard let year = scanner.digits(4), scanner.eat("-"), let month = scanner.digits(2), scanner.eat("-"),
            let day = scanner.digits(2)
        else { return nil }
        var time = CivilTime(year: year, month: month, day: day)
        if scanner.isAtEnd { return (time, nil) }
        guard scanner.eat("T") || scanner.eat("t") || scanner.eat(" "), let hour = scanner.digits(2), scanner.eat(":"),
            let minute = scanner.digits(2)
        else { return nil }
        time.hour = hour
        time.minute = minute
        if scanner.eat(":") {
            guard let second = scanner.digits(2) else { return nil }
            time.second = second
            // Fractional seconds are dropped: truncating a positive fraction moves toward the past.
            if scanner.eat(".") || scanner.eat(",") {
                guard scanner.skipDigits() > 0 else { return nil }
            }
        }
        if scanner.isAtEnd { return (time, nil) }
        if scanner.eat("Z") || scanner.eat("z") { return scanner.isAtEnd ? (time, 0) : nil }
        let sign: Int
        if scanner.eat("+") { sign = 1 } else if scanner.eat("-") { sign = -1 } else { return nil }
        guard let hours = scanner.digits(2), hours < 24 else { return nil }
        var size = hours * 3600
        if !scanner.isAtEnd {
            let colons = scanner.eat(":")
            guard let minutes = scanner.digits(2), minutes < 60 else { return nil }
            size += minutes * 60
            if !scanner.isAtEnd {
                guard !colons || scanner.eat(":"), let seconds = scanner.digits(2), seconds < 60 else { return nil }
                size += seconds
            }
        }
        return scanner.isAtEnd ? (time, sign * size) : nil
    }
}

/// Fixed-width ASCII digits and single characters, read in order.
private struct DigitScanner {
    let bytes: [UInt8]
    var position = 0

    var isAtEnd: Bool { position == bytes.count }

    mutating func eat(_ character: Unicode.Scalar) -> Bool {
        guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
        position += 1
        return true
    }

    /// Exactly `count` digits as a number.
    mutating func digits(_ count: Int) -> Int? {
        guard bytes.count - position >= count else { return nil }
        var value = 0
        for byte in bytes[position..<(position + count)] {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        position += count
        return value
    }

    /// Skips a run of digits and says how many there were.
    mutating func skipDigits() -> Int {
        let start = position
        while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 { position += 1 }
        return position - start
    }
}
