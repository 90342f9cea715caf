import BatonCore
import BatonStore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A `baton run` that dies between creating its run and starting its runner leaves no run that
/// nobody watches: the run is born with its supervisor recorded and locked, so the next sweep
/// crashes it. `BATON_TEST_KILL_AFTER=run-created` (debug builds) makes `baton run` SIGKILL itself
/// at exactly that moment.
@Suite(.timeLimit(.minutes(20)))
struct RunCreationTests: StoreWatching {
    @Test func aBatonRunKilledRightAfterCreatingItsRunOrAttemptHasItCrashedByTheNextRunList() async throws {
        let sandbox = try await registered()
        let hook = ["BATON_TEST_KILL_AFTER": "run-created"]
        let killed = try sandbox.baton("run", "hello", environment: hook)
        #expect(killed.status == SIGKILL, "\(killed.stdout)\(killed.stderr)")

        let runs = try sandbox.runs()
        #expect(runs.count == 1)
        #expect(runs.first?["state"]?.stringValue == "crashed", "\(runs)")
        #expect(runs.first?["message"]?.stringValue?.contains("supervisor") == true, "\(runs)")

        // The same for a resumed run's new attempt.
        let id = try #require(runs.first?["id"]?.stringValue)
        let resumed = try sandbox.baton("run", "resume", id, environment: hook)
        #expect(resumed.status == SIGKILL, "\(resumed.stdout)\(resumed.stderr)")
        let again = try sandbox.runs()
        #expect(again.count == 1)
        #expect(again.first?["state"]?.stringValue == "crashed", "\(again)")
        #expect(again.first?["attempt"]?.intValue == 2, "\(again)")

        // Nothing else was left behind: a third run completes and leaves no lock file.
        let completed = try sandbox.baton("run", "hello")
        #expect(completed.status == 0, "\(completed.stdout)\(completed.stderr)")
        let locks = (try? FileManager.default.contentsOfDirectory(atPath: sandbox.home + "/locks")) ?? []
        #expect(locks.filter { $0.hasPrefix("run-") }.isEmpty, "\(locks)")
    }
}
