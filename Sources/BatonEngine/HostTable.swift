import BatonCore
import BatonLoader
import CBatonABI
import Foundation
import Synchronization

/// The host's `baton_host_v1` table and the contexts it hands to library code.
///
/// A context is a small integer passed as `void *`: the library gives it back with each call, and the
/// registry here says which flow run, task attempt or hook it belongs to. The functions are C functions
/// in a nonisolated type, because library threads call them.
enum HostTable {
    /// `nonisolated(unsafe)`: initialised once, thread-safely, and read-only afterwards, as baton.h
    /// promises the library.
    nonisolated(unsafe) static let pointer: UnsafePointer<baton_host_v1> = {
        let table = UnsafeMutablePointer<baton_host_v1>.allocate(capacity: 1)
        table.initialize(
            to: baton_host_v1(
                struct_size: UInt32(MemoryLayout<baton_host_v1>.size),
                abi_version: BATON_ABI_MAJOR << 16 | BATON_ABI_MINOR,
                submit_task: submitTask, log: log, artifact: artifact, flow_finished: finished,
                task_finished: finished, submit_call: submitCall, start_subflow: startSubflow, read_value: readValue))
        return UnsafePointer(table)
    }()

    static let submitTask:
        @convention(c) (
            UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafePointer<UInt8>?, Int, UnsafePointer<UInt8>?, Int,
            baton_task_done_fn?, UnsafeMutableRawPointer?
        ) -> Void = { caller, name, input, inputLength, options, optionsLength, done, doneContext in
            submitCall(caller, name, input, inputLength, options, optionsLength, nil, 0, done, doneContext)
        }

    static let submitCall:
        @convention(c) (
            UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafePointer<UInt8>?, Int, UnsafePointer<UInt8>?, Int,
            UnsafePointer<UInt8>?, Int, baton_task_done_fn?, UnsafeMutableRawPointer?
        ) -> Void = { caller, name, input, inputLength, options, optionsLength, call, callLength, done, doneContext in
            let completion = Completion(done: done, context: doneContext)
            guard let name, let entry = Contexts.entry(UInt(bitPattern: caller)) else {
                completion.call(BATON_STATUS_UNKNOWN, ErrorObject(type: "BatonError", message: "task called outside a run").bytes)
                return
            }
            let taskCall = TaskCall(
                task: String(cString: name), input: copy(input, inputLength), options: copy(options, optionsLength),
                call: CallInfo.decode(copy(call, callLength)), parentTaskRunID: entry.taskRunID)
            entry.flow.submit(taskCall, completion: completion)
        }

    static let startSubflow:
        @convention(c) (
            UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafePointer<UInt8>?, Int, baton_task_done_fn?,
            UnsafeMutableRawPointer?
        ) -> Void = { caller, name, parameters, length, done, doneContext in
            let completion = Completion(done: done, context: doneContext)
            guard let name, let entry = Contexts.entry(UInt(bitPattern: caller)) else {
                completion.call(BATON_STATUS_UNKNOWN, ErrorObject(type: "BatonError", message: "subflow called outside a run").bytes)
                return
            }
            entry.flow.startSubflow(
                String(cString: name), parameters: copy(parameters, length), parentTaskRunID: entry.taskRunID,
                completion: completion)
        }

