import Foundation

extension ScheduleSpec {
    /// The schedule in words for people, e.g. "every 15 minutes from 06:00 to 22:59, Monday to
    /// Friday (America/Denver)" or "weekly on Saturday and Sunday at 09:00 (UTC)". Expressions too
    /// unusual to say simply are given as they are.
    public var inWords: String {
        let zone = " (\(timeZone ?? "UTC"))"
        switch kind {
        case "interval": return "every " + Self.describe(seconds: intervalSeconds ?? 0) + zone
        case "cron": return (cron.flatMap(CronWords.say) ?? "cron \(cron ?? "?")") + zone
        default: return (rrule.flatMap(RecurrenceWords.say) ?? "rrule \(rrule ?? "?")") + zone
        }
    }
}

/// Cron expressions said in words, for the common shapes.
enum CronWords {
    static let nicknames = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    static let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    static let dayNames = ["SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6]
    static let months = ["", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    static let monthNames = ["JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12]

    static func say(_ expression: String) -> String? {
        let text = nicknames[expression.lowercased().trimmingCharacters(in: .whitespaces)] ?? expression
        let fields = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else { return nil }
        let (minute, hour, dom, month, dow) = (fields[0], fields[1], fields[2], fields[3], fields[4])
        guard let time = timeOfDay(minute: minute, hour: hour) else { return nil }
        var parts = [time]
        if dom != "*" {
            guard let days = list(dom, names: [:], say: { ordinal($0) }) else { return nil }
            parts.append("on the \(days) of the month")
        }
        if month != "*" {
            guard let said = list(month, names: monthNames, say: { (1...12).contains($0) ? months[$0] : nil }) else { return nil }
            parts.append("in \(said)")
        }
        if dow != "*" {
            guard let said = list(dow, names: dayNames, say: { (0...7).contains($0) ? days[$0] : nil }) else { return nil }
            parts.append((dom != "*" ? "or on " : "on ") + said)
        }
        return parts.joined(separator: ", ")
    }

    /// The minute and hour fields: "at 09:30", "every 15 minutes from 06:00 to 22:59", "every hour at :05".
    private static func timeOfDay(minute: String, hour: String) -> String? {
        if let m = Int(minute), (0...59).contains(m) {
            if let h = Int(hour), (0...23).contains(h) { return String(format: "at %02d:%02d", h, m) }
            if hour == "*" { return m == 0 ? "every hour on the hour" : String(format: "every hour at :%02d", m) }
            if let hours = numbers(hour), hours.count <= 6 {
                return "at " + hours.map { String(format: "%02d:%02d", $0, m) }.joined(separator: ", ")
            }
            return hourRange(hour).map { String(format: "every hour at :%02d", m) + " \($0)" }
        }
        let every: String
        if minute == "*" {
            every = "every minute"
        } else if minute.hasPrefix("*/"), let step = Int(minute.dropFirst(2)), step > 0 {
            every = step == 1 ? "every minute" : "every \(step) minutes"
        } else {
            return nil
        }
        if hour == "*" { return every }
        if let h = Int(hour), (0...23).contains(h) { return every + String(format: " from %02d:00 to %02d:59", h, h) }
        return hourRange(hour).map { every + " \($0)" }
    }

    private static func hourRange(_ hour: String) -> String? {
        let bounds = hour.split(separator: "-")
        guard bounds.count == 2, let a = Int(bounds[0]), let b = Int(bounds[1]), 0 <= a, a <= b, b <= 23 else { return nil }
        return String(format: "from %02d:00 to %02d:59", a, b)
    }

    /// A plain list of numbers ("1,15" or "9"), nil for anything else.
    private static func numbers(_ field: String) -> [Int]? {
        let values = field.split(separator: ",").map { Int($0) }
        return values.contains(nil) ? nil : values.compactMap { $0 }
    }

    /// "MON-FRI" → "Monday to Friday", "SAT,SUN" → "Saturday and Sunday"; nil for steps and the unknown.
    private static func list(_ field: String, names: [String: Int], say: (Int) -> String?) -> String? {
        func value(_ text: Substring) -> Int? { Int(text) ?? names[text.uppercased()] }
        var said: [String] = []
        for item in field.split(separator: ",") {
            let range = item.split(separator: "-")
            if range.count == 2, let a = value(range[0]), let b = value(range[1]), let x = say(a), let y = say(b) {
                said.append("\(x) to \(y)")
            } else if range.count == 1, let a = value(range[0]), let x = say(a) {
                said.append(x)
            } else {
                return nil
            }
        }
        return said.count > 1 ? said.dropLast().joined(separator: ", ") + " and " + said.last! : said.first
    }

    private static func ordinal(_ n: Int) -> String? {
        guard (1...31).contains(n) else { return nil }
        let suffix = (11...13).contains(n % 100) ? "th" : ["th", "st", "nd", "rd", "th", "th", "th", "th", "th", "th"][n % 10]
        return "\(n)\(suffix)"
    }
}

/// RRULEs said in words, for the common shapes: a frequency, days, and a time.
enum RecurrenceWords {
    static let days = ["MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday", "SA": "Saturday", "SU": "Sunday"]

    static func say(_ rule: String) -> String? {
        var parts: [String: String] = [:]
        for pair in rule.split(separator: ";") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { return nil }
            parts[kv[0].uppercased()] = String(kv[1])
        }
        let known: Set<String> = ["FREQ", "INTERVAL", "BYDAY", "BYHOUR", "BYMINUTE", "COUNT", "UNTIL"]
        guard let freq = parts["FREQ"]?.uppercased(), Set(parts.keys).isSubset(of: known) else { return nil }
        let interval = Int(parts["INTERVAL"] ?? "1") ?? 1
        let unit = ["DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year", "HOURLY": "hour", "MINUTELY": "minute"][freq]
        guard let unit else { return nil }
        var text = interval == 1 ? ["DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "monthly", "YEARLY": "yearly", "HOURLY": "hourly", "MINUTELY": "every minute"][freq]!
            : "every \(interval) \(unit)s"
        if let byDay = parts["BYDAY"] {
            let names = byDay.split(separator: ",").map { days[String($0).uppercased()] }
            guard !names.contains(nil) else { return nil }
            let list = names.compactMap { $0 }
            text += " on " + (list.count > 1 ? list.dropLast().joined(separator: ", ") + " and " + list.last! : list[0])
        }
        if let hours = parts["BYHOUR"] {
            let minute = Int(parts["BYMINUTE"] ?? "0") ?? 0
            let times = hours.split(separator: ",").compactMap { Int($0) }.map { String(format: "%02d:%02d", $0, minute) }
            text += " at " + times.joined(separator: ", ")
        }
        if let count = parts["COUNT"] { text += ", \(count) times" }
        if let until = parts["UNTIL"] { text += ", until \(until)" }
        return text
    }
}
