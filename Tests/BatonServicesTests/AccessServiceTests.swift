import BatonCore
import BatonServices
import BatonStore
import Foundation
import Testing

/// Users, members and API keys through the application layer over a real SQLite store.
@Suite struct AccessServiceTests {
    @Test func aPasswordIsStoredOnlyAsASlowSaltedHashAndCheckedAsSuch() throws {
        let stored = try PasswordHash.make("correct horse battery")
        let parts = stored.split(separator: "$")
        #expect(parts.count == 4 && parts[0] == "pbkdf2-sha256" && parts[1] == "600000", "\(stored)")
        #expect(!stored.contains("correct"))
        #expect(PasswordHash.verify("correct horse battery", against: stored))
        #expect(!PasswordHash.verify("correct horse batterY", against: stored))
        #expect(!PasswordHash.verify("", against: stored))
        #expect(try PasswordHash.make("correct horse battery") != stored, "a new salt each time")
        for broken in ["", "pbkdf2-sha256$600000$", "md5$1$AAAA$BBBB", stored + "x", stored.replacingOccurrences(of: "600000", with: "0")] {
            #expect(!PasswordHash.verify("correct horse battery", against: broken), "\(broken)")
        }
    }

    @Test func usersCheckTheirPasswordUnlessDisabled() throws {
        let f = try ServiceFixture()
        let access = f.services.access
        let ada = try access.createUser("ada", admin: true, password: "correct horse", f.caller)
        #expect(ada.isAdmin && ada.passwordHash?.hasPrefix("pbkdf2-sha256$") == true)
        #expect(try access.checkPassword("ada", "correct horse")?.name == "ada")
        #expect(try access.checkPassword("ada", "wrong horse") == nil)
        #expect(try access.checkPassword("nobody", "correct horse") == nil)
        _ = try access.setDisabled("ada", true, f.caller)
        #expect(try access.checkPassword("ada", "correct horse") == nil, "a disabled user cannot log in")
        _ = try access.setDisabled("ada", false, f.caller)
        try access.setPassword("ada", "another horse", f.caller)
        #expect(try access.checkPassword("ada", "correct horse") == nil)
        #expect(try access.checkPassword("ada", "another horse") != nil)

        let short = #expect(throws: BatonError.self) { try access.createUser("bob", admin: false, password: "short", f.caller) }
        #expect(short?.message == "the password is too short: expected at least 8 characters")
        #expect(try f.store.userRecord(named: "bob") == nil, "nothing recorded")
        let taken = #expect(throws: BatonError.self) { try access.createUser("ada", admin: false, password: nil, f.caller) }
        #expect(taken?.code == .conflict)
        let badName = #expect(throws: BatonError.self) { try access.createUser("a b", admin: false, password: nil, f.caller) }
        #expect(badName?.message.hasPrefix("user name 'a b' is not valid") == true)
        #expect(throws: BatonError.self) { try access.setPassword("nobody", "long enough", f.caller) }
    }

