import Foundation

/// Durations as people type them: `90s`, `30m`, `2h`, `1d`, or a number of seconds.
public enum Durations {
    public static func parse(_ text: String, option: String) throws -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let seconds = Double(trimmed), seconds >= 0, seconds.isFinite { return seconds }
        if let seconds = withUnit(trimmed) { return seconds }
        throw BatonError(.invalidInput, "\(option) '\(text)' is not valid: expected a duration such as 90s, 30m, 2h or 1d")
    }

    /// The seconds of a number with its unit (`90s`, `30m`, `24h`, `7d`), or nil for anything else.
    public static func withUnit(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        guard let unit = text.last, let factor = units[unit], let number = Double(text.dropLast()), number >= 0, number.isFinite else { return nil }
        return number * factor
    }

    /// `1800` → "30m", `5400` → "90m", `86400` → "1d".
    public static func words(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole >= 86400, whole % 86400 == 0 { return "\(whole / 86400)d" }
        if whole >= 3600, whole % 3600 == 0 { return "\(whole / 3600)h" }
        if whole >= 60, whole % 60 == 0 { return "\(whole / 60)m" }
        return "\(whole)s"
    }
}
