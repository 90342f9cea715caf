import BatonCore
import BatonStore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What the suites that drive workers and servers as processes share: a sandbox with the fixture
/// library registered, a wait on the store's state woken by its doorbells, and a clean stop.
protocol StoreWatching {}

extension StoreWatching {
    func registered() async throws -> Sandbox {
        let sandbox = try Sandbox()
        let result = try sandbox.baton("register", try await Builds.shared.fixture("FixtureFlows"))
        try #require(result.status == 0, "\(result.stderr)")
        return sandbox
    }

    /// Waits until `condition` holds for the store, re-checking each time it rings a doorbell;
    /// gives up (returning false) after `limit` seconds as a bound on a failing test.
    func waitUntil(_ sandbox: Sandbox, limit: Double = 120, _ condition: (SQLiteStore) throws -> Bool) throws -> Bool {
        let store = try SQLiteStore(home: BatonHome(path: sandbox.home))
        let doorbell = try store.doorbell()
        let deadline = Date().addingTimeInterval(limit)
        while Date() < deadline {
            if try condition(store) { return true }
            var entry = pollfd(fd: doorbell.fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&entry, 1, Int32(max(1, min(1000, deadline.timeIntervalSinceNow * 1000))))
            _ = doorbell.drain()
        }
        return try condition(store)
    }

    /// SIGTERM, then the exit status.
    func stop(_ process: WatchedProcess) -> Int32 {
        kill(process.process.processIdentifier, SIGTERM)
        return process.wait()
    }
}
