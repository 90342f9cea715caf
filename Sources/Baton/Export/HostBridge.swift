import CBatonABI

/// Calls into the host's table.
///
/// `@unchecked Sendable`: the table is immutable and the host keeps it valid until process exit
/// (baton.h), so sharing its address across threads is safe.
struct HostBridge: @unchecked Sendable {
    let table: UnsafePointer<baton_host_v1>

    func log(caller: UInt, level: Int32, message: String) {
        var message = message
        message.withUTF8 { bytes in
            table.pointee.log?(UnsafeMutableRawPointer(bitPattern: caller), level, bytes.baseAddress, bytes.count)
        }
    }

    /// Sends a task call to the engine and waits for its `done` callback.
    func submitTask(caller: UInt, task: String, input: [UInt8], options: [UInt8]) async -> (Int32, [UInt8]) {
        await withCheckedContinuation { (continuation: CheckedContinuation<(Int32, [UInt8]), Never>) in
            let box = Unmanaged.passRetained(CompletionBox(continuation)).toOpaque()
            task.withCString { name in
                input.withUnsafeBufferPointer { input in
                    options.withUnsafeBufferPointer { options in
                        table.pointee.submit_task?(
                            UnsafeMutableRawPointer(bitPattern: caller), name, input.baseAddress, input.count,
                            options.baseAddress, options.count, HostBridge.taskDone, box)
                    }
                }
            }
        }
    }

    func flowFinished(context: UInt, status: Int32, output: [UInt8]) {
        output.withUnsafeBufferPointer {
            table.pointee.flow_finished?(UnsafeMutableRawPointer(bitPattern: context), status, $0.baseAddress, $0.count)
        }
    }

    func taskFinished(context: UInt, status: Int32, output: [UInt8]) {
        output.withUnsafeBufferPointer {
            table.pointee.task_finished?(UnsafeMutableRawPointer(bitPattern: context), status, $0.baseAddress, $0.count)
        }
    }

    /// The `done` callback of submit_task: a C function that resumes the waiting continuation. It
    /// lives in a nonisolated type because the host calls it from its own threads.
    static let taskDone: baton_task_done_fn = { context, status, output, length in
        guard let context else { return }
        let box = Unmanaged<CompletionBox>.fromOpaque(context).takeRetainedValue()
        let bytes = output.map { Array(UnsafeBufferPointer(start: $0, count: length)) } ?? []
        box.continuation.resume(returning: (status, bytes))
    }
}

/// Carries a continuation through the host as an opaque pointer.
private final class CompletionBox: Sendable {
    let continuation: CheckedContinuation<(Int32, [UInt8]), Never>
    init(_ continuation: CheckedContinuation<(Int32, [UInt8]), Never>) { self.continuation = continuation }
}
