import BatonCore
import BatonLoader
import CBatonABI
import Foundation
import Synchronization

extension FlowExecution {
    /// A task call from a body of this flow run: records the task run, then runs it, under the flow's
    /// task concurrency when the flow body made the call, and calls `completion` with its outcome.
    func submit(_ call: TaskCall, completion: Completion) {
        let options = engine.options(call.options)
        let inputKey = SHA256.hex(of: Array(call.task.utf8) + [0] + call.input)
        let now = engine.clock.now()
        let (start, producers): (TaskRunStart, [String]) = state.withLock { state in
            let index = state.counters[call.task, default: 0]
            state.counters[call.task] = index + 1
            state.position += 1
            unfinished.add(1, ordering: .relaxed)
            let start = TaskRunStart(
                id: call.call.id ?? RunID.make(at: now), flowRunID: flowRunID, flowRunAttempt: state.attempt,
                position: state.position, name: "\(call.task)-\(index)", taskName: call.task,
                parentTaskRunID: call.parentTaskRunID, input: String(decoding: call.input, as: UTF8.self), inputKey: inputKey,
                tags: options.tags, createdAt: now)
            return (start, state.lineage.producers(of: call.input))
        }
        emit(.taskRunCreated(start))
        var edges = (call.call.upstream ?? []).map { TaskRunEdge(upstream: $0.id, downstream: start.id, kind: $0.kind) }
        for producer in producers where !edges.contains(where: { $0.upstream == producer }) {
            edges.append(TaskRunEdge(upstream: producer, downstream: start.id, kind: "data"))
        }
        if !edges.isEmpty { emit(.edges(flowRunID: flowRunID, edges)) }

        if call.parentTaskRunID == nil {
            scheduler.submit { [self] in
                begin(start, call: call, options: options) { status, output in
                    completion.call(status, output)
                    self.finishedOne()
                    self.scheduler.release()
                }
            }
        } else {
            // Called from a task body: run at once, or a body waiting for it could hold the last slot.
            begin(start, call: call, options: options) { status, output in
                completion.call(status, output)
                self.finishedOne()
            }
        }
    }

    /// Starts a task run. A plain one (no cache, tags, timeout, hooks or result to reuse) is started
    /// and, when it completes, finished on the threads the library calls back on, without a hop
    /// through a Swift task: most task runs are plain, and the hops cost more than the work. Anything
    /// else, a failure of a plain one included, goes through `execute`.
    private func begin(
        _ start: TaskRunStart, call: TaskCall, options: TaskOptionsSpec, finish: @escaping @Sendable (Int32, [UInt8]) -> Void
    ) {
        let plain = options.cache == nil && options.tags.isEmpty && options.timeoutSeconds == nil && options.hooks.isEmpty
            && reuse[start.inputKey ?? ""] == nil && engine.cancellation == nil
        guard plain else {
            Task { let (status, output) = await execute(start, call: call, options: options); finish(status, output) }
            return
        }
        let clock = engine.clock
        emitTask(start, RunState(.running, at: clock.now()), attempt: 1)
        let info = runInfo.bytes(attempt: 1, taskRunID: start.id, taskRunName: start.name)
        let registered = ContextBox()
        let context = Contexts.register(Contexts.Entry(flow: self, taskRunID: start.id, taskRunName: start.name) { [self] status, output in
            let context = registered.value.load(ordering: .acquiring)
            engine.untrack(context: context)
            if status == BATON_STATUS_OK, engine.cancellation == nil {
                emitTask(start, RunState(.completed, at: clock.now()), attempt: 1, result: String(decoding: output, as: UTF8.self))
                remember(result: output, of: start.id)
                finish(BATON_STATUS_OK, output)
            } else {
                Task {
                    let (status, output) = await execute(start, call: call, options: options, after: .finished(status, output))
                    finish(status, output)
                }
            }
        })
        registered.value.store(context, ordering: .releasing)
        engine.track(context: context) {
            Contexts.finish(context, status: BATON_STATUS_CANCELLED, output: ErrorObject(type: "CancellationError", message: "the task body did not stop").bytes)
        }
        let started = engine.library.invokeTask(call.task, input: call.input, runInfo: info, context: context)
        if started != BATON_STATUS_OK {
            // Finished from a task, so that a queue of calls that all fail at once cannot recurse.
            Task { Contexts.finish(context, status: started, output: []) }
        }
    }

    func finishedOne() {
        guard unfinished.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 else { return }
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { state in
            // A task run submitted since then is not finished yet: its finish wakes them.
            guard unfinished.load(ordering: .acquiring) == 0 else { return [] }
            defer { state.drainWaiters = [] }
            return state.drainWaiters
        }
        waiters.forEach { $0.resume() }
    }

