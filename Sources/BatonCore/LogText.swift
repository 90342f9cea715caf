import Foundation

/// How values are shown in log lines and messages: sizes in bytes as people read them, and long
/// values cut short with their size, so one 10 MB parameter cannot flood a log.
public enum LogText {
    /// Values longer than this many UTF-8 bytes are cut by `abbreviated`.
    public static let defaultLimit = 200

    /// `text` whole when it is at most `limit` bytes; otherwise its first `keep` characters, an
    /// ellipsis and its size. A JSON string keeps its closing quote: `"aaaa…" (10.0 MB)`.
    public static func abbreviated(_ text: String, limit: Int = defaultLimit, keep: Int = 40) -> String {
        let size = text.utf8.count
        guard size > limit else { return text }
        let quoted = text.hasPrefix("\"") && text.hasSuffix("\"")
        return String(text.prefix(keep)) + "…" + (quoted ? "\"" : "") + " (\(bytes(size)))"
    }

    /// A JSON value as `abbreviated` shows it.
    public static func abbreviated(_ value: JSONValue, limit: Int = defaultLimit) -> String {
        abbreviated(value.jsonText, limit: limit)
    }

    /// A size in decimal units with one decimal: "512 bytes", "1.5 kB", "10.0 MB", "2.1 GB".
    public static func bytes(_ count: Int) -> String {
        guard count >= 1000 else { return "\(count) byte\(count == 1 ? "" : "s")" }
        var value = Double(count) / 1000
        for unit in ["kB", "MB", "GB"] {
            if value < 1000 || unit == "GB" { return String(format: "%.1f %@", value, unit) }
            value /= 1000
        }
        return "\(count) bytes"
    }
}
