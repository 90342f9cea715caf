import BatonCore
import Foundation

extension ProcessIdentity {
    public static let current = ProcessIdentity(pid: getpid(), start: ProcessIdentity.startTime(of: getpid()) ?? "")

    /// The start time of a process, from /proc: field 22 of its stat line.
    static func startTime(of pid: Int32) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }

    /// Whether the recorded process still runs: a pid reused by another process has another start time.
    public var isAlive: Bool { ProcessIdentity.startTime(of: pid) == start }
}
