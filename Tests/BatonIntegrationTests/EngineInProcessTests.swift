import BatonCore
import BatonEngine
import Foundation
import Synchronization
import Testing

/// A clock whose sleeps return at once and move its time on, recording each; `random` returns the
/// values a test sets, so that jitter is exact.
final class VirtualClock: EngineClock {
    private let state: Mutex<(now: Date, sleeps: [Double], randoms: [Double])>

    init(randoms: [Double] = [0.5]) {
        state = Mutex((Date(timeIntervalSince1970: 1_800_000_000), [], randoms))
    }

    func now() -> Date { state.withLock { $0.now } }

    func sleep(seconds: Double) async throws {
        state.withLock { state in
            state.sleeps.append(seconds)
            state.now = state.now.addingTimeInterval(seconds)
        }
        await Task.yield()
    }

    func random() -> Double {
        state.withLock { state in
            let value = state.randoms.first ?? 0.5
            if state.randoms.count > 1 { state.randoms.removeFirst() }
            return value
        }
    }

    var sleeps: [Double] { state.withLock { $0.sleeps } }
}

/// Services that keep events in memory, with a cache shared between the runs given the same one.
final class RecordingServices: RunServices {
    private let recorded = Mutex<[RunEvent]>([])
    let cache: Mutex<[String: CacheHit]>

    init() {
        self.cache = Mutex([:])
    }

    init(sharing other: RecordingServices) {
        self.cache = Mutex(other.cache.withLock { $0 })
    }

    func emit(_ event: RunEvent) {
        recorded.withLock { $0.append(event) }
        if case .cacheStore(let entry) = event {
            cache.withLock {
                $0[entry.key] = CacheHit(result: entry.result, taskRunID: entry.taskRunID, taskRunName: entry.taskRunName, flowRunID: entry.flowRunID, createdAt: entry.createdAt)
            }
        }
    }

    func cachedResult(key: String) async -> CacheHit? { cache.withLock { $0[key] } }
    func acquireSlots(tags: [String], taskRunID: String, flowRunID: String, waiting: @escaping @Sendable () -> Void) async -> Bool { true }
    func releaseSlots(taskRunID: String) {}
    func cancelWaits() {}
    func flush() async {}

    var events: [RunEvent] { recorded.withLock { $0 } }

    /// The states of the task runs of a task, in order.
    func taskStates(_ task: String) -> [RunState] {
        let ids = Set(events.compactMap { event -> String? in
            if case .taskRunCreated(let start) = event, start.taskName == task { return start.id }
            return nil
        })
        return events.compactMap { event in
            if case .taskRunState(let change) = event, ids.contains(change.taskRunID) { return change.state }
            return nil
        }
    }

    var flowStates: [RunState] {
        events.compactMap { event in
            if case .flowRunState(let change) = event { return change.state }
            return nil
        }
    }
}

/// The engine run in this process against the real fixture library, with a virtual clock: retry
/// delays, backoff and jitter are checked exactly, without a test sleeping. (A runner child loads one
/// library per process; here the test process is that one process.)
@Suite(.serialized, .timeLimit(.minutes(20)))
struct EngineInProcessTests {
    func run(
        _ flow: String, _ parameters: [String: JSONValue] = [:], clock: VirtualClock, libraryHash: String = "",
        services: RecordingServices = RecordingServices()
    ) async throws -> (RunState, RecordingServices) {
        let library = try RunEngine.load(libraryPath: try await Builds.shared.fixture("FixtureFlows"))
        let spec = FlowRunSpec(
            flowRunID: RunID.random(), flowRunName: "test-run", flow: flow, version: 1, parameters: parameters, attempt: 1,
            libraryHash: libraryHash)
        let engine = RunEngine(library: library, spec: spec, services: services, clock: clock)
        return (await engine.run(), services)
    }

