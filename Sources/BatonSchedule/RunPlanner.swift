import BatonCore
import BatonStore
import Foundation

/// Makes the runs of one deployment for one pass (or one backfill): the version to run and its
/// parameters are resolved once, on the first run asked for. Parameters the version does not take
/// make failed runs that say why, as the deployment cannot run them, instead of stopping the pass.
struct RunPlanner {
    let store: any Store
    let deployment: DeploymentRecord
    private var resolved: (version: Int, parameters: [String: JSONValue]?, problem: String?)?

    init(store: any Store, deployment: DeploymentRecord) {
        self.store = store
        self.deployment = deployment
    }

    /// The claim of the slot at `time` with its run; `late` for a missed slot run to catch up.
    mutating func claim(_ time: Int64, late: Bool, now: Date) throws -> SlotClaim {
        let (version, parameters, problem) = try resolve()
        let state: RunState
        if let problem {
            state = RunState(.failed, message: "deployment '\(deployment.name)': \(problem)", at: now)
        } else if late {
            state = RunState(.scheduled, name: StateName.late, message: "caught up: its slot was missed while no scheduler ran", at: now)
        } else {
            state = RunState(.scheduled, at: now)
        }
        let run = NewFlowRun(
            flow: deployment.flow, version: version, parameters: parameters ?? deployment.parameters, state: state,
            deploymentID: deployment.id, scheduledTime: Date(timeIntervalSince1970: Double(time)), pool: deployment.pool,
            project: deployment.project)
        return SlotClaim(time: time, run: run, given: deployment.parameters)
    }

    private mutating func resolve() throws -> (version: Int, parameters: [String: JSONValue]?, problem: String?) {
        if let resolved { return resolved }
        let version = try deployment.version ?? store.version(of: deployment.flow, number: nil, project: deployment.project).number
        do {
            resolved = (version, try store.version(of: deployment.flow, number: version, project: deployment.project).resolveRunParameters(deployment.parameters), nil)
        } catch let error as BatonError {
            resolved = (version, nil, error.message)
        }
        return resolved!
    }
}
