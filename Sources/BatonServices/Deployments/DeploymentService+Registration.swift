import BatonCore
import BatonStore
import Foundation

extension DeploymentService {
    /// After a registration, for each flow of `flows`: runs of its `latest` deployments that are
    /// scheduled and not claimed move to its latest version (the parameters given for each read again
    /// with the new defaults; a run whose parameters the new version does not take stays on its own),
    /// and its default deployment follows the schedule the latest version declares in code (created,
    /// changed or cleared). Returns, per flow, what happened to the default deployment.
    ///
    /// Idempotent: a second call with nothing registered in between changes nothing, so the
    /// registration service may call it after every registration, outside the registration's
    /// transaction.
    func followRegistration(flows: [String], project: String, now: Date) throws -> [String: String] {
        var notes: [String: String] = [:]
        for flow in flows {
            if let note = try follow(flow, from: try store.version(of: flow, number: nil, project: project), now: now) { notes[flow] = note }
        }
        return notes
    }

    /// Follows `read`, the version of `flow` read as its latest. Two registrations racing each follow
    /// what they read: the one that read the older version may write after the newer one's follow
    /// ended. So the latest is read again after writing, and followed in turn until it is the one
    /// just followed: the newest version's deployments are written last.
    func follow(_ flow: String, from read: VersionRecord, now: Date) throws -> String? {
        var latest = read
        while true {
            try moveRuns(of: flow, to: latest)
            let note = try followDeclaredSchedule(of: latest, now: now)
            let again = try store.version(of: flow, number: nil, project: latest.project)
            if again.number == latest.number { return note }
            latest = again
        }
    }

    private func moveRuns(of flow: String, to latest: VersionRecord) throws {
        for deployment in try store.deployments(flow: flow, project: latest.project) where deployment.version == nil {
            for run in try store.unstartedRuns(deploymentID: deployment.id) where run.version != latest.number {
                guard let resolved = try? latest.resolveRunParameters(run.given ?? deployment.parameters) else { continue }
                _ = try store.moveUnstartedRun(run.id, toVersion: latest.number, parameters: resolved)
            }
        }
    }

    private func followDeclaredSchedule(of latest: VersionRecord, now: Date) throws -> String? {
        let flow = latest.flow
        let existing = try store.deployments(flow: flow, project: latest.project).first { $0.isDefault }
        let cursor = Int64(floor(now.timeIntervalSince1970))
        guard let declared = latest.manifest.schedule.flatMap({ try? $0.settled(now: now) }) else {
            guard let existing, existing.schedule != nil else { return nil }
            _ = try store.updateDeployment(id: existing.id, DeploymentChange(schedule: .some(nil), updatedAt: now))
            _ = try store.removeUnstartedRuns(deploymentID: existing.id)
            return "default deployment '\(existing.name)' has no schedule any more: version \(latest.number) declares none"
        }
        if let existing {
            guard existing.schedule?.firesLike(declared) != true else { return nil }
            _ = try store.updateDeployment(id: existing.id, DeploymentChange(schedule: declared, scheduledThrough: cursor, updatedAt: now))
            _ = try store.removeUnstartedRuns(deploymentID: existing.id)
            return "default deployment '\(existing.name)' now runs \(declared.summary)"
        }
        for name in [flow, flow + "-default"] {
            guard try store.insertDeployment(NewDeployment(name: name, flow: flow, project: latest.project), schedule: declared, isDefault: true, now: now) != nil
            else { continue }
            return "default deployment '\(name)' created: \(declared.summary), pool \(DeploymentNames.defaultPool)"
        }
        return nil
    }
}