    @Test func exponentialBackoffDoublesUpToItsCap() async throws {
        let clock = VirtualClock(randoms: [0.5])  // jitter factor 1: the plain delays
        let (final, services) = try await run("retrying", ["failures": .int(3), "kind": .string("transient")], clock: clock)
        #expect(final.type == .completed)
        // backoff-step fails three times: 1 s, 2 s, then 4 s capped at 3 s; then list-step's 0.1, 0.2, 0.2 s.
        #expect(Array(clock.sleeps.prefix(6)) == [1, 2, 3, 0.1, 0.2, 0.2])
        #expect(
            services.taskStates("backoff-step").map(\.name)
                == ["Running", "AwaitingRetry", "Retrying", "AwaitingRetry", "Retrying", "AwaitingRetry", "Retrying", "Completed"])
        // Each retry begins the delay after its AwaitingRetry state.
        let states = services.taskStates("backoff-step")
        let waits = zip(states, states.dropFirst()).filter { $0.0.name == "AwaitingRetry" }.map { $0.1.timestamp.timeIntervalSince($0.0.timestamp) }
        #expect(waits == [1, 2, 3])
    }

    @Test func jitterSpreadsDelaysWithinItsBoundsAndTheCapHolds() async throws {
        let low = VirtualClock(randoms: [0])
        _ = try await run("retrying", ["failures": .int(3), "kind": .string("transient")], clock: low)
        #expect(Array(low.sleeps.prefix(3)) == [0.5, 1, 1.5])  // × (1 − 0.5)
        let high = VirtualClock(randoms: [1])
        _ = try await run("retrying", ["failures": .int(3), "kind": .string("transient")], clock: high)
        #expect(Array(high.sleeps.prefix(3)) == [1.5, 3, 3])  // × (1 + 0.5), never past the 3 s cap
        for random in [0.1, 0.37, 0.62, 0.9] {
            let clock = VirtualClock(randoms: [random])
            _ = try await run("retrying", ["failures": .int(3), "kind": .string("transient")], clock: clock)
            let delays = Array(clock.sleeps.prefix(3))
            #expect((0.5...1.5).contains(delays[0]) && (1...3).contains(delays[1]) && (1.5...3).contains(delays[2]), "\(delays)")
        }
    }

    @Test func theRetryConditionDeclinesAnErrorItDoesNotRetry() async throws {
        let (final, services) = try await run("retrying", ["failures": .int(0), "kind": .string("permanent")], clock: VirtualClock())
        #expect(final.type == .failed)
        let states = services.taskStates("conditional-step")
        #expect(states.map(\.name) == ["Running", "Failed"])
        #expect(states.last?.message?.contains("not retried: the retry condition declined it") == true)

        let (retried, transient) = try await run("retrying", ["failures": .int(0), "kind": .string("transient")], clock: VirtualClock())
        #expect(retried.type == .completed)
        #expect(transient.taskStates("conditional-step").map(\.name) == ["Running", "AwaitingRetry", "Retrying", "AwaitingRetry", "Retrying", "Completed"])
    }

    @Test func aFlowIsRetriedAsANewAttemptOfItsBody() async throws {
        let clock = VirtualClock()
        let (final, services) = try await run("flaky-flow", clock: clock)
        #expect(final.type == .completed)
        #expect(services.flowStates.map(\.name) == ["Running", "AwaitingRetry", "Retrying", "Completed"])
        #expect(clock.sleeps == [0.01])
    }

    @Test func aTimedOutAttemptIsRetriedThenTheTaskRunFailsAsTimedOut() async throws {
        // The virtual clock lets the timeout elapse at once while the body sleeps for real.
        let (final, services) = try await run("timeouts", ["seconds": .double(3600), "cooperative": .bool(true)], clock: VirtualClock())
        #expect(final.type == .failed)
        let states = services.taskStates("slow-step")
        #expect(states.map(\.name) == ["Running", "AwaitingRetry", "Retrying", "TimedOut"])
        #expect(states.last?.type == .failed)
        #expect(states.last?.message == "the attempt exceeded its timeout of 300 ms")
    }

    @Test func aCacheByInputsSpansVersionsAndOneByInputsAndVersionDoesNot() async throws {
        let parameters: [String: JSONValue] = ["x": .int(7), "refresh": .bool(false)]
        let (_, first) = try await run("caching", parameters, clock: VirtualClock(), libraryHash: "version-one")
        let sameVersion = RecordingServices(sharing: first)
        _ = try await run("caching", parameters, clock: VirtualClock(), libraryHash: "version-one", services: sameVersion)
        #expect(sameVersion.taskStates("expensive").map(\.name) == ["Cached"])
        #expect(sameVersion.taskStates("versioned").map(\.name) == ["Cached"])

        let otherVersion = RecordingServices(sharing: first)
        _ = try await run("caching", parameters, clock: VirtualClock(), libraryHash: "version-two", services: otherVersion)
        #expect(otherVersion.taskStates("expensive").map(\.name) == ["Cached"])
        #expect(otherVersion.taskStates("versioned").map(\.name) == ["Running", "Completed"])
    }
}
