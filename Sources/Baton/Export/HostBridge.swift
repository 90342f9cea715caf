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
            BodyExecutor.hostCall { table.pointee.log?(UnsafeMutableRawPointer(bitPattern: caller), level, bytes.baseAddress, bytes.count) }
        }
    }

    func artifact(caller: UInt, json: [UInt8]) {
        json.withUnsafeBufferPointer { json in
            BodyExecutor.hostCall { table.pointee.artifact?(UnsafeMutableRawPointer(bitPattern: caller), json.baseAddress, json.count) }
        }
    }

    /// Sends a task call to the engine; `completion` gets its outcome, from any thread.
    func submitCall(
        caller: UInt, task: String, input: [UInt8], options: [UInt8], call: [UInt8],
        completion: @escaping @Sendable (Int32, [UInt8]) -> Void
    ) {
        let box = Unmanaged.passRetained(CompletionBox(completion)).toOpaque()
        task.withCString { name in
            input.withUnsafeBufferPointer { input in
                options.withUnsafeBufferPointer { options in
                    call.withUnsafeBufferPointer { call in
                        BodyExecutor.hostCall {
                            table.pointee.submit_call?(
                                UnsafeMutableRawPointer(bitPattern: caller), name, input.baseAddress, input.count,
                                options.baseAddress, options.count, call.baseAddress, call.count, HostBridge.done, box)
                        }
                    }
                }
            }
        }
    }

    /// Sends a task call to the engine and waits for its outcome.
    func submitCall(caller: UInt, task: String, input: [UInt8], options: [UInt8], call: [UInt8]) async -> (Int32, [UInt8]) {
        await withCheckedContinuation { continuation in
            submitCall(caller: caller, task: task, input: input, options: options, call: call) { status, output in
                continuation.resume(returning: (status, output))
            }
        }
    }

    /// Runs another flow of the library as a subflow run and waits for its outcome.
    func startSubflow(caller: UInt, flow: String, parameters: [UInt8]) async -> (Int32, [UInt8]) {
        await withCheckedContinuation { continuation in
            let box = Unmanaged.passRetained(CompletionBox { continuation.resume(returning: ($0, $1)) }).toOpaque()
            flow.withCString { name in
                parameters.withUnsafeBufferPointer { p in
                    BodyExecutor.hostCall { table.pointee.start_subflow?(UnsafeMutableRawPointer(bitPattern: caller), name, p.baseAddress, p.count, HostBridge.done, box) }
                }
            }
        }
    }

    /// Reads a secret or variable of the run's project (ABI 1.2) and waits for it.
    func readValue(caller: UInt, kind: String, name: String) async -> (Int32, [UInt8]) {
        guard Int(table.pointee.struct_size) >= MemoryLayout<baton_host_v1>.offset(of: \baton_host_v1.read_value)! + MemoryLayout<UnsafeRawPointer>.size,
            table.pointee.read_value != nil
        else {
            let refusal = ErrorInfo(type: "incompatible", message: "this baton host is too old to read secrets and variables: upgrade it")
            return (BATON_STATUS_INCOMPATIBLE, (try? BatonJSON.encode(refusal)) ?? [])
        }
        return await withCheckedContinuation { continuation in
            let box = Unmanaged.passRetained(CompletionBox { continuation.resume(returning: ($0, $1)) }).toOpaque()
            kind.withCString { kind in
                name.withCString { name in
                    BodyExecutor.hostCall { table.pointee.read_value?(UnsafeMutableRawPointer(bitPattern: caller), kind, name, HostBridge.done, box) }
                }
            }
        }
    }

    func flowFinished(context: UInt, status: Int32, output: [UInt8]) {
        output.withUnsafeBufferPointer { output in
            BodyExecutor.hostCall { table.pointee.flow_finished?(UnsafeMutableRawPointer(bitPattern: context), status, output.baseAddress, output.count) }
        }
    }

    func taskFinished(context: UInt, status: Int32, output: [UInt8]) {
        output.withUnsafeBufferPointer { output in
            BodyExecutor.hostCall { table.pointee.task_finished?(UnsafeMutableRawPointer(bitPattern: context), status, output.baseAddress, output.count) }
        }
    }

    /// The `done` callback of submit_call and start_subflow: a C function in a nonisolated type,
    /// because the host calls it from its own threads.
    static let done: baton_task_done_fn = { context, status, output, length in
        guard let context else { return }
        let box = Unmanaged<CompletionBox>.fromOpaque(context).takeRetainedValue()
        let bytes = output.map { Array(UnsafeBufferPointer(start: $0, count: length)) } ?? []
        box.completion(status, bytes)
    }
}

/// Carries a completion closure through the host as an opaque pointer.
private final class CompletionBox: Sendable {
    let completion: @Sendable (Int32, [UInt8]) -> Void
    init(_ completion: @escaping @Sendable (Int32, [UInt8]) -> Void) { self.completion = completion }
}
