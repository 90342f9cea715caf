import Foundation

/// One row of the audit log: who did or tried what, to what, from where, and how it ended. The log
/// is append-only; it records names and ids, never credentials or secrets.
public struct AuditEntry: Sendable, Hashable, Codable {
    /// The row's number, in the order rows were appended (0 before it is stored).
    public var id: Int64
    public var at: Date
    /// Who: a user's name, `key NAME`, the store owner's account; nil when unknown (no valid
    /// credentials).
    public var actor: String?
    /// The project acted in, when the action is within one.
    public var project: String?
    /// What: an API operation as `METHOD /api/pattern`, or an administration command such as
    /// `user create` or `key revoke`.
    public var action: String
    /// To what: the run id, deployment, user or key name the action named; nil when none.
    public var target: String?
    /// Where from: the client's address, or nil on this machine.
    public var address: String?
    /// How it ended: `ok`, `denied` (no valid credentials, or not allowed) or `failed`, with the error
    /// code after a colon (`denied: forbidden`, `failed: not_found`).
    public var result: String

    public init(
        id: Int64 = 0, at: Date, actor: String?, project: String?, action: String, target: String?, address: String?, result: String
    ) {
        self.id = id
        self.at = at
        self.actor = actor
        self.project = project
        self.action = action
        self.target = target
        self.address = address
        self.result = result
    }

    /// The result word for an answer with HTTP `status` and error `code`.
    public static func result(status: Int, code: String?) -> String {
        switch status {
        case 200..<400: "ok"
        case 401, 403, 421: "denied" + (code.map { ": " + $0 } ?? "")
        default: "failed" + (code.map { ": " + $0 } ?? "")
        }
    }
}

/// Which audit rows to list: newest first, filtered.
public struct AuditQuery: Sendable, Hashable {
    public var project: String?
    public var actor: String?
    public var since: Date?
    public var limit: Int

    public init(project: String? = nil, actor: String? = nil, since: Date? = nil, limit: Int = 100) {
        self.project = project
        self.actor = actor
        self.since = since
        self.limit = limit
    }
}
