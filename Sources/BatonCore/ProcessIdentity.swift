/// A process as the store records it (a holder of concurrency slots, a run's supervisor): its pid
/// and start time, so that a reused pid is not taken for it. `BatonProcess` reads them for this
/// process (`current`) and tells whether the process is still the one recorded (`isAlive`).
public struct ProcessIdentity: Sendable, Hashable {
    public var pid: Int32
    public var start: String

    public init(pid: Int32, start: String) {
        self.pid = pid
        self.start = start
    }
}
