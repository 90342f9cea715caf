import BatonCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Standard output or error, with colour only when it is a terminal and NO_COLOR is unset.
struct Terminal: Sendable {
    let fd: Int32
    let colors: Bool

    static let standardOutput = Terminal(fd: 1)
    static let standardError = Terminal(fd: 2)

    init(fd: Int32) {
        self.fd = fd
        colors = isatty(fd) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }

    func line(_ text: String = "") { write(text + "\n") }

    func paint(_ text: String, _ code: String) -> String { colors ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    func bold(_ text: String) -> String { paint(text, "1") }
    func dim(_ text: String) -> String { paint(text, "2") }

    func state(_ state: RunState) -> String { self.state(state.type, state.name) }

    func state(_ run: RunView) -> String { state(run.stateType, run.stateName) }

    func state(_ type: StateType, _ name: String) -> String {
        let code = switch type {
        case .completed: "32"
        case .failed, .crashed: "31"
        case .running, .pending: "36"
        case .cancelled, .cancelling: "33"
        case .scheduled, .paused: "35"
        }
        return paint(name, code)
    }

    func level(_ level: LogLevel) -> String {
        let name = level.name.padding(toLength: 7, withPad: " ", startingAt: 0)
        switch level {
        case .debug: return dim(name)
        case .info: return paint(name, "36")
        case .warning: return paint(name, "33")
        case .error: return paint(name, "31")
        }
    }
}

/// How times, durations and tables read.
enum Format {
    // Times are formatted with the C library's local time, not DateFormatter: the first use of a
    // DateFormatter loads ICU's locale and time zone data, which costs every command 10 ms or more.
    private static func local(_ date: Date) -> (tm, Int) {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        var parts = tm()
        localtime_r(&whole, &parts)
        return (parts, Int((seconds - seconds.rounded(.down)) * 1000))
    }

    private static func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// `14:03:22.101`, in local time.
    static func clock(_ date: Date) -> String {
        let (t, milliseconds) = local(date)
        let ms = milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        return "\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)).\(ms)"
    }

    /// `2026-11-21 14:03:22`, in local time.
    static func dateTime(_ date: Date) -> String {
        let (t, _) = local(date)
        return "\(t.tm_year + 1900)-\(two(t.tm_mon + 1))-\(two(t.tm_mday)) \(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec))"
    }

    static func duration(_ seconds: Double?) -> String {
        guard let seconds else { return "-" }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 60 { return String(format: "%.2f s", seconds) }
        let minutes = Int(seconds) / 60
        if minutes < 60 { return "\(minutes) min \(Int(seconds) % 60) s" }
        return "\(minutes / 60) h \(minutes % 60) min"
    }

    static func ago(_ date: Date, now: Date = Date()) -> String {
        let seconds = Int(now.timeIntervalSince(date))
        switch seconds {
        case ..<5: return "just now"
        case ..<60: return "\(seconds) s ago"
        case ..<3600: return "\(seconds / 60) min ago"
        case ..<86_400: return "\(seconds / 3600) h ago"
        default: return "\(seconds / 86_400) d ago"
        }
    }

    /// Columns padded to their widest cell. Colour codes do not count towards width.
    static func table(_ headers: [String], _ rows: [[String]]) -> String {
        let widths = headers.indices.map { column in
            ([headers[column]] + rows.map { $0[column] }).map(visibleWidth).max() ?? 0
        }
        func render(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                column == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - visibleWidth(cell) + 2)
            }.joined()
        }
        return ([render(headers)] + rows.map(render)).joined(separator: "\n")
    }

    /// Two columns, indented by two spaces, the second starting two spaces after the longest entry
    /// of the first (or after `width`, to align several lists): the lists of a help screen.
    static func columns(_ rows: [(String, String)], width: Int? = nil) -> String {
        let width = width ?? rows.map { visibleWidth($0.0) }.max() ?? 0
        return rows.map { name, text in
            "  " + name + String(repeating: " ", count: width - visibleWidth(name) + 2) + text
        }.joined(separator: "\n")
    }

    /// `a, b or c` (`and` unless `or`).
    static func list(_ items: [String], or: Bool = false) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + (or ? " or " : " and ") + items.last!
    }

    static func visibleWidth(_ text: String) -> Int {
        var width = 0
        var escape = false
        for scalar in text.unicodeScalars {
            if scalar == "\u{1B}" { escape = true; continue }
            if escape { if scalar == "m" { escape = false }; continue }
            width += 1
        }
        return width
    }

    /// Parameters as `city="Boston", days=3`, long values cut with their size.
    static func parameters(_ parameters: [String: JSONValue]) -> String {
        parameters.isEmpty ? "(none)" : parameters.keys.sorted().map { "\($0)=\(LogText.abbreviated(parameters[$0]!))" }.joined(separator: ", ")
    }

    static func truncated(_ text: String, _ limit: Int) -> String {
        text.count > limit ? String(text.prefix(limit - 3)) + "..." : text
    }

    static func json<T: Encodable>(_ value: T) -> String {
        String(decoding: (try? BatonCoding.encoder(pretty: true).encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }
}
