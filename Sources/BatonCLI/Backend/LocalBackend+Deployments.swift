import BatonCore
import Foundation

/// Deployments on this machine's store.
extension LocalBackend {
    func createDeployment(_ deployment: NewDeployment) throws -> DeploymentView {
        try Self.asSent(store.deploymentView(store.createDeployment(deployment)))
    }

    func deployments(flow: String?) throws -> [DeploymentView] {
        try Self.asSent(store.deployments(flow: flow).map { try store.deploymentView($0, nextCount: 1) })
    }

    func deployment(named name: String) throws -> DeploymentView {
        try Self.asSent(store.deploymentView(store.deployment(named: name)))
    }

    func setPaused(_ name: String, _ paused: Bool) throws -> DeploymentView {
        try Self.asSent(store.deploymentView(store.setPaused(name, paused)))
    }

    func deleteDeployment(_ name: String) throws { try store.deleteDeployment(name) }

    func runDeployment(_ name: String, overrides: [String: JSONValue]) throws -> RunView {
        try Self.asSent(RunView(store.createDeploymentRun(name, overrides: overrides)))
    }

    func backfill(_ name: String, from: Date, through: Date) throws -> (created: Int, existing: Int) {
        let (created, existing) = try store.backfill(name, from: from, through: through)
        return (created.count, existing)
    }
}