    func emitTask(_ start: TaskRunStart, _ state: RunState, attempt: Int, result: String? = nil, cachedFrom: String? = nil) {
        emit(.taskRunState(TaskRunStateChange(
            taskRunID: start.id, flowRunID: flowRunID, state: state, attempt: attempt, result: result, cachedFrom: cachedFrom)))
    }

    /// One task run, from `pending` to its final state; or, `after` the outcome of its first attempt
    /// started by `begin`, from there.
    func execute(_ start: TaskRunStart, call: TaskCall, options: TaskOptionsSpec, after firstOutcome: BodyOutcome? = nil) async -> (Int32, [UInt8]) {
        let clock = engine.clock
        var pendingOutcome = firstOutcome
        if firstOutcome != nil {
        } else if let reused = reuse[start.inputKey ?? ""] {
            // A resumed run returns what the earlier attempt computed for the same task and input.
            let message = "result reused from \(reused.taskRunName ?? "a task run") of attempt \(reused.attempt ?? 1)"
            emitTask(start, RunState(.completed, name: StateName.cached, message: message, at: clock.now()), attempt: 0, result: reused.result, cachedFrom: reused.taskRunID)
            remember(result: Array(reused.result.utf8), of: start.id)
            return (BATON_STATUS_OK, Array(reused.result.utf8))
        }
        if firstOutcome == nil, let reason = engine.cancellation {
            emitTask(start, RunState(.cancelled, message: "not started: \(reason)", at: clock.now()), attempt: 0)
            return (BATON_STATUS_CANCELLED, ErrorObject(type: "CancellationError", message: reason).bytes)
        }
        let cacheKey = cacheKey(for: call, options: options)
        if firstOutcome == nil, let cacheKey, options.cache?.refresh != true, let hit = await engine.services.cachedResult(key: cacheKey) {
            let message = "cached result of \(hit.taskRunName ?? "a task run") in flow run \(hit.flowRunID.prefix(8))"
            emitTask(start, RunState(.completed, name: StateName.cached, message: message, at: clock.now()), attempt: 0, result: hit.result, cachedFrom: hit.taskRunID)
            remember(result: Array(hit.result.utf8), of: start.id)
            return (BATON_STATUS_OK, Array(hit.result.utf8))
        }

        var attempt = 1
        while true {
            var holdsSlots = false
            let outcome: BodyOutcome
            if let first = pendingOutcome {
                outcome = first
                pendingOutcome = nil
            } else {
            if !options.tags.isEmpty {
                let flowRunID = self.flowRunID
                let attempt = attempt
                let acquired = await engine.services.acquireSlots(tags: options.tags, taskRunID: start.id, flowRunID: flowRunID) {
                    let message = "waiting for a slot of \(options.tags.joined(separator: ", "))"
                    self.emitTask(start, RunState(.scheduled, name: "AwaitingConcurrencySlot", message: message, at: clock.now()), attempt: attempt)
                    self.log(.info, "\(message) (a concurrency limit is full)", taskRunID: start.id, taskRunName: start.name)
                }
                guard acquired else {
                    let reason = engine.cancellation ?? "the wait for a concurrency slot was given up"
                    emitTask(start, RunState(.cancelled, message: "not started: \(reason)", at: clock.now()), attempt: attempt)
                    return (BATON_STATUS_CANCELLED, ErrorObject(type: "CancellationError", message: reason).bytes)
                }
                holdsSlots = true
            }
            emitTask(start, RunState(.running, name: attempt == 1 ? StateName.running : StateName.retrying, at: clock.now()), attempt: attempt)
            outcome = await invoke(start, call: call, attempt: attempt, timeout: options.timeoutSeconds)
            if holdsSlots { engine.services.releaseSlots(taskRunID: start.id) }
            }

            var error: ErrorObject
            var failureName = StateName.failed
            switch outcome {
            case .finished(BATON_STATUS_OK, let output):
                let result = String(decoding: output, as: UTF8.self)
                let completed = RunState(.completed, at: clock.now())
                emitTask(start, completed, attempt: attempt, result: result)
                remember(result: output, of: start.id)
                if let cacheKey {
                    let expires = options.cache?.expirationSeconds.map { clock.now().addingTimeInterval($0) }
                    emit(.cacheStore(CacheEntry(
                        key: cacheKey, taskName: call.task, result: result, flowRunID: flowRunID, taskRunID: start.id,
                        taskRunName: start.name, createdAt: clock.now(), expiresAt: expires)))
                }
                await taskHook("onCompletion", start, options, completed, attempt)
                return (BATON_STATUS_OK, output)
            case .finished(let status, let output) where status == BATON_STATUS_CANCELLED || (status != BATON_STATUS_OK && engine.cancellation != nil):
                let cancelled = RunState(.cancelled, message: engine.cancellation ?? "the task body was cancelled", at: clock.now())
                emitTask(start, cancelled, attempt: attempt)
                await taskHook("onCancellation", start, options, cancelled, attempt)
                return (BATON_STATUS_CANCELLED, output)
            case .abandoned:
                let cancelled = RunState(.cancelled, message: "\(engine.cancellation ?? "cancelled"); the task body did not stop", at: clock.now())
                emitTask(start, cancelled, attempt: attempt)
                return (BATON_STATUS_CANCELLED, ErrorObject(type: "CancellationError", message: cancelled.message!).bytes)
            case .finished(BATON_STATUS_UNKNOWN, _):
                error = ErrorObject(type: "BatonError", message: "the library has no task named '\(call.task)'", retryable: false)
            case .finished(_, let output):
                error = ErrorObject.decode(output)
            case .timedOut:
                failureName = StateName.timedOut
                error = ErrorObject(
                    type: StateName.timedOut, message: "the attempt exceeded its timeout of \(Self.seconds(options.timeoutSeconds ?? 0))")
            }

            if error.retryable != false, attempt <= options.retries, engine.cancellation == nil {
                let delay = options.delay(beforeRetry: attempt, random: clock.random())
                let message = "attempt \(attempt) of \(options.retries + 1) failed: \(error.text)"
                emitTask(start, RunState(.scheduled, name: StateName.awaitingRetry, message: message, at: clock.now()), attempt: attempt)
                log(.warning, "\(message); retrying in \(Self.seconds(delay))", taskRunID: start.id, taskRunName: start.name)
                try? await clock.sleep(seconds: delay)
                attempt += 1
                continue
            }
            var text = error.text
            if error.retryable == false, options.retries > 0, attempt <= options.retries { text += " (not retried: the retry condition declined it)" }
            let failed = RunState(.failed, name: failureName, message: text, at: clock.now())
            emitTask(start, failed, attempt: attempt)
            log(.error, "Finished in state \(failureName): \(text)", taskRunID: start.id, taskRunName: start.name)
            await taskHook("onFailure", start, options, failed, attempt)
            return (BATON_STATUS_FAILED, ErrorObject(type: error.type, message: text, retryable: error.retryable).bytes)
        }
    }

