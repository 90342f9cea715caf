import BatonCore
import Foundation

/// Prints what a run does as it happens: one line per event, with time, level, run and task names.
///
///     14:03:22.101 INFO    brave-otter              Beginning flow run 'brave-otter' for flow 'windspeed' version 2
///     14:03:22.140 INFO    brave-otter extract-0    Reading the wind speed of Boston from the sample stations
///     14:03:22.161 INFO    brave-otter extract-0    Completed (21 ms)
///
/// Completions of task runs are shown for the first `completionLimit` of them: a 100,000-way map
/// would otherwise bury the lines a person reads. Log lines, failures and retries are always shown.
///
/// It reads the engine's events of a run executing here, or the views of a run followed from the
/// store or a server (`print(logs:taskRuns:)`), and prints the same lines for both.
final class RunPrinter {
    let terminal: Terminal
    let completionLimit: Int
    /// Log lines below this level are not printed.
    var minimumLevel = LogLevel.debug
    /// Whether task-run completions are printed, or log lines only.
    var showsTaskRuns = true

    /// Whether task runs may still print a line: a followed run need not fetch them once the lines
    /// for completions have run out.
    var wantsTaskRuns: Bool { showsTaskRuns && completionsShown < completionLimit }
    private var runNames: [String: String] = [:]
    private var taskNames: [String: String] = [:]
    private var started: [String: Date] = [:]
    private var completionsShown = 0
    private var notedLimit = false
    /// Task runs whose end has been printed, when reading views (which repeat).
    private var ended: Set<String> = []

    init(terminal: Terminal, runID: String, runName: String, completionLimit: Int = 50) {
        self.terminal = terminal
        self.completionLimit = completionLimit
        runNames[runID] = runName
    }

    convenience init(terminal: Terminal, run: FlowRunRecord) { self.init(terminal: terminal, runID: run.id, runName: run.name) }

    convenience init(terminal: Terminal, run: RunView) { self.init(terminal: terminal, runID: run.id, runName: run.name) }

    func print(_ event: RunEvent) {
        switch event {
        case .log(let record):
            guard record.level >= minimumLevel else { return }
            line(record.timestamp, record.level, record.flowRunID, record.taskRunName ?? record.taskRunID.flatMap { taskNames[$0] }, record.message)
        case .taskRunCreated(let start):
            taskNames[start.id] = start.name
        case .flowRunCreated(let run):
            runNames[run.id] = run.name
        case .taskRunState(let change):
            let state = change.state
            if state.type == .running, started[change.taskRunID] == nil { started[change.taskRunID] = state.timestamp }
            // Failures and retries are logged by the engine with their messages.
            guard state.type == .completed || state.type == .cancelled else { return }
            completion(state, flowRunID: change.flowRunID, task: taskNames[change.taskRunID], startedAt: started[change.taskRunID])
            started.removeValue(forKey: change.taskRunID)
            taskNames.removeValue(forKey: change.taskRunID)
        case .artifact(let artifact):
            line(artifact.createdAt, .info, artifact.flowRunID, artifact.taskRunID.flatMap { taskNames[$0] }, "published \(artifact.kind) artifact '\(artifact.key)'")
        case .flowRunState, .edges, .cacheStore:
            break
        }
    }

    /// Names a subflow run of a run followed rather than executed here, for its lines.
    func name(_ run: RunView) { runNames[run.id] = run.name }

    /// A log line of a run followed rather than executed here.
    func print(log: LogView) { print(logs: [log], taskRuns: []) }

    /// Log lines and task runs (as they are now) of a run followed rather than executed here, in the
    /// order they happened: each log line, and the end of each task run that has newly completed or
    /// been cancelled, once.
    func print(logs: [LogView], taskRuns: [TaskRunView]) {
        var lines: [(time: Date, emit: () -> Void)] = []
        for log in logs {
            let level = LogLevel.allCases.first { $0.name.lowercased() == log.level } ?? .info
            guard level >= minimumLevel else { continue }
            lines.append((log.timestamp, { self.line(log.timestamp, level, log.flowRunID, log.taskRunName, log.message) }))
        }
        for view in taskRuns where showsTaskRuns && (view.state == "completed" || view.state == "cancelled") && !ended.contains(view.id) {
            ended.insert(view.id)
            let state = RunState(
                StateType(rawValue: view.state) ?? .completed, name: view.stateName, message: view.message,
                at: view.history.last?.timestamp ?? view.endTime ?? view.createdAt)
            lines.append((state.timestamp, { self.completion(state, flowRunID: view.flowRunID, task: view.name, startedAt: view.startTime) }))
        }
        // Stable: lines of one time keep the order they came in.
        for (_, emit) in lines.enumerated().sorted(by: { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }).map(\.element) { emit() }
    }

    private func completion(_ state: RunState, flowRunID: String, task: String?, startedAt: Date?) {
        if completionsShown < completionLimit {
            completionsShown += 1
            let took = startedAt.map { " (\(Format.duration(state.timestamp.timeIntervalSince($0))))" } ?? ""
            let why = state.name == StateName.cached ? (state.message.map { ": \($0)" } ?? "") : ""
            line(state.timestamp, .info, flowRunID, task, terminal.state(state) + took + why)
        } else if !notedLimit {
            notedLimit = true
            line(state.timestamp, .info, flowRunID, nil, terminal.dim("… more task runs are finishing; `baton run show` lists them all"))
        }
    }

    func line(_ time: Date, _ level: LogLevel, _ flowRunID: String, _ task: String?, _ message: String) {
        let run = runNames[flowRunID] ?? String(flowRunID.prefix(8))
        let name = run + (task.map { " \($0)" } ?? "")
        let who = name.count >= 28 ? name : name.padding(toLength: 28, withPad: " ", startingAt: 0)
        for (index, text) in message.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let prefix = index == 0 ? "\(terminal.dim(Format.clock(time))) \(terminal.level(level)) \(who) " : String(repeating: " ", count: 50)
            terminal.line(prefix + text)
        }
    }
}
