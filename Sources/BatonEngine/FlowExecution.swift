import BatonCore
import BatonLoader
import CBatonABI
import Foundation
import Synchronization

/// One flow run being executed (the engine's own, or a subflow run it started): its attempts, with
/// the flow's retries and timeout, and the task runs its bodies call.
final class FlowExecution: Sendable {
    let engine: RunEngine
    let flowRunID: String
    let flowRunName: String
    let flow: String
    let version: Int
    let parameters: [UInt8]
    let firstAttempt: Int
    let parentTaskRunID: String?
    let reuse: [String: ReusedResult]
    let options: FlowOptionsSpec
    let scheduler: TaskScheduler
    let runInfo: RunInfoDocument

    struct State {
        var attempt: Int
        var counters: [String: Int] = [:]
        var position = 0
        var lineage = Lineage()
        /// Who waits for every task run submitted so far to finish.
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
    }
    let state: Locked<State>
    /// Task runs submitted and not yet finished: counted outside `state`, which every submission
    /// takes already, so that finishing a task run takes no lock until the last one finishes.
    let unfinished = Atomic<Int>(0)

    init(
        engine: RunEngine, flowRunID: String, flowRunName: String, flow: String, version: Int, parameters: [UInt8],
        attempt: Int, parentTaskRunID: String?, reuse: [String: ReusedResult]
    ) {
        self.engine = engine
        self.flowRunID = flowRunID
        self.flowRunName = flowRunName
        self.flow = flow
        self.version = version
        self.parameters = parameters
        self.firstAttempt = attempt
        self.parentTaskRunID = parentTaskRunID
        self.reuse = reuse
        options = engine.flowOptions(flow)
        scheduler = TaskScheduler(limit: options.taskConcurrency ?? 512)
        runInfo = RunInfoDocument(flowRunID: flowRunID, flowRunName: flowRunName, flowName: flow, flowVersion: version)
        state = Locked(State(attempt: attempt))
    }

    var attempt: Int { state.withLock { $0.attempt } }

    /// Runs the flow's body, again on failure while retries last, to a final state; reports every state
    /// and returns the final one with the JSON result.
    func run() async -> (RunState, String?) {
        var attempt = firstAttempt
        var retry = 0
        log(.info, "Beginning \(parentTaskRunID == nil ? "flow run" : "subflow run") '\(flowRunName)' for flow '\(flow)' version \(version)")
        while true {
            let name = retry == 0 ? StateName.running : StateName.retrying
            emit(.flowRunState(FlowRunStateChange(flowRunID: flowRunID, state: RunState(.running, name: name, at: engine.clock.now()), attempt: attempt)))
            let info = runInfo.bytes(attempt: attempt)
            let (context, outcome) = await Contexts.run(
                flow: self, taskRunID: nil, taskRunName: nil, timeout: options.timeoutSeconds
            ) { context in
                engine.library.startFlow(flow, parameters: parameters, runInfo: info, context: context)
            }

            var failure: (name: String, text: String, retryable: Bool)?
            var final: RunState?
            var result: String?
            switch outcome {
            case .finished(BATON_STATUS_OK, let output):
                await drain()
                if let reason = engine.cancellation {
                    final = RunState(.cancelled, message: reason, at: engine.clock.now())
                } else {
                    final = RunState(.completed, at: engine.clock.now())
                    result = String(decoding: output, as: UTF8.self)
                }
            case .finished(BATON_STATUS_CANCELLED, _):
                await drain()
                final = RunState(.cancelled, message: engine.cancellation ?? "the flow body was cancelled", at: engine.clock.now())
            case .finished(BATON_STATUS_UNKNOWN, _):
                final = RunState(.crashed, message: "the library has no flow named '\(flow)'", at: engine.clock.now())
            case .finished(_, let output):
                await drain()
                failure = (StateName.failed, ErrorObject.decode(output).text, true)
            case .timedOut:
                engine.library.cancel(context: context)
                cancelAttempts()
                failure = (StateName.timedOut, "the flow run exceeded its timeout of \(Self.seconds(options.timeoutSeconds ?? 0))", true)
            case .abandoned:
                final = RunState(
                    .cancelled,
                    message: "\(engine.cancellation ?? "cancelled"); the flow body did not stop within \(Self.seconds(engine.cancelGrace))",
                    at: engine.clock.now())
            }
            if let failure, engine.cancellation != nil {
                final = RunState(.cancelled, message: engine.cancellation! + " (\(failure.text))", at: engine.clock.now())
            } else if let failure {
                if failure.retryable, retry < options.retries {
                    retry += 1
                    let delay = options.retryPolicy.delay(beforeRetry: retry, random: engine.clock.random())
                    let message = "attempt \(retry) of \(options.retries + 1) failed: \(failure.text)"
                    emit(.flowRunState(FlowRunStateChange(
                        flowRunID: flowRunID, state: RunState(.scheduled, name: StateName.awaitingRetry, message: message, at: engine.clock.now()))))
                    log(.warning, "\(message); retrying in \(Self.seconds(delay))")
                    try? await engine.clock.sleep(seconds: delay)
                    attempt += 1
                    state.withLock { $0.attempt = attempt }
                    continue
                }
                final = RunState(.failed, name: failure.name, message: failure.text, at: engine.clock.now())
            }
            let finalState = final!
            await runHooks(for: finalState)
            let level: LogLevel = switch finalState.type {
            case .completed: .info
            case .cancelled: .warning
            default: .error
            }
            log(level, "Finished in state \(Self.describe(finalState))")
            emit(.flowRunState(FlowRunStateChange(flowRunID: flowRunID, state: finalState, result: result)))
            return (finalState, result)
        }
    }