    /// One attempt: invokes the task body in the library and waits for it or for its timeout.
    private func invoke(_ start: TaskRunStart, call: TaskCall, attempt: Int, timeout: Double?) async -> BodyOutcome {
        let info = runInfo.bytes(attempt: attempt, taskRunID: start.id, taskRunName: start.name)
        let (context, outcome) = await Contexts.run(flow: self, taskRunID: start.id, taskRunName: start.name, timeout: timeout) { context in
            engine.library.invokeTask(call.task, input: call.input, runInfo: info, context: context)
        }
        if case .timedOut = outcome { engine.library.cancel(context: context) }
        return outcome
    }

    private func taskHook(_ hook: String, _ start: TaskRunStart, _ options: TaskOptionsSpec, _ final: RunState, _ attempt: Int) async {
        guard options.hooks.contains(hook) else { return }
        await runHook(kind: "task", name: start.taskName, hook: hook, state: final, taskRunID: start.id, taskRunName: start.name, attempt: attempt)
    }

    func remember(result: [UInt8], of taskRunID: String) {
        guard Lineage.isDistinctive(result[...]) else { return }
        state.withLock { $0.lineage.record(result: result, taskRunID: taskRunID) }
    }

    /// The key a task's result is cached under: by inputs, by inputs and library version, or by the
    /// task's own key closure; nil when the task does not cache.
    private func cacheKey(for call: TaskCall, options: TaskOptionsSpec) -> String? {
        guard let policy = options.cache?.policy else { return nil }
        let name = Array(call.task.utf8) + [0]
        switch policy {
        case "inputs": return SHA256.hex(of: Array("inputs\0".utf8) + name + call.input)
        case "inputsAndVersion": return SHA256.hex(of: Array("inputsAndVersion\0".utf8) + name + Array(engine.spec.libraryHash.utf8) + [0] + call.input)
        case "key":
            guard let key = call.call.cacheKey else { return nil }
            return SHA256.hex(of: Array("key\0".utf8) + name + Array(key.utf8))
        default: return nil
        }
    }
}

/// The context of a body, known to its completion closure once registered.
final class ContextBox: Sendable {
    let value = Atomic<UInt>(0)
}