    @Test func aKeyIsShownOnceAndOnlyItsPrefixAndHashAreStored() throws {
        let f = try ServiceFixture()
        let access = f.services.access
        let created = try access.createKey(name: "ci", project: "default", role: .developer, expiresInDays: 30, f.caller)
        #expect(created.key.hasPrefix("baton_") && created.key.count == 46)
        #expect(created.record.prefix == String(created.key.prefix(14)))
        #expect(created.record.hash == APIKeyText.hash(created.key) && created.record.hash != created.key)
        #expect(APIKeyText.prefix(of: created.key) == created.record.prefix)
        #expect(APIKeyText.prefix(of: created.key + "x") == nil && APIKeyText.prefix(of: "Bearer x") == nil)
        let expires = try #require(created.record.expiresAt)
        #expect(abs(expires.timeIntervalSince(created.record.createdAt) - 30 * 86_400) < 1)
        #expect(created.record.createdBy == f.caller.name)
        let other = try access.createKey(name: "ops", project: "default", role: .operator, expiresInDays: nil, f.caller)
        #expect(other.key != created.key)

        // The store's bytes (its file and its write-ahead log) hold neither key.
        for file in try FileManager.default.contentsOfDirectory(atPath: f.home.path) where file.hasPrefix("baton.db") {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: f.home.path + "/" + file))
            for key in [created.key, other.key] {
                #expect(bytes.range(of: Data(key.utf8)) == nil, "\(file) holds a key")
                #expect(bytes.range(of: Data(key.dropFirst(14).utf8)) == nil, "\(file) holds a key's secret part")
            }
        }

        let revoked = try access.revokeKey("ci", project: "default", f.caller)
        #expect(revoked.revokedAt != nil)
        #expect(throws: BatonError.self) { try access.revokeKey("ci", project: "default", f.caller) }
        #expect(try access.revokeKey(other.record.prefix, project: "default", f.caller).name == "ops", "by prefix too")
        #expect(try access.keys(project: nil, f.caller).allSatisfy { $0.revokedAt != nil })
    }

    @Test func badKeyRequestsAreRefusedWithOneLine() throws {
        let f = try ServiceFixture()
        let access = f.services.access
        let expiry = #expect(throws: BatonError.self) {
            try access.createKey(name: "ci", project: "default", role: .viewer, expiresInDays: 0, f.caller)
        }
        #expect(expiry?.message == "--expires 0 is not valid: expected a number of days from 1 to 3650")
        let project = #expect(throws: BatonError.self) {
            try access.createKey(name: "ci", project: "nope", role: .viewer, expiresInDays: nil, f.caller)
        }
        #expect(project?.message == "no project 'nope'; projects: default (`baton project create NAME` makes one)")
        _ = try access.createKey(name: "ci", project: "default", role: .viewer, expiresInDays: nil, f.caller)
        let taken = #expect(throws: BatonError.self) {
            try access.createKey(name: "ci", project: "default", role: .viewer, expiresInDays: nil, f.caller)
        }
        #expect(taken?.code == .conflict)
        let role = #expect(throws: BatonError.self) { try Role(parsing: "root", naming: "--role") }
        #expect(role?.message == "--role 'root' is not valid: expected one of viewer, operator, developer, admin")
        #expect(try access.keys(project: "default", f.caller).count == 1, "only the one made")
    }

    @Test func membersHaveOneRolePerProject() throws {
        let f = try ServiceFixture()
        let access = f.services.access
        _ = try access.createUser("ada", admin: false, password: nil, f.caller)
        try access.addMember(project: "default", user: "ada", role: .operator, f.caller)
        try access.addMember(project: "default", user: "ada", role: .admin, f.caller)
        #expect(try access.members(project: "default", f.caller) == [Membership(project: "default", user: "ada", role: .admin)])
        #expect(throws: BatonError.self) { try access.addMember(project: "default", user: "nobody", role: .viewer, f.caller) }
        try access.removeMember(project: "default", user: "ada", f.caller)
        let gone = #expect(throws: BatonError.self) { try access.removeMember(project: "default", user: "ada", f.caller) }
        #expect(gone?.message == "user 'ada' is not a member of project 'default'")
        #expect(Role.allCases.sorted() == [.viewer, .operator, .developer, .admin])
    }

    @Test func aKeyAuthenticatesAsItsRoleUntilRevokedOrExpired() throws {
        let f = try ServiceFixture()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let clock = Locked(t0)
        let services = Services(store: f.store, home: f.home, options: ServiceOptions(now: { clock.withLock { $0 } }))
        let access = services.access
        let viewer = try access.createKey(name: "dash", project: "default", role: .viewer, expiresInDays: 1, f.caller)
        let caller = try access.authenticate(authorization: "Bearer " + viewer.key, address: "10.0.0.1")
        #expect(caller.identity == .apiKey(name: "dash", project: "default", role: .viewer) && caller.address == "10.0.0.1")
        #expect(try f.store.keyRecord(prefix: viewer.record.prefix)?.lastUsedAt == t0, "its use is recorded")
        try services.authorize(caller, .read)
        let refused = #expect(throws: BatonError.self) { try services.authorize(caller, .run) }
        #expect(refused?.code == .forbidden)
        #expect(refused?.message.hasPrefix("API key 'dash' is viewer in project 'default': it may not run") == true, "\(refused?.message ?? "")")
        #expect(refused?.message.hasSuffix("(that needs the role operator or above)") == true)
        let admin = Caller(.apiKey(name: "root", project: "default", role: .admin))
        for permission in Permission.allCases { try services.authorize(admin, permission) }

        // Whatever is wrong, the answer is unauthorized and never echoes the key.
        let wrongSecret = String(viewer.key.prefix(14)) + String(repeating: "a", count: 32)
        for header in ["Bearer nonsense", "Basic " + viewer.key, viewer.key, "Bearer " + wrongSecret, "Bearer"] {
            let error = #expect(throws: BatonError.self) { try access.authenticate(authorization: header, address: nil) }
            #expect(error?.code == .unauthorized, "\(header)")
            #expect(error?.message.contains(viewer.key) == false && error?.message.contains(wrongSecret) == false)
        }
        clock.withLock { $0 = t0.addingTimeInterval(86_401) }
        let expired = #expect(throws: BatonError.self) { try access.authenticate(authorization: "Bearer " + viewer.key, address: nil) }
        #expect(expired?.message.hasPrefix("API key 'dash' expired at ") == true, "\(expired?.message ?? "")")
        let ops = try access.createKey(name: "ops", project: "default", role: .operator, expiresInDays: nil, f.caller)
        _ = try access.revokeKey("ops", project: "default", f.caller)
        let revoked = #expect(throws: BatonError.self) { try access.authenticate(authorization: "Bearer " + ops.key, address: nil) }
        #expect(revoked?.message.hasPrefix("API key 'ops' was revoked at ") == true)
    }
}

