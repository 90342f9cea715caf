import BatonCore
import Foundation
import Testing

/// `baton user`, `baton key` and `baton project member` as a new administrator uses them, on a real
/// store: what they print, what they refuse, and that no password or key is ever in the store's bytes.
@Suite struct AccessCommandTests {
    @Test func anAdministratorAddsUsersAndKeysAndNoSecretIsStored() throws {
        let sandbox = try Sandbox()
        let created = try sandbox.baton("user", "create", "ada", "--admin", "--password-stdin", input: "correct horse battery\n")
        #expect(created.status == 0 && created.stdout == "User 'ada' created (server admin)\n", "\(created)")
        let bob = try sandbox.baton("user", "create", "bob")
        #expect(bob.stdout == "User 'bob' created, without a password: API keys only\n", "\(bob)")

        let key = try sandbox.baton("key", "create", "--name", "ci", "--role", "developer", "--expires", "90", "--json")
        #expect(key.status == 0, "\(key)")
        let made = key.json
        let secret = try #require(made["key"]?.stringValue)
        #expect(secret.hasPrefix("baton_") && made["name"] == .string("ci") && made["project"] == .string("default"))
        #expect(made["role"] == .string("developer") && made["expiresAt"] != nil && made["hash"] == nil)
        let plain = try sandbox.baton("key", "create", "--name", "ops", "--role", "operator")
        #expect(plain.stdout.hasPrefix("baton_") && plain.stdout.split(separator: "\n").count == 1, "only the key on standard output")
        #expect(plain.stderr.contains("shown once"), "\(plain.stderr)")

        let listed = try sandbox.baton("key", "ls")
        #expect(listed.stdout.contains("KEY  PROJECT  PREFIX"), "\(listed.stdout)")
        #expect(listed.stdout.contains(String(secret.prefix(14)) + "…") && !listed.stdout.contains(secret), "\(listed.stdout)")
        #expect(listed.stdout.contains("never expires") && listed.stdout.contains("expires "), "\(listed.stdout)")
        let users = try sandbox.baton("user", "ls", "--json").json.arrayValue ?? []
        #expect(users.map { $0["name"] } == [.string("ada"), .string("bob")])
        #expect(users.allSatisfy { $0["passwordHash"] == nil }, "no hash in any answer")

        #expect(try sandbox.baton("project", "member", "add", "default", "bob", "--role", "operator").status == 0)
        #expect(try sandbox.baton("project", "member", "ls", "default").stdout.contains("bob   operator"))
        #expect(try sandbox.baton("key", "revoke", "ci").stdout.contains("is revoked"))
        #expect(try sandbox.baton("key", "ls", "--json").json.arrayValue?.first { $0["name"] == .string("ci") }?["revokedAt"] != nil)

        // Nothing secret is in the store's bytes: not the password, not either key.
        let files = try FileManager.default.contentsOfDirectory(atPath: sandbox.home).filter { $0.hasPrefix("baton.db") }
        #expect(!files.isEmpty)
        for file in files {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: sandbox.home + "/" + file))
            for text in ["correct horse battery", secret, plain.stdout.trimmingCharacters(in: .whitespacesAndNewlines)] {
                #expect(bytes.range(of: Data(text.utf8)) == nil, "\(file) holds a secret")
            }
        }
    }

    @Test func badInputIsRefusedWithOneLineAndChangesNothing() throws {
        let sandbox = try Sandbox()
        let cases: [([String], String?, String)] = [
            (["user", "create", "eve", "--password-stdin"], "short\n", "the password is too short: expected at least 8 characters"),
            (["user", "create", "eve", "--password-stdin"], "", "--password-stdin read no password"),
            (["user", "create", "e v e"], nil, "user name 'e v e' is not valid"),
            (["user", "password", "nobody", "--password-stdin"], "long enough\n", "no user 'nobody'"),
            (["user", "password", "eve"], nil, "no password given: pass it on standard input with --password-stdin"),
            (["key", "create", "--role", "viewer"], nil, "--name is missing"),
            (["key", "create", "--name", "ci"], nil, "--role is missing: expected one of viewer, operator, developer, admin"),
            (["key", "create", "--name", "ci", "--role", "root"], nil, "--role 'root' is not valid"),
            (["key", "create", "--name", "ci", "--role", "viewer", "--project", "nope"], nil, "no project 'nope'; projects: default"),
            (["key", "create", "--name", "ci", "--role", "viewer", "--expires", "5000"], nil, "--expires 5000 is not valid"),
            (["key", "revoke", "ci"], nil, "project 'default' has no key named 'ci'"),
            (["project", "member", "add", "default", "nobody", "--role", "viewer"], nil, "no user 'nobody'"),
            (["user", "ls", "--api", "http://127.0.0.1:9"], nil, "manages who may use this machine's store"),
        ]
        for (arguments, input, message) in cases {
            let result = try sandbox.batonArguments(arguments, input: input)
            #expect(result.status == 2, "\(arguments): \(result)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(arguments): \(result.stderr)")
        }
        #expect(try sandbox.baton("user", "ls", "--json").json.arrayValue?.isEmpty == true, "nothing recorded")
        #expect(try sandbox.baton("key", "ls", "--json").json.arrayValue?.isEmpty == true)
    }
}
