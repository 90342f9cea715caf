import BatonCore
import BatonLoader
import CBatonABI
import Foundation
import Synchronization

/// The host's `baton_host_v1` table and the contexts it hands to library code.
///
/// A context is a small integer passed as `void *`: the library gives it back with each call, and the
/// registry here says which engine, flow run or task attempt it belongs to. Its functions are C
/// functions in a nonisolated type, because library threads call them.
enum HostTable {
    /// `nonisolated(unsafe)`: initialised once, thread-safely, and read-only afterwards, as baton.h
    /// promises the library.
    nonisolated(unsafe) static let pointer: UnsafePointer<baton_host_v1> = {
        let table = UnsafeMutablePointer<baton_host_v1>.allocate(capacity: 1)
        table.initialize(
            to: baton_host_v1(
                struct_size: UInt32(MemoryLayout<baton_host_v1>.size),
                abi_version: BATON_ABI_MAJOR << 16 | BATON_ABI_MINOR,
                submit_task: submitTask, log: log, artifact: artifact, flow_finished: flowFinished,
                task_finished: taskFinished))
        return UnsafePointer(table)
    }()

    static let submitTask:
        @convention(c) (
            UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafePointer<UInt8>?, Int, UnsafePointer<UInt8>?, Int,
            baton_task_done_fn?, UnsafeMutableRawPointer?
        ) -> Void = { caller, name, input, inputLength, options, optionsLength, done, doneContext in
            let completion = Completion(done: done, context: doneContext)
            guard let name, let entry = Contexts.entry(UInt(bitPattern: caller)) else {
                completion.call(BATON_STATUS_UNKNOWN, ErrorObject(type: "BatonError", message: "task called outside a run").bytes)
                return
            }
            let call = TaskCall(
                task: String(cString: name), input: copy(input, inputLength), options: copy(options, optionsLength),
                parentTaskRunID: entry.taskRunID)
            entry.engine.submit(call, completion: completion)
        }

    static let log: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<UInt8>?, Int) -> Void = {
        caller, level, message, length in
        guard let entry = Contexts.entry(UInt(bitPattern: caller)) else { return }
        let text = String(decoding: copy(message, length), as: UTF8.self)
        entry.engine.log(LogLevel(clamping: Int(level)), text, taskRunID: entry.taskRunID, taskRunName: entry.taskRunName)
    }

    static let artifact: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<UInt8>?, Int) -> Void = { _, _, _ in
        // Artifacts are stored from the engine issue on; until then the call is accepted and ignored.
    }

    static let flowFinished: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<UInt8>?, Int) -> Void = {
        context, status, output, length in
        Contexts.finish(UInt(bitPattern: context), status: status, output: copy(output, length))
    }

    static let taskFinished: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<UInt8>?, Int) -> Void = {
        context, status, output, length in
        Contexts.finish(UInt(bitPattern: context), status: status, output: copy(output, length))
    }

    static func copy(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> [UInt8] {
        guard let pointer, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }
}

/// A task call from library code, as the engine receives it.
struct TaskCall: Sendable {
    var task: String
    var input: [UInt8]
    var options: [UInt8]
    var parentTaskRunID: String?
}

/// The `done` callback of a submit_task call.
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
        let engine: FlowRunEngine
        /// Set for a task attempt's context; nil for a flow body's.
        let taskRunID: String?
        let taskRunName: String?
        /// Resumed when the body of this context finishes.
        let continuation: CheckedContinuation<(Int32, [UInt8]), Never>
    }

    private static let entries = Mutex<[UInt: Entry]>([:])
    private static let counter = Atomic<UInt>(0)

    static func register(_ entry: Entry) -> UInt {
        let id = counter.add(1, ordering: .relaxed).newValue
        entries.withLock { $0[id] = entry }
        return id
    }

    static func entry(_ id: UInt) -> Entry? { entries.withLock { $0[id] } }

    /// Ends a context: removes it and resumes whoever waits for its body. A second finish, or one for
    /// an unknown context, does nothing.
    static func finish(_ id: UInt, status: Int32, output: [UInt8]) {
        let entry = entries.withLock { $0.removeValue(forKey: id) }
        entry?.continuation.resume(returning: (status, output))
    }
}