    static let readValue:
        @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, baton_task_done_fn?, UnsafeMutableRawPointer?) -> Void = {
            caller, kind, name, done, doneContext in
            let completion = Completion(done: done, context: doneContext)
            guard let kind, let name, let entry = Contexts.entry(UInt(bitPattern: caller)) else {
                completion.call(BATON_STATUS_FAILED, ErrorObject(type: "BatonError", message: "a secret or variable read outside a run").bytes)
                return
            }
            guard let valueKind = NamedValueKind(rawValue: String(cString: kind)) else {
                completion.call(
                    BATON_STATUS_BAD_INPUT, ErrorObject(type: "invalidInput", message: "'\(String(cString: kind))' is not secret or variable").bytes)
                return
            }
            entry.flow.readValue(valueKind, name: String(cString: name), completion: completion)
        }

    static let log: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<UInt8>?, Int) -> Void = {
        caller, level, message, length in
        guard let entry = Contexts.entry(UInt(bitPattern: caller)) else { return }
        let text = String(decoding: copy(message, length), as: UTF8.self)
        entry.flow.log(LogLevel(clamping: Int(level)), text, taskRunID: entry.taskRunID, taskRunName: entry.taskRunName)
    }

    static let artifact: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<UInt8>?, Int) -> Void = {
        caller, json, length in
        guard let entry = Contexts.entry(UInt(bitPattern: caller)) else { return }
        entry.flow.artifact(copy(json, length), taskRunID: entry.taskRunID)
    }

    static let finished: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<UInt8>?, Int) -> Void = {
        context, status, output, length in
        Contexts.finish(UInt(bitPattern: context), status: status, output: copy(output, length))
    }

    static func copy(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> [UInt8] {
        guard let pointer, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }
}

/// The `done` callback of a task or subflow call.
///
/// `@unchecked Sendable`: a C function pointer and the library's opaque context, which baton.h says
/// may be used from any thread, exactly once.
struct Completion: @unchecked Sendable {
    let done: baton_task_done_fn?
    let context: UnsafeMutableRawPointer?

    func call(_ status: Int32, _ output: [UInt8]) {
        output.withUnsafeBufferPointer { done?(context, status, $0.baseAddress, $0.count) }
    }
}

/// The registry of contexts handed to library code.
enum Contexts {
    struct Entry: Sendable {
        let flow: FlowExecution
        /// Set for a task attempt's or a task hook's context; nil for a flow body's.
        let taskRunID: String?
        let taskRunName: String?
        /// Called once when the body of this context finishes.
        let complete: @Sendable (Int32, [UInt8]) -> Void
    }

    private static let entries = ShardedMap<Entry>()
    private static let counter = Atomic<UInt>(0)

    static func register(_ entry: Entry) -> UInt {
        let id = counter.add(1, ordering: .relaxed).newValue
        entries[id] = entry
        return id
    }

    static func entry(_ id: UInt) -> Entry? { entries[id] }

    /// The contexts of the task attempts of `flow` running now.
    static func taskAttempts(of flow: FlowExecution) -> [UInt] {
        entries.all.filter { $0.value.flow === flow && $0.value.taskRunID != nil }.map(\.key)
    }

    /// Ends a context and reports how its body finished. A second finish, or one for an unknown
    /// context, does nothing.
    static func finish(_ id: UInt, status: Int32, output: [UInt8]) {
        entries.remove(id)?.complete(status, output)
    }

    /// Runs a body under a new context and waits for it, or for `timeout` seconds, or for the engine
    /// to give it up after a cancellation. `start` starts the body and returns its start status.
    static func run(
        flow: FlowExecution, taskRunID: String?, taskRunName: String?, timeout: Double?,
        start: (UInt) -> Int32
    ) async -> (context: UInt, outcome: BodyOutcome) {
        let race = OneShot<BodyOutcome>()
        let context = register(Entry(flow: flow, taskRunID: taskRunID, taskRunName: taskRunName) { status, output in
            race.resolve(.finished(status, output))
        })
        flow.engine.track(context: context) { race.resolve(.abandoned) }
        let started = start(context)
        if started != BATON_STATUS_OK { finish(context, status: started, output: []) }
        var timer: Task<Void, Never>?
        if let timeout, started == BATON_STATUS_OK {
            let clock = flow.engine.clock
            timer = Task {
                do {
                    try await clock.sleep(seconds: timeout)
                    race.resolve(.timedOut)
                } catch {}
            }
        }
        let outcome = await race.value
        timer?.cancel()
        flow.engine.untrack(context: context)
        if case .finished = outcome {} else { entries.remove(context) }
        return (context, outcome)
    }
}
