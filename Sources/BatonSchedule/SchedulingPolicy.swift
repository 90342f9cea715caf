import BatonCore
import Foundation

/// How far ahead the scheduler creates runs: every fire time within `lookahead`, and at least
/// `minimumAhead` future runs (so a daily schedule shows its next days), at most `maximumAhead`.
public struct SchedulingPolicy: Sendable, Hashable {
    /// A run not started this long after its time is `Late`; a slot further in the past than this
    /// when first seen was missed.
    public var grace: TimeInterval
    public var lookahead: TimeInterval
    public var minimumAhead: Int
    public var maximumAhead: Int
    /// Missed slots handled in one pass at most (the next pass goes on).
    public var maximumMissed: Int

    public init(grace: TimeInterval = RunTiming.lateGrace, lookahead: TimeInterval = 3600, minimumAhead: Int = 3, maximumAhead: Int = 100, maximumMissed: Int = 10_000) {
        self.grace = grace
        self.lookahead = lookahead
        self.minimumAhead = minimumAhead
        self.maximumAhead = maximumAhead
        self.maximumMissed = maximumMissed
    }
}

/// What one pass of the scheduler did.
public struct SchedulingReport: Sendable, Hashable {
    /// Runs created, oldest first.
    public var created: [String] = []
    /// Slots recorded as skipped (missed while nothing scheduled, catchup off).
    public var skipped = 0
    /// Runs marked `Late`.
    public var late = 0
    /// When the scheduler next has something to do, if it knows.
    public var nextWake: Date?

    public init() {}

    mutating func wake(at time: Date?) { nextWake = [nextWake, time].compactMap { $0 }.min() }
}
