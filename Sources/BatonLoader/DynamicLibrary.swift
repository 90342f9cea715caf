import BatonCore
import CBatonABI
import Foundation

/// A flow library loaded into this process. The only place that calls `dlopen` and `dlsym`.
///
/// Libraries are opened `RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE` and never closed: unloading a Swift
/// library leaves the runtime's conformance records pointing at unmapped memory. Load one version per
/// process (a runner child); the host's own processes never load flow libraries.
///
/// `@unchecked Sendable`: the library's table is immutable and valid until process exit (baton.h).
public final class DynamicLibrary: @unchecked Sendable {
    public let path: String
    public let magic: LibraryMagic
    private let table: UnsafePointer<baton_library_v1>

    /// Checks the file (ELF, entry point, magic) before anything of it runs, then loads it and opens it
    /// with the host's table.
    public init(path: String, host: UnsafePointer<baton_host_v1>) throws {
        let image = try ELFImage(path: path)
        try LibraryMagic.host.check(library: image.magic, path: path)
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw BatonError(.registrationFailed, "library '\(path)' cannot be loaded: \(reason)")
        }
        guard let symbol = dlsym(handle, BATON_ENTRY_POINT) else {
            throw BatonError(.noEntryPoint, "'\(path)' has no Baton entry point (baton_library_open)")
        }
        let open = unsafeBitCast(symbol, to: baton_library_open_fn.self)
        var table: UnsafePointer<baton_library_v1>?
        let status = open(host, &table)
        guard status == BATON_STATUS_OK, let table else {
            throw BatonError(
                .incompatibleLibrary, "incompatible library '\(path)': its entry point refused this host (status \(status))")
        }
        guard table.pointee.abi_version >> 16 == BATON_ABI_MAJOR,
            Int(table.pointee.struct_size) >= MemoryLayout<baton_library_v1>.offset(of: \baton_library_v1.run_hook)!
        else {
            throw BatonError(
                .incompatibleLibrary,
                "incompatible library '\(path)': its table is ABI \(table.pointee.abi_version >> 16).\(table.pointee.abi_version & 0xFFFF) "
                    + "of \(table.pointee.struct_size) bytes, this host needs ABI \(BATON_ABI_MAJOR) of at least "
                    + "\(MemoryLayout<baton_library_v1>.size) bytes")
        }
        self.path = path
        self.magic = image.magic
        self.table = table
    }

    /// Makes standard output line-buffered, so that what a body prints reaches the parent as it is
    /// printed rather than when the buffer fills. `stdout` is a C global Swift 6 will not touch, so
    /// it is found through the dynamic linker like any other symbol.
    public static func lineBufferStandardOutput() {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "stdout") else { return }
        let stream = symbol.assumingMemoryBound(to: UnsafeMutablePointer<FILE>?.self).pointee
        setvbuf(stream, nil, _IOLBF, 0)
    }

    /// The manifest's JSON bytes.
    public var manifestData: Data {
        var bytes: UnsafePointer<UInt8>?
        var length = 0
        table.pointee.manifest?(&bytes, &length)
        guard let bytes else { return Data() }
        return Data(bytes: bytes, count: length)
    }

    /// Starts a flow body; see `start_flow` in baton.h.
    public func startFlow(_ flow: String, parameters: [UInt8], runInfo: [UInt8], context: UInt) -> Int32 {
        flow.withCString { name in
            parameters.withUnsafeBufferPointer { p in
                runInfo.withUnsafeBufferPointer { i in
                    table.pointee.start_flow?(
                        name, p.baseAddress, p.count, i.baseAddress, i.count, UnsafeMutableRawPointer(bitPattern: context))
                        ?? BATON_STATUS_UNKNOWN
                }
            }
        }
    }

    /// Starts one attempt of a task body; see `invoke_task` in baton.h.
    public func invokeTask(_ task: String, input: [UInt8], runInfo: [UInt8], context: UInt) -> Int32 {
        task.withCString { name in
            input.withUnsafeBufferPointer { p in
                runInfo.withUnsafeBufferPointer { i in
                    table.pointee.invoke_task?(
                        name, p.baseAddress, p.count, i.baseAddress, i.count, UnsafeMutableRawPointer(bitPattern: context))
                        ?? BATON_STATUS_UNKNOWN
                }
            }
        }
    }

    /// Asks the body running under `context` to stop.
    public func cancel(context: UInt) {
        table.pointee.cancel?(UnsafeMutableRawPointer(bitPattern: context))
    }

    /// Starts a flow's or task's hook; see `run_hook` in baton.h. A library of ABI 1.0 has no hooks.
    public func runHook(kind: String, name: String, hook: String, state: [UInt8], runInfo: [UInt8], context: UInt) -> Int32 {
        guard Int(table.pointee.struct_size) >= MemoryLayout<baton_library_v1>.size, let run = table.pointee.run_hook else {
            return BATON_STATUS_UNKNOWN
        }
        return kind.withCString { kind in
            name.withCString { name in
                hook.withCString { hook in
                    state.withUnsafeBufferPointer { s in
                        runInfo.withUnsafeBufferPointer { i in
                            run(kind, name, hook, s.baseAddress, s.count, i.baseAddress, i.count, UnsafeMutableRawPointer(bitPattern: context))
                        }
                    }
                }
            }
        }
    }
}
