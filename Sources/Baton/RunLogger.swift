import CBatonABI
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Writes log lines that Baton stores with the current flow run or task run.
///
/// Inside a run, each line is recorded with its time, level, run and task, shown by `baton run logs`
/// and streamed by `baton run`. Outside a run (a unit test calling a task directly) lines go to
/// standard error.
///
/// ```swift
/// let extract = task("extract") { (city: String) in
///     logger.info("Fetching wind speed for \(city)")
///     …
/// }
/// ```
public struct RunLogger: Sendable {
    /// A logger; all loggers write to the run of the body they are called from.
    public init() {}

    /// Detail for debugging.
    public func debug(_ message: @autoclosure () -> String) { write(BATON_LOG_DEBUG, message()) }

    /// Progress a person would want to read.
    public func info(_ message: @autoclosure () -> String) { write(BATON_LOG_INFO, message()) }

    /// Something unexpected that did not stop the work.
    public func warning(_ message: @autoclosure () -> String) { write(BATON_LOG_WARNING, message()) }

    /// Something that failed.
    public func error(_ message: @autoclosure () -> String) { write(BATON_LOG_ERROR, message()) }

    private func write(_ level: Int32, _ message: String) {
        if let scope = RunScope.current {
            scope.host.log(caller: scope.caller, level: level, message: message)
        } else {
            let name = switch level {
            case BATON_LOG_DEBUG: "DEBUG"
            case BATON_LOG_INFO: "INFO"
            case BATON_LOG_WARNING: "WARNING"
            default: "ERROR"
            }
            var line = "\(name) \(message)\n"
            line.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
        }
    }
}

/// The logger of the current run: `logger.info("…")` inside any flow or task body.
public let logger = RunLogger()
