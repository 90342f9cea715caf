import BatonCore
import BatonEngine
import BatonRunner
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs in the local store: read, made, executed in a runner child, followed and cancelled.
extension LocalBackend {
    func flowRuns(_ query: FlowRunQuery) throws -> [RunView] { try Self.asSent(store.flowRuns(query).map(RunView.init)) }

    func flowRun(_ reference: String) throws -> RunView { try Self.asSent(RunView(store.flowRun(reference))) }

    func details(of run: RunView) throws -> RunDetails {
        let states = try store.states(flowRunID: run.id)
        var taskStates: [String: [RunState]] = [:]
        for record in states { if let id = record.taskRunID { taskStates[id, default: []].append(record.state) } }
        return try Self.asSent(RunDetails(
            run: run, states: states.filter { $0.taskRunID == nil }.map(\.state), taskRuns: try store.taskRuns(flowRunID: run.id),
            taskRunStates: taskStates, edges: try store.edges(flowRunID: run.id), subflowRuns: try store.subflowRuns(of: run.id).map(RunView.init),
            artifacts: try store.artifacts(flowRunID: run.id, key: nil, limit: 1000),
            version: try? VersionView(store.version(of: run.flow, number: run.version))))
    }

    func logs(flowRunID: String, after: Int64, limit: Int) throws -> [LogView] {
        try Self.asSent(store.logs(flowRunID: flowRunID, afterID: after, limit: limit).map(LogView.init))
    }

    /// Creates the run (or its next attempt) already supervised by this process, which holds the
    /// attempt's lock from before the row exists until `carry` ends it: however this process dies, the
    /// next sweep finds the run orphaned, never a `pending` run that nobody watches.
    func start(_ request: RunRequest) throws -> StartedRun {
        switch request {
        case .new(let flow, let version, let given):
            let parameters = try store.version(of: flow, number: version).resolveRunParameters(given)
            return StartedRun(run: try create(NewFlowRun(flow: flow, version: version, parameters: parameters)))
        case .rerun(let original, let version):
            let parameters = try store.version(of: original.flow, number: version).resolveRunParameters(original.parameters, rerunOf: original.name)
            return StartedRun(run: try create(NewFlowRun(flow: original.flow, version: version, parameters: parameters, rerunOf: original.id)))
        case .resume(let original):
            let reusable = try store.completedResults(flowRunID: original.id).count
            let attempt = try store.flowRun(original.id).attempt + 1
            let lock = try RunLock.take(locks: home.locksPath, flowRunID: original.id, attempt: attempt)
            let run: FlowRunRecord
            do {
                run = try store.beginResume(flowRunID: original.id, supervisedBy: .current)
                guard run.attempt == attempt else {
                    throw BatonError(.conflict, "flow run '\(run.name)' was resumed by another process meanwhile (attempt \(run.attempt))")
                }
            } catch {
                lock.release(over: true)
                throw error
            }
            Self.testHook("run-created")
            return StartedRun(run: try Self.asSent(RunView(run)), reusable: reusable)
        }
    }

    private func create(_ new: NewFlowRun) throws -> RunView {
        let lock = try RunLock.take(locks: home.locksPath, flowRunID: new.id, attempt: 1)
        let run: FlowRunRecord
        do {
            run = try store.createFlowRun(new, supervisedBy: .current)
        } catch {
            lock.release(over: true)
            throw error
        }
        Self.testHook("run-created")
        return try Self.asSent(RunView(run))
    }

    /// A test hook of debug builds: `BATON_TEST_KILL_AFTER=<moment>` makes this process SIGKILL itself
    /// at that moment (`run-created`: right after a run or its new attempt is stored, before its
    /// supervisor starts), so that tests can die exactly where a crash would hurt most.
    static func testHook(_ moment: String) {
        #if DEBUG
        if ProcessInfo.processInfo.environment["BATON_TEST_KILL_AFTER"] == moment { kill(getpid(), SIGKILL) }
        #endif
    }

    func carry(_ run: RunView, printer: RunPrinter) throws -> RunView {
        let record = try store.flowRun(run.id)
        let reuse = try store.reusableResults(for: record)
        let final = try RunSupervisor(store: store, locks: home.locksPath).execute(record, reuse: reuse, observer: printer.print)
        return try Self.asSent(RunView(final))
    }

    /// Wakes on every write to the store (its change bell), not on a timer.
    func follow(_ run: RunView, printer: RunPrinter, after: Int64) throws -> RunView {
        let bell = try store.changeDoorbell()
        var after = after
        var changedSince: Date?
        while true {
            // The state first: once it is final, everything the run wrote before it is there to read.
            let current = try flowRun(run.id)
            let lines = try allLogs(flowRunID: run.id, after: after)
            after = lines.last?.id ?? after
            var taskRuns: [TaskRunView] = []
            if printer.showsTaskRuns {
                let now = Date()
                taskRuns = try Self.asSent(store.taskRunViews(flowRunID: run.id, changedSince: changedSince))
                // Task states are written in batches a little after their time: read back a few seconds.
                changedSince = now.addingTimeInterval(-5)
            }
            printer.print(logs: lines, taskRuns: taskRuns)
            if current.stateType.isFinal { return current }
            var entry = pollfd(fd: bell.fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&entry, 1, -1)
            _ = bell.drain()
        }
    }

    func cancel(_ run: RunView, timeout: Double, waiting: () -> Void) throws -> RunView {
        let doorbell = try store.doorbell()
        var (record, supervisor) = try store.requestCancellation(flowRunID: run.id)
        if record.state.type == .cancelling {
            if let supervisor { Nudge.send(to: supervisor) }
            waiting()
            let deadline = Date().addingTimeInterval(timeout)
            while !record.state.type.isFinal, Date() < deadline {
                var entry = pollfd(fd: doorbell.fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&entry, 1, Int32(max(1, min(1000, deadline.timeIntervalSinceNow * 1000))))
                _ = doorbell.drain()
                record = try store.flowRun(record.id)
            }
        }
        return try Self.asSent(RunView(record))
    }
}

extension RunView {
    /// The state's type (a run the store wrote always has a known one).
    var stateType: StateType { StateType(rawValue: state) ?? .crashed }
}
