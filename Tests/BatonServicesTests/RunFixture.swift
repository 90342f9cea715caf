import BatonCore
import BatonProcess
import BatonServices
import BatonStore
import BatonTestSupport
import Foundation

/// A store in a temporary home with the layer over it, its clock fixed at `t0` unless moved.
final class RunFixture: @unchecked Sendable {
    // @unchecked: `clock` is a Locked box; the rest is set once in init.
    let file: StoreFile
    let home: BatonHome
    let store: SQLiteStore
    let clock: Locked<Date>
    let services: Services
    let caller = Caller.storeOwner()

    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    init(retries: Int = 0, pool: String = "default") throws {
        file = try StoreFile()
        home = BatonHome(path: file.folder + "/home")
        store = try SQLiteStore(home: home)
        let clock = Locked(Self.t0)
        self.clock = clock
        services = Services(store: store, home: home, options: ServiceOptions(pool: pool, now: { clock.withLock { $0 } }))
        var registration = sampleRegistration("aaaa")
        registration.manifest.flows[0].options = FlowOptionsSpec(retries: retries)
        _ = try store.register(registration)
    }

    /// The same store and home through a second connection (another process's view).
    func secondServices() throws -> Services {
        let clock = self.clock
        return Services(store: try file.open(), home: home, options: ServiceOptions(now: { clock.withLock { $0 } }))
    }

    /// A run in `state`, with `supervisor` recorded when given.
    func run(_ state: StateType, supervisor: ProcessIdentity? = nil, pool: String? = nil, parameters: [String: JSONValue] = ["n": .int(3)])
        throws -> FlowRunRecord
    {
        // A run that is over takes no supervisor: one that had one got it while it ran.
        let opening = state.isFinal && supervisor != nil ? StateType.running : state
        var new = NewFlowRun(flow: "etl", version: 1, parameters: parameters, state: RunState(opening, at: Self.t0), pool: pool)
        new.scheduledTime = pool == nil ? nil : Self.t0
        let run = try store.createFlowRun(new)
        if let supervisor { try store.setSupervisor(flowRunID: run.id, process: supervisor) }
        if opening != state { try store.finish(flowRunID: run.id, state: RunState(state, at: Self.t0)) }
        return try store.flowRun(run.id)
    }

    /// A process that was never alive with this identity.
    static let gone = ProcessIdentity(pid: Int32.max - 1, start: "0")
}
