import CBatonABI
import FoundationEssentials
import Synchronization

/// The library side of the C ABI, called by the entry point the BatonEntryPoint plugin generates.
/// Flow authors never call it.
public enum BatonLibraryExport {
    /// Implements `baton_library_open`: checks the host's table and hands it the library's.
    ///
    /// - Parameters:
    ///   - host: The host's `baton_host_v1` table.
    ///   - out: Where to store the library's `baton_library_v1` table.
    ///   - declarations: Every flow and task the plugin found; naming them creates and registers them.
    public static func open(
        host: UnsafeRawPointer?, out: UnsafeMutablePointer<UnsafeRawPointer?>?, declarations: [any BatonDeclaration]
    ) -> Int32 {
        _ = declarations
        guard let host, let out else { return BATON_STATUS_INCOMPATIBLE }
        let table = host.assumingMemoryBound(to: baton_host_v1.self)
        guard table.pointee.abi_version >> 16 == BATON_ABI_MAJOR,
            Int(table.pointee.struct_size) >= MemoryLayout<baton_host_v1>.size
        else { return BATON_STATUS_INCOMPATIBLE }
        LibraryState.hostTable.store(UInt(bitPattern: table), ordering: .releasing)
        out.pointee = UnsafeRawPointer(LibraryTable.table)
        return BATON_STATUS_OK
    }
}

enum LibraryState {
    /// The address of the host's table, from `open`; read on every call, so an atomic rather than a lock.
    static let hostTable = Atomic<UInt>(0)

    static var host: HostBridge? {
        UnsafePointer<baton_host_v1>(bitPattern: hostTable.load(ordering: .acquiring)).map { HostBridge(table: $0) }
    }

    /// Bodies running for the host, by the context the host gave them, so that `cancel` can find
    /// them; in shards with a lock each, as bodies start and end on many threads at once.
    private static let running: [Shard] = (0..<64).map { _ in Shard() }

    private final class Shard: Sendable {
        let tasks = Locked<[UInt: Task<Void, Never>]>([:])
        func withLock<R: Sendable>(_ body: (inout [UInt: Task<Void, Never>]) -> R) -> R { tasks.withLock { body(&$0) } }
    }

    private static func shard(_ context: UInt) -> Shard { running[Int(context % 64)] }

    /// Runs a body on the body executor (never on the cooperative pool, which blocking bodies would
    /// starve), remembering it under its context so that `cancel` can reach it.
    static func start(context: UInt, _ body: @escaping @Sendable () async -> Void) {
        shard(context).withLock { running in
            // Created under the lock, so the body's removal below cannot run before the insertion.
            running[context] = Task.detached(executorPreference: BodyExecutor.shared) {
                await body()
                _ = LibraryState.shard(context).withLock { $0.removeValue(forKey: context) }
            }
        }
    }

    /// Asks the body running under `context`, if any, to stop.
    static func cancel(context: UInt) {
        shard(context).withLock { $0[context] }?.cancel()
    }
}

/// The library's `baton_library_v1` table. Its functions are C functions defined in a nonisolated
/// type: the host calls them from its own threads.
enum LibraryTable {
    /// `nonisolated(unsafe)`: written once when first used (a Swift global's initializer is run once,
    /// thread-safely) and read-only afterwards, as baton.h promises the host.
    nonisolated(unsafe) static let table: UnsafeMutablePointer<baton_library_v1> = {
        let table = UnsafeMutablePointer<baton_library_v1>.allocate(capacity: 1)
        table.initialize(
            to: baton_library_v1(
                struct_size: UInt32(MemoryLayout<baton_library_v1>.size),
                abi_version: BATON_ABI_MAJOR << 16 | BATON_ABI_MINOR,
                manifest: manifest, start_flow: startFlow, invoke_task: invokeTask, cancel: cancel, run_hook: runHook))
        return table
    }()

    /// The manifest's bytes, built on first request and kept until process exit.
    nonisolated(unsafe) static let manifestBytes: UnsafeBufferPointer<UInt8> = {
        let bytes = ManifestBuilder.build()
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
        _ = buffer.initialize(from: bytes)
        return UnsafeBufferPointer(buffer)
    }()

    static let manifest: @convention(c) (UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<Int>?) -> Void = {
        json, length in
        let bytes = LibraryTable.manifestBytes
        json?.pointee = bytes.baseAddress
        length?.pointee = bytes.count
    }

