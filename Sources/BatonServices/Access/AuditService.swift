import BatonCore
import BatonStore
import Foundation

extension Services {
    /// The audit log: what was done or tried, by whom.
    public var audit: AuditService { AuditService(services: self) }
}

/// The audit log. Every change made through the API (allowed or refused), every login, and every
/// change to who may do what is one row; server admins read it.
public struct AuditService: Sendable {
    let services: Services

    /// The most rows one listing returns, and how many when not told.
    public static let listLimit = 1...10_000
    public static let listDefault = 100

    /// Appends a row for `action` on `target` by `caller`, ended with `result` (see
    /// ``AuditEntry/result(status:code:)``). Recording never fails the action it records: a
    /// store that cannot take the row is reported by `log`, once per failure.
    public func record(
        _ action: String, target: String?, project: String? = ProjectNames.default, by caller: Caller?, address: String?, result: String,
        log: (@Sendable (String) -> Void)? = nil
    ) {
        let entry = AuditEntry(
            at: services.options.now(), actor: caller?.name, project: project, action: action, target: target,
            address: address ?? caller?.address, result: result)
        do {
            try services.store.appendAudit(entry)
        } catch {
            log?("the audit log could not record \(action) \(target ?? ""): \(error)")
        }
    }

    /// Does `body` and records it as `action` on `target`: `ok`, or how it was refused or failed.
    func recording<T>(_ action: String, target: String?, project: String? = nil, _ caller: Caller, _ body: () throws -> T) throws -> T {
        do {
            let value = try body()
            record(action, target: target, project: project, by: caller, address: nil, result: "ok")
            return value
        } catch {
            let code = (error as? BatonError)?.code
            record(
                action, target: target, project: project, by: caller, address: nil,
                result: AuditEntry.result(status: code?.httpStatus ?? 500, code: code?.apiCode ?? "internal"))
            throw error
        }
    }

    /// Does `body` and, when the store's owner asked for it on this machine, records it as `action`
    /// on `target`. What comes through the API is recorded by the API's router, which sees refusals
    /// before any operation runs; this records what the local command line changes.
    func local<T>(_ action: String, target: String?, _ caller: Caller, _ body: () throws -> T) throws -> T {
        guard case .storeOwner = caller.identity else { return try body() }
        return try recording(action, target: target, project: caller.project, caller, body)
    }

    /// Rows matching `query`, newest first. Needs `administer`.
    public func list(_ query: AuditQuery, _ caller: Caller) throws -> [AuditEntry] {
        try services.authorize(caller, .administer)
        guard Self.listLimit.contains(query.limit) else {
            throw BatonError(
                .invalidInput, "limit \(query.limit) is not valid: expected a number from \(Self.listLimit.lowerBound) to \(Self.listLimit.upperBound)",
                field: "limit")
        }
        // A project's admin reads their project's rows; the default project's (the server's
        // admins) read every project's.
        var query = query
        if caller.project != ProjectNames.default { query.project = caller.project }
        return try services.store.auditEntries(query)
    }
}
