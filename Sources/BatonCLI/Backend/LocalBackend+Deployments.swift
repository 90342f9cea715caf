import BatonCore
import BatonServices
import Foundation

/// Deployments, through the application layer in this process.
extension LocalBackend {
    func createDeployment(_ deployment: NewDeployment) throws -> DeploymentView {
        try services.deployments.create(deployment, caller)
    }

    func deployments(flow: String?) throws -> [DeploymentView] {
        try services.deployments.list(flow: flow, nextCount: DeploymentService.fireTimesListed, caller)
    }

    func deployment(named name: String) throws -> DeploymentView {
        try services.deployments.get(name, caller)
    }

    func setPaused(_ name: String, _ paused: Bool) throws -> DeploymentView {
        try services.deployments.setPaused(name, paused, caller)
    }

    func deleteDeployment(_ name: String) throws { try services.deployments.delete(name, caller) }

    func runDeployment(_ name: String, overrides: [String: JSONValue]) throws -> RunView {
        try services.deployments.runNow(name, overrides: overrides, caller)
    }

    func backfill(_ name: String, from: Date, through: Date) throws -> (created: Int, existing: Int) {
        let done = try services.deployments.backfill(name, BackfillRange(from: from, through: through, naming: ("--from", "--to")), caller)
        return (done.created.count, done.existing)
    }
}