    static let startFlow:
        @convention(c) (
            UnsafePointer<CChar>?, UnsafePointer<UInt8>?, Int, UnsafePointer<UInt8>?, Int, UnsafeMutableRawPointer?
        ) -> Int32 = { name, parameters, parametersLength, info, infoLength, context in
            guard let name, let flow = Registry.shared.flow(named: String(cString: name)),
                let host = LibraryState.host
            else { return BATON_STATUS_UNKNOWN }
            let input = copy(parameters, parametersLength)
            let runInfo = copy(info, infoLength)
            let caller = UInt(bitPattern: context)
            LibraryState.start(context: caller) {
                let scope = RunScope(host: host, caller: caller, infoJSON: runInfo, logPrints: flow.logPrints)
                let (status, output) = await RunScope.$current.withValue(scope) { await flow.run(input) }
                host.flowFinished(context: caller, status: status, output: output)
            }
            return BATON_STATUS_OK
        }

    static let invokeTask:
        @convention(c) (
            UnsafePointer<CChar>?, UnsafePointer<UInt8>?, Int, UnsafePointer<UInt8>?, Int, UnsafeMutableRawPointer?
        ) -> Int32 = { name, inputBytes, inputLength, info, infoLength, context in
            guard let name, let task = Registry.shared.task(named: String(cString: name)),
                let host = LibraryState.host
            else { return BATON_STATUS_UNKNOWN }
            let input = copy(inputBytes, inputLength)
            let runInfo = copy(info, infoLength)
            let caller = UInt(bitPattern: context)
            LibraryState.start(context: caller) {
                let scope = RunScope(host: host, caller: caller, infoJSON: runInfo, logPrints: task.logPrints)
                let (status, output) = await RunScope.$current.withValue(scope) { await task.invoke(input) }
                host.taskFinished(context: caller, status: status, output: output)
            }
            return BATON_STATUS_OK
        }

    static let runHook:
        @convention(c) (
            UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<UInt8>?, Int,
            UnsafePointer<UInt8>?, Int, UnsafeMutableRawPointer?
        ) -> Int32 = { kind, name, hook, stateBytes, stateLength, info, infoLength, context in
            guard let kind, let name, let hook, let host = LibraryState.host else { return BATON_STATUS_UNKNOWN }
            let hookName = String(cString: hook)
            let entryName = String(cString: name)
            let closure: (@Sendable (FinalState) async throws -> Void)?
            let logPrints: Bool
            if String(cString: kind) == "flow", let flow = Registry.shared.flow(named: entryName) {
                (closure, logPrints) = (flow.hooks[hookName], flow.logPrints)
            } else if let task = Registry.shared.task(named: entryName) {
                (closure, logPrints) = (task.hooks[hookName], task.logPrints)
            } else {
                return BATON_STATUS_UNKNOWN
            }
            guard let closure,
                let state = try? BatonJSON.decode(FinalState.self, from: copy(stateBytes, stateLength))
            else { return BATON_STATUS_UNKNOWN }
            let runInfo = copy(info, infoLength)
            let caller = UInt(bitPattern: context)
            LibraryState.start(context: caller) {
                let scope = RunScope(host: host, caller: caller, infoJSON: runInfo, logPrints: logPrints)
                let (status, output) = await RunScope.$current.withValue(scope) { () async -> (Int32, [UInt8]) in
                    do {
                        try await closure(state)
                        return (BATON_STATUS_OK, [])
                    } catch {
                        return (BATON_STATUS_FAILED, ErrorInfo(error).json)
                    }
                }
                host.taskFinished(context: caller, status: status, output: output)
            }
            return BATON_STATUS_OK
        }

    static let cancel: @convention(c) (UnsafeMutableRawPointer?) -> Void = { context in
        LibraryState.cancel(context: UInt(bitPattern: context))
    }

    private static func copy(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> [UInt8] {
        guard let pointer, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }
}

/// Builds the manifest from the registry.
enum ManifestBuilder {
    static func build() -> [UInt8] {
        let fields = BatonSDKMagic.fields
        let snapshot = Registry.shared.snapshot
        var errors = snapshot.conflicts
        var flows: [FlowManifestDocument] = []
        for flow in snapshot.flows {
            do {
                flows.append(try flow.manifest())
            } catch {
                errors.append("flow '\(flow.name)': \(error)")
            }
        }
        let document = LibraryManifestDocument(
            abiMajor: fields[1], abiMinor: fields[2], swiftCompiler: fields[3], sdkVersion: BatonSDKMagic.sdkVersion,
            flows: flows, tasks: snapshot.tasks.map(\.manifest), error: errors.isEmpty ? nil : errors.joined(separator: "; "))
        do {
            return try BatonJSON.encode(document)
        } catch {
            return Array(#"{"error":"the manifest did not encode"}"#.utf8)
        }
    }
}
