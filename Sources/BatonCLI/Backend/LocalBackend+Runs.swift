import BatonCore
import BatonEngine
import BatonRunner
import BatonServices
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs in the local store: read, made, executed in a runner child, followed and cancelled.
extension LocalBackend {
    func flowRuns(_ query: FlowRunQuery) throws -> [RunView] { try services.runs.list(query, caller).runs }

    func flowRun(_ reference: String) throws -> RunView { try services.runs.run(reference, caller) }

    func details(of run: RunView) throws -> RunDetails {
        let found = try services.runs.inspect(run.id, caller)
        return RunDetails(
            run: run, states: found.states, taskRuns: found.taskRuns, taskRunStates: found.taskRunStates, edges: found.edges,
            subflowRuns: found.subflowRuns.map(RunView.init), artifacts: found.artifacts, version: found.version.map(VersionView.init))
    }

    func logs(flowRunID: String, after: Int64, limit: Int) throws -> [LogView] {
        try services.runs.logs(flowRunID, after: after, limit: limit, caller).lines.map(LogView.init)
    }

    /// Makes the run (or its next attempt) here, supervised by this process (see `RunPlacement.here`),
    /// for `carry` to take to its end.
    func start(_ request: RunRequest) throws -> StartedRun {
        let started: StartedRun
        switch request {
        case .new(let flow, let version, let given):
            started = try services.runs.create(flow: flow, .number(version), given: given, .here, caller)
        case .rerun(let original, let version):
            started = try services.runs.rerun(original.id, version, .here, caller)
        case .resume(let original):
            started = try services.runs.resume(original.id, .here, caller)
        }
        Self.testHook("run-created")
        return started
    }

    /// Crashes the runs whose supervisor died and schedules again those whose flow retries; a line
    /// saying what it did, if anything.
    func sweepOrphans() throws -> String? {
        RunService.summary(try services.runs.sweepOrphans(caller))
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
        RunView(try services.runs.execute(run.id, observer: printer.print, caller).final)
    }

    func follow(_ run: RunView, printer: RunPrinter, after: Int64) throws -> RunView {
        try services.runs.follow(run.id, after: after, taskRuns: printer.showsTaskRuns, caller) { progress in
            printer.print(logs: progress.lines.map(LogView.init), taskRuns: progress.taskRuns)
        }
    }

    func cancel(_ run: RunView, timeout: Double, waiting: () -> Void) throws -> RunView {
        RunView(try services.runs.cancel(run.id, wait: timeout, waiting: waiting, caller))
    }
}
