import BatonCore
import BatonStore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The fault suite of issue 9: processes killed at random moments on one store, and processes started
/// while a scheduler runs. Nothing here waits for time: `baton-bench chaos` settles on the store's
/// state (with a generous deadline) and these tests assert only what must hold whatever the timing.
@Suite(.timeLimit(.minutes(30)))
struct FaultSuiteTests {
    /// `baton-bench`, built next to `baton` by `swift build` (and `swift test`).
    static var bench: String { (Paths.baton as NSString).deletingLastPathComponent + "/baton-bench" }

    /// Four rounds of `baton-bench chaos`: a server, two workers, `baton run` processes and API and
    /// deployment runs on one store, one of a runner, a worker, the server and a `baton run` SIGKILLed
    /// each round. Afterwards no run is lost, stuck or executed twice, every killed run crashed (and
    /// was retried when its flow retries), and the store passes its integrity check.
    @Test func killsAtRandomMomentsLoseNothingLeaveNothingStuckAndRunNothingTwice() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.bench), "no baton-bench next to \(Paths.baton): build it with swift build")
        let library = try await Builds.shared.fixture("FixtureFlows")
        let result = try await offThePool {
            try runProgram(
                Self.bench, ["chaos", "4", "--seed", "9", "--json", "--library", library, "--settle", "400"], directory: Paths.root)
        }
        let report = try #require(
            result.stdout.split(separator: "\n").last.flatMap { try? JSONValue(json: String($0)) }, "no report: \(result.stderr.suffix(3000))")
        let violations = (report["violations"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: "\n")
        #expect(report["lost"]?.intValue == 0, "\(violations)")
        #expect(report["stuck"]?.intValue == 0, "\(violations)")
        #expect(report["duplicated"]?.intValue == 0, "\(violations)")
        #expect(report["killed_not_crashed"]?.intValue == 0, "\(violations)")
        #expect(report["killed_not_retried"]?.intValue == 0, "\(violations)")
        #expect(report["integrity_check"]?.stringValue == "ok")
        #expect((report["runs_completed"]?.intValue ?? 0) > 0, "the stream ran nothing: \(result.stderr.suffix(2000))")
        #expect(result.status == 0, "\(result.stderr.suffix(3000))")
    }
}
