import Foundation

/// ISO 8601 timestamps, written in UTC with milliseconds (`2026-11-21T14:03:22.101Z`) and read with
/// or without fractional seconds and with `Z` or a numeric offset.
///
/// Written by hand: Foundation's ISO 8601 format style costs about 100 ms the first time a process uses
/// it, which every runner child would pay.
public enum Timestamps {
    public static func iso(_ date: Date) -> String {
        let totalMilliseconds = milliseconds(date)
        var days = totalMilliseconds / 86_400_000
        var milliseconds = totalMilliseconds % 86_400_000
        if milliseconds < 0 {
            milliseconds += 86_400_000
            days -= 1
        }
        let (year, month, day) = civil(fromDays: days)
        let seconds = milliseconds / 1000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):"
            + "\(pad(seconds % 60, 2)).\(pad(milliseconds % 1000, 3))Z"
    }

    /// The date as `iso` writes it and `parse` reads it back: whole milliseconds. Views round their
    /// dates with it, so a value made here equals, bit for bit, the one a client decodes from the API.
    public static func wholeMilliseconds(_ date: Date) -> Date {
        let total = milliseconds(date)
        var seconds = total / 1000
        var rest = total % 1000
        if rest < 0 {
            rest += 1000
            seconds -= 1
        }
        // The fraction summed digit by digit, as `parse` does, so both give the same bits.
        var fraction = 0.0
        var scale = 0.1
        for digit in [rest / 100, rest / 10 % 10, rest % 10] {
            fraction += Double(digit) * scale
            scale /= 10
        }
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// `wholeMilliseconds` of an optional date.
    public static func wholeMilliseconds(_ date: Date?) -> Date? { date.map { wholeMilliseconds($0) } }

    /// Milliseconds since 1970, rounded down. The 0.01 ms of slack absorbs the error of reading a
    /// written date back (`parse` sums its digits in binary floating point), so that writing what was
    /// read gives the same text again.
    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000 + 0.01).rounded(.down)) }

    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= b.count else { return nil }
            var value: Int64 = 0
            for i in from..<(from + count) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                value = value * 10 + Int64(b[i] - 48)
            }
            return value
        }
        guard b.count >= 19, b[4] == 45, b[7] == 45, b[10] == 84 || b[10] == 116 || b[10] == 32, b[13] == 58,
            b[16] == 58, let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < b.count, b[index] == 46 {
            index += 1
            var scale = 0.1
            let start = index
            while index < b.count, b[index] >= 48, b[index] <= 57 {
                fraction += Double(b[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offset: Int64 = 0
        if index < b.count {
            if b[index] == 90 || b[index] == 122 {
                index += 1
            } else if b[index] == 43 || b[index] == 45 {
                let sign: Int64 = b[index] == 45 ? -1 : 1
                guard let h = number(index + 1, 2) else { return nil }
                var m: Int64 = 0
                if index + 3 < b.count, b[index + 3] == 58, let minutes = number(index + 4, 2) {
                    m = minutes
                    index += 6
                } else if let minutes = number(index + 3, 2) {
                    m = minutes
                    index += 5
                } else {
                    index += 3
                }
                offset = sign * (h * 3600 + m * 60)
            } else {
                return nil
            }
        } else {
            return nil
        }
        guard index == b.count else { return nil }
        let days = daysFromCivil(year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
