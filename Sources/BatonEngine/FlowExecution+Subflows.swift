import BatonCore
import CBatonABI
import Foundation

extension FlowExecution {
    /// A flow called from a body of this flow run: a child flow run of the same library version,
    /// linked to this run by a task run of kind `subflow` that stands for the call.
    func startSubflow(_ name: String, parameters: [UInt8], parentTaskRunID: String?, completion: Completion) {
        let now = engine.clock.now()
        guard let version = engine.spec.flowVersions[name] else {
            completion.call(
                BATON_STATUS_FAILED,
                ErrorObject(type: "BatonError", message: "subflow '\(name)' is not a registered flow of this library", retryable: false).bytes)
            return
        }
        let childID = RunID.random()
        let start: TaskRunStart = state.withLock { state in
            let index = state.counters[name, default: 0]
            state.counters[name] = index + 1
            state.position += 1
            unfinished.add(1, ordering: .relaxed)
            return TaskRunStart(
                id: RunID.make(at: now), flowRunID: flowRunID, flowRunAttempt: state.attempt, position: state.position,
                name: "\(name)-\(index)", taskName: name, kind: "subflow", childFlowRunID: childID,
                parentTaskRunID: parentTaskRunID, input: String(decoding: parameters, as: UTF8.self), createdAt: now)
        }
        let childName = RunNames.make()
        let params = (try? JSONValue(json: parameters))?.objectValue ?? [:]
        emit(.taskRunCreated(start))
        emit(.flowRunCreated(NewFlowRun(
            flow: name, version: version, parameters: params, state: RunState(.pending, at: now),
            parentFlowRunID: flowRunID, parentTaskRunID: start.id, id: childID, name: childName)))
        emit(.taskRunState(TaskRunStateChange(taskRunID: start.id, flowRunID: flowRunID, state: RunState(.running, at: now), attempt: 1)))

        Task {
            let child = FlowExecution(
                engine: engine, flowRunID: childID, flowRunName: childName, flow: name, version: version,
                parameters: parameters, attempt: 1, parentTaskRunID: start.id, reuse: [:])
            let (final, result) = await child.run()
            let clock = engine.clock
            let status: Int32
            let output: [UInt8]
            let mirrored: RunState
            switch final.type {
            case .completed:
                status = BATON_STATUS_OK
                output = Array((result ?? "null").utf8)
                mirrored = RunState(.completed, at: clock.now())
            case .cancelled:
                status = BATON_STATUS_CANCELLED
                output = ErrorObject(type: "CancellationError", message: final.message ?? "cancelled").bytes
                mirrored = RunState(.cancelled, message: "subflow run '\(childName)' was cancelled", at: clock.now())
            default:
                let text = "subflow run '\(childName)' of flow '\(name)' \(final.type.rawValue): \(final.message ?? final.name)"
                status = BATON_STATUS_FAILED
                output = ErrorObject(type: "SubflowFailure", message: text, retryable: false).bytes
                mirrored = RunState(final.type == .crashed ? .crashed : .failed, message: text, at: clock.now())
            }
            emit(.taskRunState(TaskRunStateChange(taskRunID: start.id, flowRunID: flowRunID, state: mirrored, attempt: 1, result: result)))
            completion.call(status, output)
            finishedOne()
        }
    }
}
