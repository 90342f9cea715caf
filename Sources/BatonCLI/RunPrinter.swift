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
final class RunPrinter {
    let terminal: Terminal
    let completionLimit: Int
    private var runNames: [String: String] = [:]
    private var taskNames: [String: String] = [:]
    private var started: [String: Date] = [:]
    private var completionsShown = 0
    private var notedLimit = false

    init(terminal: Terminal, run: FlowRunRecord, completionLimit: Int = 50) {
        self.terminal = terminal
        self.completionLimit = completionLimit
        runNames[run.id] = run.name
    }

    func print(_ event: RunEvent) {
        switch event {
        case .log(let record):
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
            if completionsShown < completionLimit {
                completionsShown += 1
                let took = started.removeValue(forKey: change.taskRunID).map { " (\(Format.duration(state.timestamp.timeIntervalSince($0))))" } ?? ""
                let why = state.name == "Cached" ? (state.message.map { ": \($0)" } ?? "") : ""
                line(state.timestamp, .info, change.flowRunID, taskNames[change.taskRunID], terminal.state(state) + took + why)
            } else if !notedLimit {
                notedLimit = true
                line(state.timestamp, .info, change.flowRunID, nil, terminal.dim("… more task runs are finishing; `baton run show` lists them all"))
            }
            started.removeValue(forKey: change.taskRunID)
            taskNames.removeValue(forKey: change.taskRunID)
        case .artifact(let artifact):
            line(artifact.createdAt, .info, artifact.flowRunID, artifact.taskRunID.flatMap { taskNames[$0] }, "published \(artifact.kind) artifact '\(artifact.key)'")
        case .flowRunState, .edges, .cacheStore:
            break
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
