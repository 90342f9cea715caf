import BatonCore
import BatonServices
import BatonStore
import Foundation
import Testing

@Suite struct CallerTests {
    @Test func theLocalUserIsTheStoreOwnerNamedByTheAccount() {
        #expect(Caller.storeOwner(environment: ["USER": "ada"]).identity == .storeOwner(user: "ada"))
        #expect(Caller.storeOwner(environment: ["LOGNAME": "grace"]).identity == .storeOwner(user: "grace"))
        // Neither set (cron, a service manager): the process's account, by its user id.
        let account = getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) }
        #expect(account != nil && Caller.storeOwner(environment: [:]).identity == .storeOwner(user: account))
        #expect(Caller.anonymous(address: "127.0.0.1").address == "127.0.0.1")
    }

    @Test func permissionsGrowFromReadingToAdministering() {
        #expect(Permission.allCases == [.read, .run, .develop, .administer])
        #expect(Permission.read < .run && .run < .develop && .develop < .administer)
    }

    @Test func theStoreOwnerMayDoEverything() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("baton-caller-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let home = BatonHome(path: directory)
        let services = Services(store: try SQLiteStore(home: home), home: home)
        for permission in Permission.allCases {
            try services.authorize(.storeOwner(), permission)
        }
    }
}
