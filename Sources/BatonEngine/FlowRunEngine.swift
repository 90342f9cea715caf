import BatonCore
import BatonLoader
import CBatonABI
import Foundation
import Synchronization

/// Runs one flow run of one loaded library version: starts the flow body, turns each task call into a
/// recorded task run with its states and attempts, applies the task's options, and reports every
/// state change and log line to its sink.
public final class FlowRunEngine: Sendable {
    let library: DynamicLibrary
    let spec: FlowRunSpec
    let sink: any RunEventSink
    let clock: any EngineClock

    private struct State {
        /// How many task runs of each task this flow run has created, for names like `extract-0`.
        var counters: [String: Int] = [:]
        /// Task runs started and not yet finished.
        var outstanding: [Int: Task<Void, Never>] = [:]
        var nextOutstanding = 0
    }
    private let state = Mutex(State())

    public init(library: DynamicLibrary, spec: FlowRunSpec, sink: any RunEventSink, clock: any EngineClock = SystemClock()) {
        self.library = library
        self.spec = spec
        self.sink = sink
        self.clock = clock
    }

    /// Loads the library at `path` into this process with the host's table.
    public static func load(libraryPath path: String) throws -> DynamicLibrary {
        try DynamicLibrary(path: path, host: HostTable.pointer)
    }

    /// Runs the flow to its final state, which it also reports, and returns it.
    @discardableResult
    public func run() async -> RunState {
        sink.emit(.flowRunState(flowRunID: spec.flowRunID, state: RunState(.running, at: clock.now()), result: nil))
        log(.info, "Beginning flow run '\(spec.flowRunName)' for flow '\(spec.flow)' version \(spec.version)")
        let parameters = Array(JSONValue.object(spec.parameters).jsonData)
        let info = RunInfoDocument(
            flowRunID: spec.flowRunID, flowRunName: spec.flowRunName, flowName: spec.flow, flowVersion: spec.version,
            attempt: spec.attempt)
        let (status, output) = await withCheckedContinuation { continuation in
            let context = Contexts.register(
                Contexts.Entry(engine: self, taskRunID: nil, taskRunName: nil, continuation: continuation))
            let started = library.startFlow(spec.flow, parameters: parameters, runInfo: info.bytes, context: context)
            if started != BATON_STATUS_OK {
                Contexts.finish(context, status: started, output: [])
            }
        }
        // Task runs the body started without waiting for them still belong to the run.
        while let pending = state.withLock({ $0.outstanding.first?.value }) { await pending.value }

        let final: RunState
        var result: String?
        switch status {
        case BATON_STATUS_OK:
            final = RunState(.completed, at: clock.now())
            result = String(decoding: output, as: UTF8.self)
        case BATON_STATUS_CANCELLED:
            final = RunState(.cancelled, message: "the flow body was cancelled", at: clock.now())
        case BATON_STATUS_UNKNOWN:
            final = RunState(.crashed, message: "the library has no flow named '\(spec.flow)'", at: clock.now())
        default:
            final = RunState(.failed, message: ErrorObject.decode(output).text, at: clock.now())
        }
        log(final.type == .completed ? .info : .error, "Finished in state \(Self.describe(final))")
        sink.emit(.flowRunState(flowRunID: spec.flowRunID, state: final, result: result))
        return final
    }

    /// A task call from the flow (or a task) body: runs it as a task run and calls `completion`.
    func submit(_ call: TaskCall, completion: Completion) {
        state.withLock { state in
            let key = state.nextOutstanding
            state.nextOutstanding += 1
            // Created under the lock, so that its removal cannot come before its insertion.
            state.outstanding[key] = Task {
                let (status, output) = await self.runTask(call)
                completion.call(status, output)
                _ = self.state.withLock { $0.outstanding.removeValue(forKey: key) }
            }
        }
    }

    func log(_ level: LogLevel, _ message: String, taskRunID: String? = nil, taskRunName: String? = nil) {
        sink.emit(
            .log(
                LogRecord(
                    flowRunID: spec.flowRunID, taskRunID: taskRunID, taskRunName: taskRunName, timestamp: clock.now(),
                    level: level, message: message)))
    }

    static func describe(_ state: RunState) -> String {
        state.name + (state.message.map { ": \($0)" } ?? "")
    }
}

