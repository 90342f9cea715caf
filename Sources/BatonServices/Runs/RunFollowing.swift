import BatonCore
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What following a run sees at one look: its state, the log lines written since the last look, and
/// (when asked for) its task runs changed lately.
public struct RunProgress: Sendable {
    public var run: RunView
    public var lines: [LogRecord]
    public var taskRuns: [TaskRunView]
}

extension RunService {
    /// Follows the run `reference` names until its state is final: `update` hears what is new at
    /// once and again each time the store changes (its change bell, not a timer). Log lines are those
    /// after line `after`, each heard once; with `taskRuns`, the run's task runs changed since a
    /// little before the last look. Returns the run in its final state.
    public func follow(
        _ reference: String, after: Int64, taskRuns withTaskRuns: Bool, _ caller: Caller, update: (RunProgress) throws -> Void
    ) throws -> RunView {
        try services.authorize(caller, .read)
        let id = try store.flowRun(reference, project: caller.project).id
        let bell = try store.changeDoorbell()
        var after = after
        var changedSince: Date?
        while true {
            // The state first: once it is final, everything the run wrote before it is there to read.
            let current = RunView(try store.flowRun(id, project: caller.project))
            var lines: [LogRecord] = []
            while true {
                let page = try store.logs(flowRunID: id, afterID: after, limit: 1000)
                lines += page
                after = page.last?.id ?? after
                if page.count < 1000 { break }
            }
            var taskRuns: [TaskRunView] = []
            if withTaskRuns {
                let now = Date()
                taskRuns = try store.taskRunViews(flowRunID: id, changedSince: changedSince, limit: 100_000, withValues: false)
                // Task states are written in batches a little after their time: read back a few seconds.
                changedSince = now.addingTimeInterval(-5)
            }
            try update(RunProgress(run: current, lines: lines, taskRuns: taskRuns))
            if current.stateType.isFinal { return current }
            var entry = pollfd(fd: bell.fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&entry, 1, -1)
            _ = bell.drain()
        }
    }
}
