import CBatonABI

#if canImport(Glibc)
import Glibc
#endif

/// `print` as flow and task bodies see it: inside a run, each call becomes a log line of the run or
/// task run (unless the task or flow turned `logPrints` off); outside a run it prints as usual.
///
/// ```swift
/// let load = task("load") { (rows: [Row]) in
///     print("loading \(rows.count) rows")    // stored as an INFO line of the task run
/// }
/// ```
public func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let text = items.map { "\($0)" }.joined(separator: separator)
    if let scope = RunScope.current, scope.logPrints {
        scope.host.log(caller: scope.caller, level: BATON_LOG_INFO, message: text)
    } else {
        Swift.print(text, terminator: terminator)
    }
}
