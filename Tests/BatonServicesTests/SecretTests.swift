import BatonCore
import BatonServices
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// Sealing secrets under the host's key, and masking what a run read.
@Suite struct SecretBoxTests {
    func home() throws -> BatonHome {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)").path
        let home = BatonHome(path: folder)
        try home.prepare()
        return home
    }

    @Test func aSealedSecretOpensOnlyWithItsKeyProjectAndName() throws {
        let home = try home()
        let box = try SecretBox.load(home: home, environment: [:], create: true)
        var info = stat()
        #expect(stat(home.secretKeyPath, &info) == 0 && info.st_mode & 0o777 == 0o600, "the key file is the owner's only")
        let sealed = try box.seal("hunter2 ☃", project: "default", name: "db")
        #expect(sealed.hasPrefix("v1.") && !sealed.contains("hunter2"))
        #expect(try box.seal("hunter2 ☃", project: "default", name: "db") != sealed, "a fresh nonce each time")
        #expect(try box.open(sealed, project: "default", name: "db") == "hunter2 ☃")
        // The same key, loaded again from its file.
        #expect(try SecretBox.load(home: home, environment: [:], create: false).open(sealed, project: "default", name: "db") == "hunter2 ☃")
        // Moved to another name or project, or tampered with: it does not open.
        #expect(throws: BatonError.self) { try box.open(sealed, project: "default", name: "other") }
        #expect(throws: BatonError.self) { try box.open(sealed, project: "other", name: "db") }
        var bytes = Array(Data(base64Encoded: String(sealed.dropFirst(3)))!)
        bytes[14] ^= 1
        #expect(throws: BatonError.self) { try box.open("v1." + Data(bytes).base64EncodedString(), project: "default", name: "db") }
        // Another key: refused, naming where this host's key came from.
        let other = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let foreign = try SecretBox.load(home: home, environment: [SecretBox.environmentVariable: other], create: false)
        let error = #expect(throws: BatonError.self) { try foreign.open(sealed, project: "default", name: "db") }
        #expect(error?.message.contains("BATON_SECRET_KEY") == true)
        #expect(foreign.source == SecretBox.environmentVariable)
    }

    @Test func aKeyOthersMayReadOrThatIsNotAKeyIsRefused() throws {
        let home = try home()
        let missing = #expect(throws: BatonError.self) { try SecretBox.load(home: home, environment: [:], create: false) }
        #expect(missing?.code == .notFound)
        _ = try SecretBox.load(home: home, environment: [:], create: true)
        chmod(home.secretKeyPath, 0o644)
        let open = #expect(throws: BatonError.self) { try SecretBox.load(home: home, environment: [:], create: false) }
        #expect(open?.message.contains("chmod 600") == true)
        for bad in ["short", String(repeating: "z", count: 64), Data(count: 16).base64EncodedString()] {
            let error = #expect(throws: BatonError.self) { try SecretBox.load(home: home, environment: [SecretBox.environmentVariable: bad], create: true) }
            #expect(error?.message.contains("expected 32 bytes") == true, "\(bad)")
        }
        let hex = String(repeating: "ab", count: 32)
        #expect(try SecretBox.load(home: home, environment: [SecretBox.environmentVariable: hex], create: false).source == SecretBox.environmentVariable)
    }

    @Test func theMaskHidesEveryFormOfAValueInEveryEvent() {
        let mask = SecretMask()
        let plain = RunEvent.log(LogRecord(flowRunID: "r", taskRunID: nil, taskRunName: nil, timestamp: Date(), level: .info, message: "a/b\"c"))
        #expect(mask.apply(plain) == plain, "nothing read, nothing changed")
        mask.add("a/b\"c")
        mask.add("a/b")
        #expect(mask.apply("x a/b\"c y a/b") == "x **** y ****", "longest first")
        #expect(mask.apply(#"{"t":"a\/b\"c"}"#) == #"{"t":"****"}"#, "as escaped in JSON, slashes escaped or not")
        #expect(mask.apply(#"{"t":"a/b\"c"}"#) == #"{"t":"****"}"#)
        guard case .log(let record) = mask.apply(plain) else { Issue.record("not a log"); return }
        #expect(record.message == "****")
        let state = RunEvent.taskRunState(TaskRunStateChange(
            taskRunID: "t", flowRunID: "r", state: RunState(.failed, message: "boom a/b"), attempt: 1, result: #""a/b""#))
        guard case .taskRunState(let change) = mask.apply(state) else { Issue.record("not a state"); return }
        #expect(change.state.message == "boom ****" && change.result == #""****""#)
    }

    @Test func hmacSHA256MatchesRFC4231() {
        // RFC 4231, test case 2.
        #expect(HMACSHA256.hex(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
