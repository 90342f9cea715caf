import BatonCore
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// What every backend records of projects, users, memberships and API keys.
@Suite struct AccessStoreConformance {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func key(_ name: String, prefix: String, project: String = ProjectNames.default, role: Role = .operator, expires: Date? = nil) -> NewAPIKey {
        NewAPIKey(name: name, prefix: prefix, hash: String(repeating: "a", count: 64), project: project, role: role, createdBy: "ada", now: t0, expiresAt: expires)
    }

    @Test(arguments: StoreBackend.all)
    func aNewStoreHasTheDefaultProjectAndNobodyElse(_ backend: StoreBackend) throws {
        let store = try backend.make().store
        #expect(try store.projectNames() == [ProjectNames.default])
        #expect(try store.users().isEmpty)
        #expect(try store.keys(project: nil).isEmpty)
        #expect(try store.memberships(project: nil).isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func usersAreRecordedOncePerNameAndChangedInPlace(_ backend: StoreBackend) throws {
        let store = try backend.make().store
        let ada = try #require(try store.insertUser(NewUser(name: "ada", isAdmin: true, passwordHash: "h1", now: t0)))
        #expect(ada.name == "ada" && ada.isAdmin && ada.passwordHash == "h1" && ada.createdAt == t0 && ada.disabledAt == nil)
        #expect(try store.insertUser(NewUser(name: "ada", isAdmin: false, passwordHash: nil, now: t0)) == nil, "a taken name")
        _ = try store.insertUser(NewUser(name: "bob", isAdmin: false, passwordHash: nil, now: t0))
        #expect(try store.users().map(\.name) == ["ada", "bob"])

        #expect(try store.setPasswordHash(user: "bob", "h2"))
        #expect(try store.userRecord(named: "bob")?.passwordHash == "h2")
        #expect(try store.setDisabled(user: "bob", at: t0.addingTimeInterval(5)))
        #expect(try store.userRecord(named: "bob")?.disabledAt == t0.addingTimeInterval(5))
        #expect(try store.setDisabled(user: "bob", at: nil))
        #expect(try store.userRecord(named: "bob")?.disabledAt == nil)
        #expect(try store.setPasswordHash(user: "nobody", "h") == false)
        #expect(try store.setDisabled(user: "nobody", at: t0) == false)
        #expect(try store.userRecord(named: "nobody") == nil)
    }

    @Test(arguments: StoreBackend.all)
    func aMemberHasOneRolePerProject(_ backend: StoreBackend) throws {
        let store = try backend.make().store
        _ = try store.insertUser(NewUser(name: "ada", isAdmin: false, passwordHash: nil, now: t0))
        try store.setMembership(Membership(project: "default", user: "ada", role: .viewer))
        try store.setMembership(Membership(project: "default", user: "ada", role: .developer))
        #expect(try store.memberships(project: "default") == [Membership(project: "default", user: "ada", role: .developer)])
        #expect(throws: BatonError.self) { try store.setMembership(Membership(project: "nope", user: "ada", role: .viewer)) }
        #expect(throws: BatonError.self) { try store.setMembership(Membership(project: "default", user: "nobody", role: .viewer)) }
        #expect(try store.removeMembership(project: "default", user: "ada"))
        #expect(try store.removeMembership(project: "default", user: "ada") == false)
        #expect(try store.memberships(project: nil).isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func keysAreFoundByPrefixListedNewestFirstAndRevokedOnce(_ backend: StoreBackend) throws {
        let store = try backend.make().store
        let ci = try #require(try store.insertKey(key("ci", prefix: "baton_aaaaaaaa", role: .developer, expires: t0.addingTimeInterval(86_400))))
        #expect(ci.project == "default" && ci.role == .developer && ci.createdBy == "ada" && ci.lastUsedAt == nil && ci.revokedAt == nil)
        #expect(ci.isValid(at: t0) && !ci.isValid(at: t0.addingTimeInterval(86_400)))
        #expect(try store.insertKey(key("ci", prefix: "baton_bbbbbbbb")) == nil, "a name taken in the project")
        #expect(throws: BatonError.self) { try store.insertKey(key("other", prefix: "baton_cccccccc", project: "nope")) }
        var later = key("ops", prefix: "baton_dddddddd")
        later.now = t0.addingTimeInterval(10)
        _ = try store.insertKey(later)
        #expect(try store.keys(project: nil).map(\.name) == ["ops", "ci"])
        #expect(try store.keys(project: "default").count == 2)
        #expect(try store.keyRecord(prefix: "baton_aaaaaaaa")?.name == "ci")
        #expect(try store.keyRecord(prefix: "baton_zzzzzzzz") == nil)

        try store.touchKey(id: ci.id, at: t0.addingTimeInterval(100))
        try store.touchKey(id: ci.id, at: t0.addingTimeInterval(130))
        #expect(try store.keyRecord(prefix: "baton_aaaaaaaa")?.lastUsedAt == t0.addingTimeInterval(100), "at most once a minute")
        try store.touchKey(id: ci.id, at: t0.addingTimeInterval(200))
        #expect(try store.keyRecord(prefix: "baton_aaaaaaaa")?.lastUsedAt == t0.addingTimeInterval(200))

        #expect(try store.revokeKey(id: ci.id, at: t0.addingTimeInterval(300)))
        #expect(try store.revokeKey(id: ci.id, at: t0.addingTimeInterval(400)) == false)
        let revoked = try #require(try store.keyRecord(prefix: "baton_aaaaaaaa"))
        #expect(revoked.revokedAt == t0.addingTimeInterval(300) && !revoked.isValid(at: t0))
    }

    @Test(arguments: StoreBackend.all)
    func aKeyMayBelongToAKnownUser(_ backend: StoreBackend) throws {
        let store = try backend.make().store
        _ = try store.insertUser(NewUser(name: "ada", isAdmin: false, passwordHash: nil, now: t0))
        var owned = key("laptop", prefix: "baton_owned001")
        owned.user = "ada"
        let record = try #require(try store.insertKey(owned))
        #expect(record.user == "ada")
        #expect(try store.keyRecord(prefix: "baton_owned001")?.user == "ada")
        #expect(try store.insertKey(key("ci", prefix: "baton_owned002"))?.user == nil)
        var stranger = key("other", prefix: "baton_owned003")
        stranger.user = "nobody"
        let refused = #expect(throws: BatonError.self) { try store.insertKey(stranger) }
        #expect(refused?.code == .notFound)
        #expect(try store.keyRecord(prefix: "baton_owned003") == nil, "nothing recorded")
    }
}
