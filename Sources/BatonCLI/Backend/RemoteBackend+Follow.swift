import BatonCore
import BatonHTTP
import BatonRunner
import Foundation

/// Following a run the server executes through its live events (`/api/events`, server-sent), without
/// polling: what the stream may have missed (before it began, or when the server dropped queued
/// events) is read once with ordinary requests, and lines already printed are not printed again.
extension RemoteBackend {
    func carry(_ run: RunView, printer: RunPrinter) throws -> RunView {
        let (url, caFile, name, credentials) = (url, caFile, run.name, credentials)
        let cancel = inProject("/api/flow-runs/\(APITarget.segment(run.id))/cancel")
        let err = Terminal.standardError
        let token = Interrupts.add { _ in
            err.line(err.dim("Cancelling '\(name)' on the server (Ctrl-C again to stop following)…"))
            // A connection of its own: the main thread is reading the event stream.
            _ = try? HTTPClient(baseURL: url, caFile: caFile).request("POST", cancel, headers: credentials)
        }
        defer { Interrupts.remove(token) }
        return try follow(run, printer: printer, after: 0)
    }

    func follow(_ run: RunView, printer: RunPrinter, after: Int64) throws -> RunView {
        struct TaskRunBatch: Decodable {
            var flowRunID: String
            var taskRuns: [TaskRunView]
        }
        let id = run.id
        var after = after
        var family: Set<String> = [id]
        // Subflow runs' lines printed so far, by log id (their ids interleave with the run's own).
        var printedSubflowLines: Set<Int64> = []
        var final: RunView?
        /// The lines of subflow runs not printed yet, at the end: a subflow that began and ended within
        /// one pass of the server's feed has its lines sent before its state is known here.
        func catchUpSubflows(of parent: String, depth: Int = 0) throws {
            guard depth < 8 else { return }
            for sub in try list("/api/flow-runs/\(APITarget.segment(parent))/subflows", key: "runs", as: RunView.self).items {
                if family.insert(sub.id).inserted { printer.name(sub) }
                let lines = try allLogs(flowRunID: sub.id, after: 0).filter { !printedSubflowLines.contains($0.id) }
                printedSubflowLines.formUnion(lines.map(\.id))
                printer.print(logs: lines, taskRuns: [])
                try catchUpSubflows(of: sub.id, depth: depth + 1)
            }
        }
        func catchUp() throws {
            // The state first: once it is final, everything the run wrote before it is there to read.
            let current = try flowRun(id)
            let lines = try allLogs(flowRunID: id, after: after).filter { $0.id > after }
            after = lines.last?.id ?? after
            // The first task runs only: at most `completionLimit` completions are printed, and a run of
            // 100,000 tasks must not be fetched whole at each change of its state.
            let taskRuns = printer.wantsTaskRuns
                ? try list("/api/flow-runs/\(APITarget.segment(id))/task-runs?limit=500", key: "taskRuns", as: TaskRunView.self).items : []
            printer.print(logs: lines, taskRuns: taskRuns)
            if current.stateType.isFinal {
                try catchUpSubflows(of: id)
                final = current
            }
        }
        let target = APITarget.query("/api/events", [("flowRun", id)])
        do {
            try connection().events(inProject(target)) { event in
                let data = Array(event.data.utf8)
                switch event.event {
                case "hello", "resync":
                    try catchUp()
                case "log":
                    let line = try decode(LogView.self, from: data, target)
                    if line.flowRunID == id, line.id > after {
                        printer.print(log: line)
                        after = line.id
                    } else if line.flowRunID != id, family.contains(line.flowRunID), printedSubflowLines.insert(line.id).inserted {
                        printer.print(log: line)
                    }
                case "task_runs":
                    let batch = try decode(TaskRunBatch.self, from: data, target)
                    if batch.flowRunID == id { printer.print(logs: [], taskRuns: batch.taskRuns) }
                case "flow_run":
                    let changed = try decode(RunView.self, from: data, target)
                    // A subflow of the run (or of one of its subflows): its lines are printed too.
                    if let parent = changed.parentFlowRunID, family.contains(parent), !family.contains(changed.id) {
                        family.insert(changed.id)
                        printer.name(changed)
                    }
                    if changed.id == id { try catchUp() }
                default:
                    break
                }
                return final == nil
            }
        } catch let error as SocketError {
            throw unreachable(error)
        }
        if let final { return final }
        // The server ended the stream (it is stopping) before the run ended.
        try catchUp()
        if let final { return final }
        throw BatonError(
            .io, "the Baton server at \(url) ended the event stream before run '\(run.name)' finished; "
                + "follow it again with `baton run logs \(run.name) --follow`")
    }

    func cancel(_ run: RunView, timeout: Double, waiting: () -> Void) throws -> RunView {
        let target = "/api/flow-runs/\(APITarget.segment(run.id))/cancel"
        let current = try decode(RunView.self, from: send("POST", target), target)
        guard current.stateType == .cancelling else { return current }
        waiting()
        // The stream is read on a thread of its own, so that waiting can end at the deadline.
        let ended = Outcome<RunView>()
        let (url, caFile, project) = (url, caFile, project)
        Thread.detachNewThread {
            // Past every log line and without task runs: it prints nothing.
            let quiet = RunPrinter(terminal: .standardError, run: current)
            quiet.showsTaskRuns = false
            if let backend = try? RemoteBackend(url: url, origin: "the API URL", caFile: caFile.map { ($0, "the CA file") }, project: project), let final = try? backend.follow(current, printer: quiet, after: .max) {
                ended.finish(final)
            }
        }
        return try ended.wait(timeout: timeout) ?? flowRun(run.id)
    }
}

/// A value one thread hands another, which may stop waiting for it.
final class Outcome<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `value` is guarded by `condition`.
    private let condition = NSCondition()
    private var value: Value?

    func finish(_ value: Value) {
        condition.lock()
        self.value = value
        condition.signal()
        condition.unlock()
    }

    /// The value, or nil when `timeout` seconds pass first.
    func wait(timeout: Double) -> Value? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while value == nil, condition.wait(until: deadline) {}
        return value
    }
}
