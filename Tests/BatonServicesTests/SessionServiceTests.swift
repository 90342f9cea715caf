import BatonCore
import BatonServices
import BatonStore
import Foundation
import Testing

/// The UI's logins through the application layer, on a clock the test moves: sessions and one-time
/// links that end, expire, or stop with their user; failed logins throttled per user and address.
@Suite struct SessionServiceTests {
    /// A store with the admin `ada` (password "correct horse") and the viewer `vic`, and services
    /// whose clock reads `clock`.
    final class Fixture: @unchecked Sendable {
        // @unchecked: `now` is only moved by the test's own thread between calls.
        let base = try! ServiceFixture()
        var now = Date(timeIntervalSince1970: 1_800_000_000)
        lazy var services = Services(store: base.store, home: base.home, options: ServiceOptions(now: { [unowned self] in self.now }))
        var access: AccessService { services.access }

        init() throws {
            _ = try base.services.access.createUser("ada", admin: true, password: "correct horse", base.caller)
            _ = try base.services.access.createUser("vic", admin: false, password: "viewer horse", base.caller)
            try base.services.access.addMember(project: ProjectNames.default, user: "vic", role: .viewer, base.caller)
        }
    }

    @Test func aSessionLetsItsUserInAsTheirRolesAllowUntilItExpiresOrTheyLogOut() throws {
        let f = try Fixture()
        let started = try f.access.login(user: "vic", password: "viewer horse", address: "10.0.0.1")
        #expect(started.token.count == 64 && started.csrf.count == 40 && started.csrf != started.token)
        #expect(try f.base.store.sessionRecord(tokenHash: started.token) == nil, "only a hash of the token is stored")
        let (caller, csrf) = try f.access.authenticate(session: started.token, address: "10.0.0.1")
        #expect(csrf == started.csrf)
        #expect(caller.identity == .user(name: "vic", admin: false, roles: [ProjectNames.default: .viewer]))
        try f.services.authorize(caller, .read)
        let refused = #expect(throws: BatonError.self) { try f.services.authorize(caller, .run) }
        #expect(refused?.code == .forbidden && refused?.message.contains("user 'vic' is viewer in project 'default'") == true)

        // Expiry: valid to its last second, refused after.
        f.now = f.now.addingTimeInterval(AccessService.sessionLifetime - 1)
        _ = try f.access.authenticate(session: started.token, address: nil)
        f.now = f.now.addingTimeInterval(2)
        let expired = #expect(throws: BatonError.self) { try f.access.authenticate(session: started.token, address: nil) }
        #expect(expired?.code == .unauthorized && expired?.message.contains("your session has ended") == true)

        // Logging out ends it at once.
        let again = try f.access.login(user: "ada", password: "correct horse", address: nil)
        _ = try f.access.authenticate(session: again.token, address: nil)
        try f.access.logout(session: again.token)
        #expect(throws: BatonError.self) { try f.access.authenticate(session: again.token, address: nil) }
        // Disabling a user ends their sessions.
        let third = try f.access.login(user: "ada", password: "correct horse", address: nil)
        _ = try f.base.services.access.setDisabled("ada", true, f.base.caller)
        #expect(throws: BatonError.self) { try f.access.authenticate(session: third.token, address: nil) }
        // Tokens that are not shaped like one are refused without a lookup, and a link is no session.
        for token in ["", "x", String(repeating: "Z", count: 64), started.token.uppercased()] {
            #expect(throws: BatonError.self) { try f.access.authenticate(session: token, address: nil) }
        }
        let link = try f.access.loginLink(user: "vic", f.base.caller)
        #expect(throws: BatonError.self) { try f.access.authenticate(session: link, address: nil) }
    }

    @Test func aLoginLinkLetsInOnceWithinADay() throws {
        let f = try Fixture()
        let link = try f.access.loginLink(user: "vic", f.base.caller)
        let session = try f.access.login(link: link, address: nil)
        #expect(session.record.kind == .session && session.record.user.name == "vic")
        let reused = #expect(throws: BatonError.self) { try f.access.login(link: link, address: nil) }
        #expect(reused?.code == .unauthorized && reused?.message.contains("the login link is not valid") == true)

        let late = try f.access.loginLink(user: "vic", f.base.caller)
        f.now = f.now.addingTimeInterval(AccessService.linkLifetime + 1)
        #expect(throws: BatonError.self) { try f.access.login(link: late, address: nil) }
        #expect(AccessService.loginURL(base: "http://127.0.0.1:4200/", token: "abc") == "http://127.0.0.1:4200/#/login?token=abc")
        // Only an admin of the store makes links, and not for a disabled user.
        let denied = #expect(throws: BatonError.self) {
            try f.access.loginLink(user: "ada", Caller(.user(name: "vic", admin: false, roles: [ProjectNames.default: .viewer])))
        }
        #expect(denied?.code == .forbidden)
        _ = try f.base.services.access.setDisabled("vic", true, f.base.caller)
        #expect(throws: BatonError.self) { try f.access.loginLink(user: "vic", f.base.caller) }
    }

    @Test func failedLoginsAreThrottledPerUserAndPerAddressAndASuccessClearsThem() throws {
        let f = try Fixture()
        for attempt in 1...LoginThrottle.allowed {
            let wrong = #expect(throws: BatonError.self) { try f.access.login(user: "ada", password: "wrong \(attempt)", address: "10.0.0.9") }
            #expect(wrong?.code == .unauthorized && wrong?.message == "the user name or password is not right, or the user is disabled")
        }
        // Now even the right password waits, for that user from anywhere, and from that address for anyone.
        let held = #expect(throws: BatonError.self) { try f.access.login(user: "ada", password: "correct horse", address: "10.0.0.7") }
        #expect(held?.code == .throttled && held?.message == "too many failed logins for user 'ada': try again in 30 s", "\(String(describing: held))")
        let fromThere = #expect(throws: BatonError.self) { try f.access.login(user: "vic", password: "viewer horse", address: "10.0.0.9") }
        #expect(fromThere?.code == .throttled && fromThere?.message.contains("from 10.0.0.9") == true)
        _ = try f.access.login(user: "vic", password: "viewer horse", address: "10.0.0.8")

        // The wait doubles with each further failure, and ends.
        f.now = f.now.addingTimeInterval(LoginThrottle.firstWait)
        #expect(throws: BatonError.self) { try f.access.login(user: "ada", password: "wrong again", address: "10.0.0.7") }
        let longer = #expect(throws: BatonError.self) { try f.access.login(user: "ada", password: "correct horse", address: "10.0.0.6") }
        #expect(longer?.message.hasSuffix("try again in 60 s") == true, "\(String(describing: longer))")
        f.now = f.now.addingTimeInterval(2 * LoginThrottle.firstWait)
        _ = try f.access.login(user: "ada", password: "correct horse", address: "10.0.0.6")
        // A success cleared the user's count: one failure does not hold them again.
        #expect(throws: BatonError.self) { try f.access.login(user: "ada", password: "wrong", address: "10.0.0.6") }
        _ = try f.access.login(user: "ada", password: "correct horse", address: "10.0.0.6")
    }
}
