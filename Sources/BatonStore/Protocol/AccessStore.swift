import BatonCore
import Foundation

/// Projects, users, their roles in projects, and API keys: recorded as given. Who may do what is
/// the application layer's rule; hashing passwords and keys is its too.
public protocol AccessStore: AnyObject, Sendable {
    /// Every project by name.
    func projectNames() throws -> [String]
    /// Records a project; false when the name is taken.
    func insertProject(_ name: String, at: Date) throws -> Bool
    /// Deletes a project that has no flows, with its members and keys, in one transaction; returns
    /// the names of its flows (and deletes nothing) when it has any.
    func deleteProject(_ name: String) throws -> [String]

    /// Records a user; nil when the name is taken.
    func insertUser(_ user: NewUser) throws -> UserRecord?
    /// A user by name, or nil.
    func userRecord(named name: String) throws -> UserRecord?
    /// Every user by name.
    func users() throws -> [UserRecord]
    /// Sets a user's password hash (nil: none); false for an unknown user.
    func setPasswordHash(user: String, _ hash: String?) throws -> Bool
    /// Records a user disabled at `at` (nil: enabled again); false for an unknown user.
    func setDisabled(user: String, at: Date?) throws -> Bool

    /// Gives `user` `role` in `project`, replacing a role it had there. Throws `notFound` naming an
    /// unknown project or user.
    func setMembership(_ membership: Membership) throws
    /// Takes `user`'s role in `project` away; false when it had none.
    func removeMembership(project: String, user: String) throws -> Bool
    /// The members of a project (nil: of every project), by project and user name.
    func memberships(project: String?) throws -> [Membership]

    /// Records an API key; nil when its project already has a key of that name. Throws `notFound`
    /// for an unknown project.
    func insertKey(_ key: NewAPIKey) throws -> APIKeyRecord?
    /// The key with `prefix`, or nil.
    func keyRecord(prefix: String) throws -> APIKeyRecord?
    /// The keys of a project (nil: of every project), newest first.
    func keys(project: String?) throws -> [APIKeyRecord]
    /// Records a key revoked at `at`; false when there is no such key or it was revoked already.
    func revokeKey(id: Int64, at: Date) throws -> Bool
    /// Records that a key was used at `at` (at most once a minute, so that requests do not each write).
    func touchKey(id: Int64, at: Date) throws

    /// A user's role in each project they are a member of.
    func roles(user: String) throws -> [String: Role]

    /// Records a session or a login link; nil for an unknown user.
    func insertSession(_ session: NewSession) throws -> SessionRecord?
    /// The session or link whose token has `tokenHash`, with its user; nil when there is none.
    func sessionRecord(tokenHash: String) throws -> SessionRecord?
    /// Ends a session or uses up a link at `at`; false when it had ended already (so that of two
    /// racing uses of a link, exactly one gets true).
    func endSession(id: Int64, at: Date) throws -> Bool
}
