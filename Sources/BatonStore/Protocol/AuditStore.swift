import BatonCore
import Foundation

/// The audit log: rows appended, never changed or removed (the store refuses both).
public protocol AuditStore: AnyObject, Sendable {
    /// Appends one row; returns it with its id.
    @discardableResult
    func appendAudit(_ entry: AuditEntry) throws -> AuditEntry
    /// Rows matching `query`, newest first.
    func auditEntries(_ query: AuditQuery) throws -> [AuditEntry]
}
