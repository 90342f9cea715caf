import CBatonABI

/// The run a body belongs to, found through a task-local value so that `try await extract(x)` inside
/// a flow goes through the engine and the same call outside a run runs the function directly.
struct RunScope: Sendable {
    /// The host's table.
    let host: HostBridge
    /// The opaque context the host gave for this body (`run_context` or `call_context`), as bits.
    let caller: UInt
    /// What the host told the body about its run, as JSON; decoded when a body asks for it.
    let infoJSON: [UInt8]

    var info: RunInfo? { try? BatonJSON.decode(RunInfo.self, from: infoJSON) }
    /// Whether `print` becomes log lines.
    let logPrints: Bool

    @TaskLocal static var current: RunScope?
}
