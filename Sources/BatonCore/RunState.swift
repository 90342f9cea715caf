import Foundation

/// The closed set of state types. `failed` means user code threw; `crashed` means the infrastructure
/// failed (the runner died, a signal, an ABI refusal). The two are never merged.
public enum StateType: String, Codable, Sendable, CaseIterable {
    case scheduled, pending, running, completed, failed, crashed, cancelling, cancelled, paused

    /// Whether a run in this state is over.
    public var isFinal: Bool {
        switch self {
        case .completed, .failed, .crashed, .cancelled: true
        default: false
        }
    }

    /// The name a state of this type has when nothing more specific applies.
    public var defaultName: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
}

/// One state of a flow run or task run: a type, a name for its variation (`Retrying`, `AwaitingRetry`,
/// `TimedOut`, `Cached`), an optional message, and when it was entered.
public struct RunState: Codable, Sendable, Hashable {
    public var type: StateType
    public var name: String
    public var message: String?
    public var timestamp: Date

    public init(_ type: StateType, name: String? = nil, message: String? = nil, at timestamp: Date = Date()) {
        self.type = type
        self.name = name ?? type.defaultName
        self.message = message
        self.timestamp = timestamp
    }
}
