import BatonCore
import Foundation

/// The log lines of long-running processes (`baton server start`, `baton worker start`): for people,
/// a time and the message; with `--log-format json`, one JSON object per line for log shippers:
///
///     {"component":"server","level":"info","message":"server stopped","pid":4242,"ts":"2026-12-05T06:01:02.345Z"}
struct LogLines: Sendable {
    enum Style: String, Sendable {
        case text, json
    }

    /// The `--log-format` option, for the commands that take it.
    static let option = OptionSpec.value("log-format", "FORMAT", "text (default) or json: one JSON object per line (ts, level, component, message, pid)")

    let format: Style
    let component: String
    let terminal: Terminal

    /// The format `--log-format` asks for; anything but text or json is refused naming the option.
    init(_ args: ParsedArguments, component: String, terminal: Terminal) throws {
        let text = args.value("log-format") ?? Style.text.rawValue
        guard let format = Style(rawValue: text.lowercased()) else {
            throw BatonError(.invalidInput, "--log-format '\(text)' is not valid: expected text or json")
        }
        self.init(format: format, component: component, terminal: terminal)
    }

    init(format: Style, component: String, terminal: Terminal) {
        self.format = format
        self.component = component
        self.terminal = terminal
    }

    /// Writes one line. Servers and workers say what they do in sentences without levels, so every
    /// line is "info"; failures are in the message.
    func say(_ message: String) {
        switch format {
        case .text:
            terminal.line("\(terminal.dim(Format.clock(Date()))) \(message)")
        case .json:
            let object: [String: JSONValue] = [
                "ts": .string(Timestamps.iso(Date())), "level": .string("info"), "component": .string(component),
                "message": .string(message), "pid": .int(Int64(getpid())),
            ]
            terminal.line(JSONValue.object(object).jsonText)
        }
    }
}
