import BatonCore
import BatonStore
import Foundation

/// A time when the store refuses a supervisor's writes for want of space (its disk is full) or cannot
/// be reached (its database server went away), as the supervisor lives through it.
///
/// The run's events wait in memory, in order, and the runner's questions wait behind them, while the
/// runner goes on; writing is tried again after a pause that doubles up to `maxPause`. Past
/// `logLimit` waiting events, new log lines are counted instead of kept (states never are); past
/// `eventLimit`, the runner is stopped, and the run ends `crashed` once the store can be written.
struct StoreOutage {
    /// Waiting events past which log lines are dropped.
    static let logLimit = 10_000
    /// Waiting events past which the runner is stopped: some 100 MB of task states.
    static let eventLimit = 200_000
    static let maxPause: TimeInterval = 5

    let since: Date
    var error: String
    var outOfSpace: Bool
    var pause: TimeInterval = 0.1
    var nextTry: Date
    var droppedLogs = 0

    /// Whether a write that failed with `error` may succeed later: the store out of space, a file of
    /// its own (a large result) that could not be written, or its database server out of reach.
    static func canWaitOut(_ error: any Error) -> Bool {
        guard let error = error as? BatonError else { return false }
        return [.storeFull, .storeUnavailable, .io].contains(error.code)
    }

    init(_ error: any Error, now: Date = Date()) {
        since = now
        self.error = "\(error)"
        outOfSpace = (error as? BatonError)?.code == .storeFull
        nextTry = now.addingTimeInterval(pause)
    }

    mutating func failedAgain(_ error: any Error, now: Date = Date()) {
        self.error = "\(error)"
        outOfSpace = outOfSpace || (error as? BatonError)?.code == .storeFull
        pause = min(pause * 2, Self.maxPause)
        nextTry = now.addingTimeInterval(pause)
    }
}

/// The outages a run lived through, summed.
struct OutageRecord {
    var seconds: Double = 0
    var droppedLogs = 0
    var outOfSpace = false
    var error = ""

    mutating func add(_ outage: StoreOutage, until end: Date) {
        seconds += end.timeIntervalSince(outage.since)
        droppedLogs += outage.droppedLogs
        outOfSpace = outOfSpace || outage.outOfSpace
        error = outage.error
    }

    /// What a run's final state says of them.
    var sentence: String {
        let time = "\(Int(seconds.rounded(.up))) s"
        let what = outOfSpace ? "the disk holding the store was full for \(time)" : "the store could not be written for \(time) (\(error))"
        let lost = droppedLogs > 0 ? "\(droppedLogs) log line(s) were dropped" : "no event was lost"
        return "\(what) during this run; its events waited in memory and \(lost)"
    }
}

extension Session {
    /// What the run's outages come to, the one going on included; nil when it had none.
    var outageSentence: String? {
        guard outage != nil || outages != nil else { return nil }
        var record = outages ?? OutageRecord()
        if let outage { record.add(outage, until: Date()) }
        return record.sentence
    }

    /// Notes a write the store refused for want of space; the first tells the observer (the person
    /// watching a `baton run`) why the run's lines stop while its runner goes on.
    mutating func noteOutage(_ error: any Error) {
        if outage == nil {
            outage = StoreOutage(error)
            observer(notice("\(error). Meanwhile the run goes on: its events wait in memory and are written once the store can be written"))
        } else {
            outage!.failedAgain(error)
        }
    }

    /// Ends the outage going on, if one is, after a write succeeded: a log line of the run says
    /// how long it lasted and what it cost. Returns whether there was one (the line then waits).
    mutating func endOutage() -> Bool {
        guard let over = outage else { return false }
        outage = nil
        let now = Date()
        var record = outages ?? OutageRecord()
        record.add(over, until: now)
        outages = record
        let waited = Int(now.timeIntervalSince(over.since).rounded(.up))
        let dropped = over.droppedLogs > 0 ? "; \(over.droppedLogs) log line(s) were dropped" : ""
        pending.append(notice("the store can be written again after \(waited) s: the events that waited are written\(dropped)"))
        return true
    }

    private func notice(_ message: String) -> RunEvent {
        .log(LogRecord(flowRunID: run.id, taskRunID: nil, taskRunName: nil, timestamp: Date(), level: .warning, message: "baton: " + message))
    }
}
