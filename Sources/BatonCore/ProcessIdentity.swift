/// A process as the store records it (a holder of concurrency slots, a run's supervisor, a worker):
/// its pid and start time, so that a reused pid is not taken for it, and the host it runs on, since a
/// pid means something only there. `BatonProcess` reads them for this process (`current`) and tells
/// whether a process of this host is still the one recorded (`isAlive`).
public struct ProcessIdentity: Sendable, Hashable {
    public var pid: Int32
    public var start: String
    /// The host's name; nil for a process recorded before hosts were (always this host's).
    public var host: String?

    public init(pid: Int32, start: String, host: String? = nil) {
        self.pid = pid
        self.start = start
        self.host = host
    }

    /// The start time and the host as one stored text, `start@host`: the store keeps a process in
    /// two columns, its pid and this.
    public var stored: String { host.map { "\(start)@\($0)" } ?? start }

    /// A process as the store keeps it (see `stored`).
    public init(pid: Int32, stored: String) {
        if let at = stored.lastIndex(of: "@") {
            self.init(pid: pid, start: String(stored[..<at]), host: String(stored[stored.index(after: at)...]))
        } else {
            self.init(pid: pid, start: stored)
        }
    }
}
