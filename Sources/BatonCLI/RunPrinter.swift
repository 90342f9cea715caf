import BatonCore
import Foundation

/// Prints what a run does as it happens: one line per event, with time, level, run and task names.
///
///     14:03:22.101 INFO    brave-otter              Beginning flow run 'brave-otter' for flow 'windspeed' version 2
///     14:03:22.140 INFO    brave-otter extract-0    Reading the wind speed of Boston from the sample stations
///     14:03:22.161 INFO    brave-otter extract-0    Completed (21 ms)
final class RunPrinter {
    let terminal: Terminal
    let runName: String
    private var taskNames: [String: String] = [:]
    private var started: [String: Date] = [:]

    init(terminal: Terminal, runName: String) {
        self.terminal = terminal
        self.runName = runName
    }

    func print(_ event: RunEvent) {
        switch event {
        case .log(let record):
            line(record.timestamp, record.level, record.taskRunName ?? record.taskRunID.flatMap { taskNames[$0] }, record.message)
        case .taskRunCreated(let id, _, let name, _, _, _, _):
            taskNames[id] = name
        case .taskRunState(let id, _, let state, _, _):
            if state.type == .running, started[id] == nil { started[id] = state.timestamp }
            // Failures and retries are logged by the engine with their messages; completions are not.
            if state.type == .completed || state.type == .cancelled {
                let took = started[id].map { " (\(Format.duration(state.timestamp.timeIntervalSince($0))))" } ?? ""
                line(state.timestamp, .info, taskNames[id], terminal.state(state) + took)
            }
        case .flowRunState:
            break
        }
    }

    func line(_ time: Date, _ level: LogLevel, _ task: String?, _ message: String) {
        let who = (runName + (task.map { " \($0)" } ?? "")).padding(toLength: 28, withPad: " ", startingAt: 0)
        for (index, text) in message.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let prefix = index == 0 ? "\(terminal.dim(Format.clock(time))) \(terminal.level(level)) \(who) " : String(repeating: " ", count: 50)
            terminal.line(prefix + text)
        }
    }
}