    private func runHooks(for final: RunState) async {
        let hook = switch final.type {
        case .completed: "onCompletion"
        case .failed, .crashed: "onFailure"
        default: "onCancellation"
        }
        guard options.hooks.contains(hook) else { return }
        await runHook(kind: "flow", name: flow, hook: hook, state: final, taskRunID: nil, taskRunName: nil, attempt: attempt)
    }

    /// Runs a declared hook in the library; a hook that fails is logged and changes nothing.
    func runHook(kind: String, name: String, hook: String, state: RunState, taskRunID: String?, taskRunName: String?, attempt: Int) async {
        let stateJSON = Array(
            "{\"message\":\(state.message.map(JSONValue.quote) ?? "null"),\"name\":\(JSONValue.quote(state.name)),\"type\":\"\(state.type.rawValue)\"}".utf8)
        let info = runInfo.bytes(attempt: attempt, taskRunID: taskRunID, taskRunName: taskRunName)
        let (_, outcome) = await Contexts.run(flow: self, taskRunID: taskRunID, taskRunName: taskRunName, timeout: nil) { context in
            engine.library.runHook(kind: kind, name: name, hook: hook, state: stateJSON, runInfo: info, context: context)
        }
        if case .finished(let status, let output) = outcome, status != BATON_STATUS_OK, status != BATON_STATUS_UNKNOWN {
            log(.error, "hook \(hook) of \(kind) '\(name)' failed: \(ErrorObject.decode(output).text)", taskRunID: taskRunID, taskRunName: taskRunName)
        }
    }

    /// Waits until every task run the body submitted has finished.
    func drain() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if unfinished.load(ordering: .acquiring) == 0 { return true }
                state.drainWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Asks the task attempts of this flow run that are running now to stop.
    func cancelAttempts() {
        for context in Contexts.taskAttempts(of: self) { engine.library.cancel(context: context) }
    }

    /// Reports an event, with every secret the run has read hidden in it.
    func emit(_ event: RunEvent) { engine.services.emit(engine.secrets.apply(event)) }

    /// Reads a secret or variable for a body of this run; a secret is masked from then on, before
    /// the body gets it (so nothing it records afterwards can carry it).
    func readValue(_ kind: NamedValueKind, name: String, completion: Completion) {
        let engine = self.engine
        let flowRunID = self.flowRunID
        Task {
            do {
                let value = try await engine.services.readValue(kind, name: name, flowRunID: flowRunID)
                if kind == .secret { engine.secrets.add(value) }
                completion.call(BATON_STATUS_OK, Array(value.utf8))
            } catch {
                let known = error as? BatonError
                completion.call(
                    BATON_STATUS_FAILED,
                    ErrorObject(type: known?.code.rawValue ?? "BatonError", message: known?.message ?? "\(error)").bytes)
            }
        }
    }

    func log(_ level: LogLevel, _ message: String, taskRunID: String? = nil, taskRunName: String? = nil) {
        emit(.log(LogRecord(
            flowRunID: flowRunID, taskRunID: taskRunID, taskRunName: taskRunName, timestamp: engine.clock.now(), level: level,
            message: message)))
    }

    func artifact(_ json: [UInt8], taskRunID: String?) {
        struct Published: Decodable {
            var key: String
            var kind: String
            var data: String
            var description: String?
        }
        guard let published = try? JSONDecoder().decode(Published.self, from: Data(json)) else {
            log(.warning, "an artifact could not be read and was not stored", taskRunID: taskRunID)
            return
        }
        emit(.artifact(ArtifactRecord(
            key: published.key, kind: published.kind, data: published.data, description: published.description,
            flowRunID: flowRunID, taskRunID: taskRunID, createdAt: engine.clock.now())))
    }

    static func describe(_ state: RunState) -> String {
        state.name + (state.message.map { ": \($0)" } ?? "")
    }

    static func seconds(_ value: Double) -> String {
        value < 1 ? "\(Int((value * 1000).rounded())) ms" : String(format: "%.1f s", value)
    }
}
