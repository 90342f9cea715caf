import Foundation

/// A worker and whether it is alive.
public struct WorkerView: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var pool: String
    public var host: String
    public var pid: Int32
    public var limit: Int
    public var startedAt: Date
    public var heartbeatAt: Date
    public var stoppedAt: Date?
    public var activeRuns: Int
    /// Not stopped, and heard from within three heartbeat periods.
    public var healthy: Bool
    /// Its heartbeat period, in seconds.
    public var heartbeatSeconds: Double

    public init(_ w: WorkerRecord, now: Date = Date()) {
        id = w.id
        name = w.name
        pool = w.pool
        host = w.host
        pid = w.pid
        limit = w.limit
        startedAt = Timestamps.wholeMilliseconds(w.startedAt)
        heartbeatAt = Timestamps.wholeMilliseconds(w.heartbeatAt)
        stoppedAt = Timestamps.wholeMilliseconds(w.stoppedAt)
        activeRuns = w.activeRuns
        healthy = w.isHealthy(at: now)
        heartbeatSeconds = w.heartbeatSeconds ?? WorkerRecord.defaultHeartbeat
    }
}
