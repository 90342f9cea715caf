import Foundation
import Synchronization

// Secrets and variables: named values of a project that flows read at run time. A variable is stored
// and shown as it is; a secret is stored sealed (AES-256-GCM, with a key kept outside the store),
// never shown, and masked in whatever a run that read it records.

/// Which kind of named value.
public enum NamedValueKind: String, Sendable, Hashable, Codable, CaseIterable {
    case secret, variable

    /// The longest value, in bytes: a secret is a password, a token or a key, a variable a setting;
    /// neither is a file.
    public var maximumBytes: Int { 64 * 1024 }

    /// Checks a name as `baton secret set NAME` and URLs take it.
    public func validate(name: String) throws {
        try DeploymentNames.validate(name, what: "\(rawValue) name")
    }

    /// Checks a value before it is stored, naming what was wrong.
    public func validate(value: String, name: String) throws {
        guard !value.isEmpty else { throw BatonError(.invalidInput, "\(rawValue) '\(name)' is empty: expected a value of 1 byte or more", field: "value") }
        guard value.utf8.count <= maximumBytes else {
            throw BatonError(
                .invalidInput, "\(rawValue) '\(name)' is \(value.utf8.count) bytes: expected at most \(maximumBytes)", field: "value")
        }
    }
}

/// A named value as stored: for a secret, `value` is its sealed form (``SecretBox``), never the secret.
public struct NamedValueRecord: Sendable, Hashable {
    public var kind: NamedValueKind
    public var project: String
    public var name: String
    public var value: String
    public var setBy: String?
    public var setAt: Date

    public init(kind: NamedValueKind, project: String, name: String, value: String, setBy: String?, setAt: Date) {
        self.kind = kind
        self.project = project
        self.name = name
        self.value = value
        self.setBy = setBy
        self.setAt = setAt
    }
}

/// What listings show of a named value: a variable's value, never a secret's.
public struct NamedValueView: Codable, Sendable, Hashable {
    public var name: String
    public var kind: NamedValueKind
    /// The variable's value; nil for a secret.
    public var value: String?
    public var setBy: String?
    public var setAt: Date

    public init(_ record: NamedValueRecord) {
        name = record.name
        kind = record.kind
        value = record.kind == .variable ? record.value : nil
        setBy = record.setBy
        setAt = record.setAt
    }
}

/// The secret values a run has read, and what hides them: every text the run records (log lines,
/// results, inputs, artifacts, state messages) goes through ``apply(_:)`` before it leaves the runner.
/// A value is hidden as it is and as it appears inside JSON text (escaped).
///
/// `Sendable`: the values are behind a mutex; the common case (no secret read) costs one atomic load.
public final class SecretMask: Sendable {
    public static let replacement = "****"
    private let values = Mutex<[String]>([])
    private let empty = Atomic<Bool>(true)

    public init() {}

    /// Hides `value` from now on (and its JSON-escaped form, when that differs).
    public func add(_ value: String) {
        guard !value.isEmpty else { return }
        let forms = Set([value] + Self.jsonEscaped(value))
        values.withLock { values in
            for form in forms where !values.contains(form) { values.append(form) }
            // Longest first, so a value containing another is hidden whole.
            values.sort { $0.utf8.count > $1.utf8.count }
        }
        empty.store(false, ordering: .releasing)
    }

    public var isEmpty: Bool { empty.load(ordering: .acquiring) }

    /// `text` with every secret value read so far replaced by `****`.
    public func apply(_ text: String) -> String {
        if isEmpty { return text }
        let forms = values.withLock { $0 }
        var text = text
        for form in forms where text.contains(form) {
            text = text.replacingOccurrences(of: form, with: Self.replacement)
        }
        return text
    }

    public func apply(_ text: String?) -> String? { text.map { apply($0) } }

    /// An event with every text it carries masked.
    public func apply(_ event: RunEvent) -> RunEvent {
        if isEmpty { return event }
        switch event {
        case .flowRunState(var change):
            change.state.message = apply(change.state.message)
            change.result = apply(change.result)
            return .flowRunState(change)
        case .flowRunCreated(var run):
            run.parameters = run.parameters.mapValues { apply($0) }
            return .flowRunCreated(run)
        case .taskRunCreated(var start):
            start.input = apply(start.input)
            return .taskRunCreated(start)
        case .taskRunState(var change):
            change.state.message = apply(change.state.message)
            change.result = apply(change.result)
            return .taskRunState(change)
        case .edges:
            return event
        case .log(var record):
            record.message = apply(record.message)
            return .log(record)
        case .artifact(var artifact):
            artifact.data = apply(artifact.data)
            artifact.description = apply(artifact.description)
            return .artifact(artifact)
        case .cacheStore(var entry):
            entry.result = apply(entry.result)
            return .cacheStore(entry)
        }
    }

    /// A JSON value with every string in it masked.
    public func apply(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): .string(apply(text))
        case .array(let items): .array(items.map { apply($0) })
        case .object(let fields): .object(fields.mapValues { apply($0) })
        default: value
        }
    }

    /// The forms `value` takes inside JSON text: encoders differ on whether they escape '/'.
    static func jsonEscaped(_ value: String) -> [String] {
        [[], [.withoutEscapingSlashes]].compactMap { (formatting: JSONEncoder.OutputFormatting) in
            let encoder = JSONEncoder()
            encoder.outputFormatting = formatting
            guard let data = try? encoder.encode(value), let quoted = String(data: data, encoding: .utf8), quoted.count >= 2 else { return nil }
            return String(quoted.dropFirst().dropLast())
        }
    }
}
