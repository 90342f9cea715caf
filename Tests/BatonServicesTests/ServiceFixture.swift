import BatonCore
import BatonServices
import BatonStore
import BatonTestSupport
import Foundation

/// The application layer over a real SQLite store in a fresh temporary BATON_HOME, removed after.
final class ServiceFixture: Sendable {
    let home: BatonHome
    let store: SQLiteStore
    let services: Services
    let caller = Caller.storeOwner()

    init() throws {
        home = BatonHome(path: FileManager.default.temporaryDirectory.appendingPathComponent("baton-services-\(UUID().uuidString)").path)
        store = try SQLiteStore(home: home)
        services = Services(store: store, home: home)
    }

    deinit {
        // Stored libraries are read-only.
        if let paths = FileManager.default.enumerator(atPath: home.path) {
            for case let path as String in paths {
                try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: home.path + "/" + path)
            }
        }
        try? FileManager.default.removeItem(atPath: home.path)
    }

    /// A run of `flow` version 1 that ended in `state` at `time`.
    @discardableResult
    func finishedRun(_ state: StateType, at time: Date, flow: String = "etl") throws -> FlowRunRecord {
        let run = try store.createFlowRun(NewFlowRun(flow: flow, version: 1, parameters: [:], state: RunState(.running, at: time)))
        try store.finish(flowRunID: run.id, state: RunState(state, message: "over", at: time))
        return try store.flowRun(run.id)
    }
}
