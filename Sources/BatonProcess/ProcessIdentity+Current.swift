import BatonCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension ProcessIdentity {
    public static let current = ProcessIdentity(pid: getpid(), start: ProcessIdentity.startTime(of: getpid()) ?? "", host: localHost)

    /// This machine's host name, as processes on it are recorded.
    public static let localHost: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// The start time of a process, from /proc: field 22 of its stat line.
    static func startTime(of pid: Int32) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }

    /// Whether the process runs on this host, where its pid means something.
    public var isLocal: Bool { host == nil || host == Self.localHost }

    /// Whether the recorded process may still run: one of this host that still runs (a pid reused by
    /// another process has another start time), or any of another host, which is not judged here
    /// (its worker's heartbeats are: a silent worker's runs are crashed).
    public var isAlive: Bool { !isLocal || ProcessIdentity.startTime(of: pid) == start }
}
