import BatonCore
import Foundation
import Testing

@testable import BatonStore

/// Each bad input ends in a clear one-line error that names it, a non-zero exit, and nothing stored
/// changed.
@Suite(.timeLimit(.minutes(20)))
struct BadInputTests {
    /// Checks a failed command: non-zero, one line on standard error holding every fragment.
    func expectRefused(_ result: CommandResult, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status != 0, "expected a failure, got: \(result.stdout)", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "expected one line, got: \(result.stderr)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(result.stderr.contains(fragment), "'\(fragment)' missing from: \(result.stderr)", sourceLocation: sourceLocation)
        }
    }

    /// Checks that a refused registration stored nothing.
    func expectNothingRegistered(_ sandbox: Sandbox, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try sandbox.baton("flow", "ls", "--json").json == .array([]), sourceLocation: sourceLocation)
        #expect(sandbox.storedLibraries().isEmpty, "\(sandbox.storedLibraries())", sourceLocation: sourceLocation)
    }

    // MARK: Registration

    @Test func aFileThatIsNotASharedLibraryIsRefused() throws {
        let sandbox = try Sandbox()
        let file = sandbox.directory + "/notes.so"
        try "just text\n".write(toFile: file, atomically: true, encoding: .utf8)
        expectRefused(try sandbox.baton("register", file), "notes.so", "is not a shared library", "no ELF header")
        try expectNothingRegistered(sandbox)
    }

    @Test func aMissingPathIsRefused() throws {
        let sandbox = try Sandbox()
        expectRefused(try sandbox.baton("register", "/no/such/libFlows.so"), "/no/such/libFlows.so", "does not exist")
        expectRefused(try sandbox.baton("register", sandbox.directory), "without Package.swift")
        try expectNothingRegistered(sandbox)
    }

    @Test func aSharedLibraryWithoutTheEntryPointIsRefused() async throws {
        let sandbox = try Sandbox()
        let library = try await Builds.shared.fixture("NoEntry")
        expectRefused(try sandbox.baton("register", library), "libNoEntry.so", "no Baton entry point", "baton_library_open")
        try expectNothingRegistered(sandbox)
    }

    @Test func aLibraryOfAnotherABIAndCompilerIsRefusedBeforeItsCodeRuns() async throws {
        let sandbox = try Sandbox()
        let library = try await Builds.shared.fixture("Mismatch")
        let result = try sandbox.baton("register", library)
        // Its entry point calls fatalError: had it run, this would read "crashed".
        expectRefused(
            result, "incompatible library", "libMismatch.so", "Baton ABI version mismatch: host is 1.2, library is 99.0",
            "Swift compiler mismatch: host is 6.3.1, library is 5.9.0")
        try expectNothingRegistered(sandbox)
    }

    @Test func aLibraryThatCrashesWhileRegisteringIsRefused() async throws {
        let sandbox = try Sandbox()
        let library = try await Builds.shared.fixture("RegisterCrash")
        expectRefused(
            try sandbox.baton("register", library), "libRegisterCrash.so", "crashed while registering", "SIGILL",
            "Fatal error: this library crashes while Baton reads its manifest")
        try expectNothingRegistered(sandbox)
    }

    @Test func aLibraryThatHangsWhileRegisteringIsStoppedAfterItsTimeout() async throws {
        let sandbox = try Sandbox()
        let library = try await Builds.shared.fixture("RegisterHang")
        expectRefused(
            try sandbox.baton("register", library, "--timeout", "1"), "libRegisterHang.so", "did not describe its flows within 1 s")
        try expectNothingRegistered(sandbox)
    }

    // MARK: Runs

    func registered() async throws -> Sandbox {
        let sandbox = try Sandbox()
        let result = try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows"))
        try #require(result.status == 0, "\(result.stderr)")
        return sandbox
    }

    @Test func anUnknownFlowOrVersionIsRefused() async throws {
        let sandbox = try await registered()
        expectRefused(try sandbox.baton("run", "ech0"), "unknown flow 'ech0'", "registered flows: ", "crash, echo, fetching, flaky")
        expectRefused(try sandbox.baton("run", "echo", "--version", "4"), "flow 'echo' has no version 4", "its versions are 1")
        expectRefused(try sandbox.baton("run", "echo", "--version", "two"), "--version 'two'", "whole number")
        expectRefused(try sandbox.baton("flow", "versions", "nope"), "unknown flow 'nope'")
        expectRefused(try sandbox.baton("run", "show", "feedbeef"), "no flow run 'feedbeef'")
        #expect(try sandbox.runs().isEmpty)
    }

    @Test func anUnknownParameterIsRefusedNamingTheKnownOnes() async throws {
        let sandbox = try await registered()
        expectRefused(
            try sandbox.baton("run", "echo", "--param", "nmae=Ada"), "unknown parameter 'nmae' for flow 'echo'",
            "name, count, ratio, enabled, tags, limit, mode, window, since")
        #expect(try sandbox.runs().isEmpty)
    }

    @Test(arguments: [
        ("count=three", "parameter 'count' of flow 'echo' expects an integer, got 'three'"),
        ("ratio=fast", "parameter 'ratio' of flow 'echo' expects a number, got 'fast'"),
        ("enabled=maybe", "parameter 'enabled' of flow 'echo' expects a boolean (true or false), got 'maybe'"),
        ("tags=[1", "parameter 'tags' of flow 'echo' expects an array of strings, got '[1' (not valid JSON)"),
        ("since=yesterday", "parameter 'since' of flow 'echo' expects an ISO 8601 date-time string, got 'yesterday'"),
        ("tags=[1, 2]", "parameter 'tags[0]' of flow 'echo' expects a string, got an integer (1)"),
        ("window={\"from\": \"a\"}", "parameter 'window.from' of flow 'echo' expects an integer, got a string"),
    ])
    func aWrongTypedParameterIsRefusedNamingTheType(param: String, message: String) async throws {
        let sandbox = try await registered()
        expectRefused(try sandbox.baton("run", "echo", "--param", param), message)
        #expect(try sandbox.runs().isEmpty)
    }

    @Test func aMalformedParamIsRefused() async throws {
        let sandbox = try await registered()
        expectRefused(try sandbox.baton("run", "echo", "--param", "name"), "malformed --param 'name'", "KEY=VALUE")
        expectRefused(try sandbox.baton("run", "echo", "--param", "=Ada"), "malformed --param '=Ada'")
        expectRefused(try sandbox.baton("run", "echo", "--param"), "option --param needs a value")
        expectRefused(try sandbox.baton("run", "echo", "--parm", "x=1"), "unknown option '--parm'")
        #expect(try sandbox.runs().isEmpty)
    }

    @Test func aMalformedParamsFileIsRefused() async throws {
        let sandbox = try await registered()
        let file = sandbox.directory + "/params.json"
        try "{\"count\": ".write(toFile: file, atomically: true, encoding: .utf8)
        expectRefused(try sandbox.baton("run", "echo", "--params-file", file), "params file", "params.json", "not valid JSON")
        try "[1, 2]".write(toFile: file, atomically: true, encoding: .utf8)
        expectRefused(try sandbox.baton("run", "echo", "--params-file", file), "holds an array; expected an object")
        try #"{"count": "many"}"#.write(toFile: file, atomically: true, encoding: .utf8)
        expectRefused(try sandbox.baton("run", "echo", "--params-file", file), "parameter 'count' of flow 'echo' expects an integer, got a string (\"many\")")
        try #"{"colour": "red"}"#.write(toFile: file, atomically: true, encoding: .utf8)
        expectRefused(try sandbox.baton("run", "echo", "--params-file", file), "unknown parameter 'colour'")
        expectRefused(try sandbox.baton("run", "echo", "--params-file", sandbox.directory + "/none.json"), "none.json", "cannot be read")
        #expect(try sandbox.runs().isEmpty)
    }

    // MARK: The store

    @Test func aBatonHomeThatCannotBeWrittenIsRefused() throws {
        let sandbox = try Sandbox()
        let file = sandbox.directory + "/a-file"
        try "not a directory".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try sandbox.baton("flow", "ls", environment: ["BATON_HOME": file + "/home"])
        expectRefused(result, "BATON_HOME '\(file)/home'", "cannot be created", "set BATON_HOME to a writable directory")
        let proc = try sandbox.baton("flow", "ls", environment: ["BATON_HOME": "/proc/baton-home"])
        expectRefused(proc, "BATON_HOME '/proc/baton-home'")
    }

    @Test func aStoreFileThatIsNotABatonDatabaseIsRefusedAndLeftAlone() throws {
        let sandbox = try Sandbox()
        try FileManager.default.createDirectory(atPath: sandbox.home, withIntermediateDirectories: true)
        let database = sandbox.home + "/baton.db"
        let garbage = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 * 31 + 7) })
        try garbage.write(to: URL(fileURLWithPath: database))
        expectRefused(try sandbox.baton("flow", "ls"), "store '\(database)' is not a Baton database")
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == garbage)

        // A real SQLite database of something else.
        try FileManager.default.removeItem(atPath: database)
        do {
            let other = try SQLiteConnection(path: database)
            try other.execute("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: database))
        expectRefused(try sandbox.baton("flow", "ls"), "is not a Baton database", "1 tables of something else")
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == before)
    }

    @Test func unknownCommandsAndOptionsAreRefusedWithAPointerToHelp() throws {
        let sandbox = try Sandbox()
        expectRefused(try sandbox.baton("registr", "x"), "unknown command 'registr'; did you mean 'register'?")
        expectRefused(try sandbox.baton("run", "ls", "--state", "finished"), "--state 'finished' is not a state")
        expectRefused(try sandbox.baton("register"), "needs PATH")
        let help = try sandbox.baton("run", "--help")
        #expect(help.status == 0 && help.stdout.contains("USAGE: baton run FLOW"))
        for command in [["register"], ["flow", "ls"], ["flow", "versions"], ["flow", "inspect"], ["run", "ls"], ["run", "show"], ["run", "logs"], ["rerun"], ["quickstart"]] {
            let result = try sandbox.batonArguments(command + ["--help"])
            #expect(result.status == 0 && result.stdout.contains("USAGE: baton \(command.joined(separator: " "))"), "\(command)")
        }
    }
}
