import CBatonABI
import FoundationEssentials
import Synchronization

/// A flow or task declaration the generated entry point hands to ``BatonLibraryExport``.
public protocol BatonDeclaration: Sendable {}
extension Flow: BatonDeclaration {}
extension FlowTask: BatonDeclaration {}

/// Every flow and task of this library, by name. Flows and tasks register themselves when they are
/// created, so a task the plugin could not see (a `private` one, say) still runs when called.
final class Registry: Sendable {
    static let shared = Registry()

    private struct State {
        var flows: [String: ExportedFlow] = [:]
        var tasks: [String: ExportedTask] = [:]
        var conflicts: [String] = []
    }
    private let state = Locked(State())

    func register(flow: ExportedFlow) {
        state.withLock { state in
            if let existing = state.flows[flow.name], existing.sourceLocation != flow.sourceLocation {
                state.conflicts.append(
                    "flow '\(flow.name)' is declared twice, at \(existing.sourceLocation) and \(flow.sourceLocation)")
            }
            state.flows[flow.name] = flow
        }
    }

    func register(task: ExportedTask) {
        state.withLock { state in
            if let existing = state.tasks[task.name], existing.sourceLocation != task.sourceLocation {
                state.conflicts.append(
                    "task '\(task.name)' is declared twice, at \(existing.sourceLocation) and \(task.sourceLocation)")
            }
            state.tasks[task.name] = task
        }
    }

    func flow(named name: String) -> ExportedFlow? { state.withLock { $0.flows[name] } }
    func task(named name: String) -> ExportedTask? { state.withLock { $0.tasks[name] } }

    var snapshot: (flows: [ExportedFlow], tasks: [ExportedTask], conflicts: [String]) {
        state.withLock { state in
            (
                state.flows.values.sorted { $0.name < $1.name }, state.tasks.values.sorted { $0.name < $1.name },
                state.conflicts
            )
        }
    }
}

/// A flow with its types erased, as the library table runs it.
struct ExportedFlow: Sendable {
    let name: String
    let sourceLocation: String
    let logPrints: Bool
    let manifest: @Sendable () throws -> FlowManifestDocument
    let run: @Sendable (_ parameters: [UInt8]) async -> (Int32, [UInt8])
    let hooks: [String: @Sendable (FinalState) async throws -> Void]

    init<P, R>(_ flow: Flow<P, R>) {
        name = flow.name
        sourceLocation = flow.sourceLocation
        logPrints = flow.options.logPrints
        hooks = flow.hooks
        manifest = {
            FlowManifestDocument(
                name: flow.name, description: flow.description,
                parameters: try ParameterSchema.schema(
                    of: P(), descriptions: P.parameterDescriptions, constraints: P.parameterConstraints),
                resultType: typeName(R.self), schedule: flow.schedule, sourceLocation: flow.sourceLocation,
                options: flow.options)
        }
        run = { bytes in
            let parameters: P
            do {
                parameters = try BatonJSON.decode(P.self, from: bytes)
            } catch {
                return (BATON_STATUS_BAD_INPUT, ErrorInfo(type: "DecodingError", message: "parameters did not decode: \(error)").json)
            }
            return await complete(retryIf: nil) { try BatonJSON.encode(try await flow.body(parameters)) }
        }
    }
}

/// A task with its types erased, as the library table invokes it.
struct ExportedTask: Sendable {
    let name: String
    let sourceLocation: String
    let logPrints: Bool
    let manifest: TaskManifestDocument
    let invoke: @Sendable (_ input: [UInt8]) async -> (Int32, [UInt8])
    let hooks: [String: @Sendable (FinalState) async throws -> Void]

    init<I, O>(_ task: FlowTask<I, O>) {
        name = task.name
        sourceLocation = task.options.sourceLocation ?? ""
        logPrints = task.options.logPrints
        hooks = task.behaviour.hooks
        manifest = TaskManifestDocument(
            name: task.name, inputType: typeName(I.self), outputType: typeName(O.self), options: task.options)
        let retryIf = task.behaviour.retryIf
        invoke = { bytes in
            let input: I
            do {
                input = try BatonJSON.decode(I.self, from: bytes)
            } catch {
                return (BATON_STATUS_BAD_INPUT, ErrorInfo(type: "DecodingError", message: "input did not decode: \(error)", retryable: false).json)
            }
            return await complete(retryIf: retryIf) { try BatonJSON.encode(try await task.body(input)) }
        }
    }
}

/// Runs a body and turns its outcome into an ABI status and buffer; a failure says whether the
/// task's retry condition allows a retry.
private func complete(retryIf: (@Sendable (any Error) -> Bool)?, _ body: () async throws -> [UInt8]) async -> (Int32, [UInt8]) {
    do {
        return (BATON_STATUS_OK, try await body())
    } catch is CancellationError {
        return (BATON_STATUS_CANCELLED, ErrorInfo(type: "CancellationError", message: "cancelled").json)
    } catch {
        return (BATON_STATUS_FAILED, ErrorInfo(error, retryable: retryIf.map { $0(error) }).json)
    }
}
