import BatonCore
import Foundation

/// Secrets and variables, by project, kind and name. The store keeps what it is given: a secret
/// arrives sealed and leaves sealed; sealing and opening are the application layer's.
public protocol NamedValueStore: Sendable {
    /// Sets a value, replacing one of the same project, kind and name; returns whether it replaced one.
    func setNamedValue(_ record: NamedValueRecord) throws -> Bool
    func namedValue(_ kind: NamedValueKind, name: String, project: String) throws -> NamedValueRecord?
    /// A project's values of one kind, by name.
    func namedValues(_ kind: NamedValueKind, project: String) throws -> [NamedValueRecord]
    /// Removes a value; returns whether there was one.
    func removeNamedValue(_ kind: NamedValueKind, name: String, project: String) throws -> Bool
}