extension FlowRunEngine {
    /// One task run: created `pending`, then an attempt after another (`Running`, `AwaitingRetry`,
    /// `Retrying`, …) until one completes or the retries are spent.
    func runTask(_ call: TaskCall) async -> (Int32, [UInt8]) {
        let options = (try? JSONDecoder().decode(TaskOptionsSpec.self, from: Data(call.options))) ?? TaskOptionsSpec()
        let id = UUID().uuidString.lowercased()
        let index = state.withLock { state in
            defer { state.counters[call.task, default: 0] += 1 }
            return state.counters[call.task, default: 0]
        }
        let name = "\(call.task)-\(index)"
        let flowRunID = spec.flowRunID
        sink.emit(
            .taskRunCreated(
                id: id, flowRunID: flowRunID, name: name, taskName: call.task, parentTaskRunID: call.parentTaskRunID,
                input: String(decoding: call.input, as: UTF8.self), createdAt: clock.now()))
        sink.emit(.taskRunState(taskRunID: id, flowRunID: flowRunID, state: RunState(.pending, at: clock.now()), attempt: 0, result: nil))

        var attempt = 1
        while true {
            let running = RunState(.running, name: attempt == 1 ? "Running" : "Retrying", at: clock.now())
            sink.emit(.taskRunState(taskRunID: id, flowRunID: flowRunID, state: running, attempt: attempt, result: nil))
            let (status, output) = await invoke(call, taskRunID: id, taskRunName: name, attempt: attempt)
            switch status {
            case BATON_STATUS_OK:
                sink.emit(
                    .taskRunState(
                        taskRunID: id, flowRunID: flowRunID, state: RunState(.completed, at: clock.now()), attempt: attempt,
                        result: String(decoding: output, as: UTF8.self)))
                return (BATON_STATUS_OK, output)
            case BATON_STATUS_CANCELLED:
                let cancelled = RunState(.cancelled, message: "the task body was cancelled", at: clock.now())
                sink.emit(.taskRunState(taskRunID: id, flowRunID: flowRunID, state: cancelled, attempt: attempt, result: nil))
                return (BATON_STATUS_CANCELLED, output)
            case BATON_STATUS_UNKNOWN:
                let message = "the library has no task named '\(call.task)'"
                let failed = RunState(.failed, message: message, at: clock.now())
                sink.emit(.taskRunState(taskRunID: id, flowRunID: flowRunID, state: failed, attempt: attempt, result: nil))
                log(.error, "Finished in state Failed: \(message)", taskRunID: id, taskRunName: name)
                return (BATON_STATUS_FAILED, ErrorObject(type: "BatonError", message: message).bytes)
            default:
                let error = ErrorObject.decode(output)
                if attempt <= options.retries {
                    let delay = options.delay(beforeRetry: attempt)
                    let message = "attempt \(attempt) of \(options.retries + 1) failed: \(error.text)"
                    let awaiting = RunState(.scheduled, name: "AwaitingRetry", message: message, at: clock.now())
                    sink.emit(.taskRunState(taskRunID: id, flowRunID: flowRunID, state: awaiting, attempt: attempt, result: nil))
                    log(.warning, "\(message); retrying in \(Self.seconds(delay))", taskRunID: id, taskRunName: name)
                    try? await clock.sleep(seconds: delay)
                    attempt += 1
                    continue
                }
                let failed = RunState(.failed, message: error.text, at: clock.now())
                sink.emit(.taskRunState(taskRunID: id, flowRunID: flowRunID, state: failed, attempt: attempt, result: nil))
                log(.error, "Finished in state Failed: \(error.text)", taskRunID: id, taskRunName: name)
                return (BATON_STATUS_FAILED, output)
            }
        }
    }

    /// One attempt: invokes the task body in the library and waits for its `task_finished`.
    private func invoke(_ call: TaskCall, taskRunID: String, taskRunName: String, attempt: Int) async -> (Int32, [UInt8]) {
        let info = RunInfoDocument(
            flowRunID: spec.flowRunID, flowRunName: spec.flowRunName, flowName: spec.flow, flowVersion: spec.version,
            taskRunID: taskRunID, taskRunName: taskRunName, attempt: attempt)
        return await withCheckedContinuation { continuation in
            let context = Contexts.register(
                Contexts.Entry(engine: self, taskRunID: taskRunID, taskRunName: taskRunName, continuation: continuation))
            let started = library.invokeTask(call.task, input: call.input, runInfo: info.bytes, context: context)
            if started != BATON_STATUS_OK {
                Contexts.finish(context, status: started, output: [])
            }
        }
    }

    static func seconds(_ value: Double) -> String {
        value < 1 ? "\(Int((value * 1000).rounded())) ms" : String(format: "%.1f s", value)
    }
}
