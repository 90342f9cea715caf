import BatonCore
import BatonSchedule
import BatonStore
import Foundation

extension Services {
    /// Deployments: creating, listing, pausing, deleting, running now and backfilling them.
    public var deployments: DeploymentService { DeploymentService(services: self) }
}

/// Everything `baton deployment` and `/api/deployments` do, written once. The store keeps the rows
/// and slots; what a deployment may be, what pausing removes and which version runs is decided here
/// and in ``DeploymentRules`` (BatonCore); the runs of schedules are the ``Scheduler``'s.
public struct DeploymentService: Sendable {
    let services: Services
    var store: any Store { services.store }
    var now: Date { services.options.now() }

    /// How many next fire times a deployment's view carries: the API's answers and `inspect` show
    /// five, the CLI's listing one (its remote backend trims the API's five to one).
    public static let fireTimesShown = 5
    public static let fireTimesListed = 1

    /// Records a deployment. Its parameters are checked against the version it runs (the latest when
    /// not pinned), and its schedule is settled and must fire within a few years (`requireFireTime`),
    /// so that nothing invalid is stored. Slots before now are never scheduled.
    public func create(_ new: NewDeployment, _ caller: Caller) throws -> DeploymentView {
        try services.audit.local("deployment create", target: new.name, caller) {
            try services.authorize(caller, .develop)
            var new = new
            new.project = caller.project
            let now = self.now
            try new.validate()
            _ = try store.version(of: new.flow, number: new.version, project: caller.project).resolveRunParameters(new.parameters)
            let schedule = try new.schedule.map { try $0.settled(now: now) }
            if let schedule { try CompiledSchedule(schedule, defaultStart: now).requireFireTime(after: Int64(floor(now.timeIntervalSince1970))) }
            guard let created = try store.insertDeployment(new, schedule: schedule, isDefault: false, now: now) else {
                let existing = try store.deploymentRecord(named: new.name, project: caller.project)
                throw BatonError(
                    .conflict, "a deployment named '\(new.name)' exists already (of flow '\(existing?.flow ?? new.flow)'); choose another name")
            }
            return try view(created)
        }
    }

    /// Every deployment, of one flow or all, by name, each with `nextCount` fire times.
    public func list(flow: String?, nextCount: Int = fireTimesShown, _ caller: Caller) throws -> [DeploymentView] {
        try services.authorize(caller, .read)
        let now = self.now
        return try store.deployments(flow: flow, project: caller.project).map { try view($0, nextCount: nextCount, now: now) }
    }

    /// A deployment by name; throws `notFound` naming the ones that exist.
    public func get(_ name: String, nextCount: Int = fireTimesShown, _ caller: Caller) throws -> DeploymentView {
        try services.authorize(caller, .read)
        return try view(store.deployment(named: name, project: caller.project), nextCount: nextCount)
    }

    /// Pauses or resumes a deployment. Pausing marks it paused first (a scheduler's batch planned
    /// before is then stale and writes nothing), then removes its runs that are scheduled and not
    /// claimed, so that nothing of it starts; resuming schedules from where it stopped, replaying the
    /// slots missed meanwhile only when catchup is on.
    public func setPaused(_ name: String, _ paused: Bool, _ caller: Caller) throws -> DeploymentView {
        try services.audit.local(paused ? "deployment pause" : "deployment resume", target: name, caller) {
            try services.authorize(caller, .run)
            let now = self.now
            var deployment = try store.deployment(named: name, project: caller.project)
            if deployment.paused != paused {
                let change = paused
                    ? DeploymentChange(paused: true, scheduledThrough: Int64(floor(now.timeIntervalSince1970)), updatedAt: now)
                    : DeploymentChange(paused: false, updatedAt: now)
                guard let changed = try store.updateDeployment(id: deployment.id, change) else { return try get(name, caller) }
                deployment = changed
                if paused { _ = try store.removeUnstartedRuns(deploymentID: deployment.id) }
            }
            return try view(deployment)
        }
    }

    /// Deletes a deployment and its runs that have not started; finished runs stay, without it.
    public func delete(_ name: String, _ caller: Caller) throws {
        try services.audit.local("deployment delete", target: name, caller) {
            try services.authorize(caller, .develop)
            try store.deleteDeployment(id: store.deployment(named: name, project: caller.project).id)
        }
    }

    /// A run of a deployment now, outside its schedule, with `overrides` on top of its parameters.
    public func runNow(_ name: String, overrides: [String: JSONValue] = [:], _ caller: Caller) throws -> RunView {
        try services.audit.local("deployment run", target: name, caller) {
            try services.authorize(caller, .run)
            let now = self.now
            let deployment = try store.deployment(named: name, project: caller.project)
            var given = deployment.parameters
            for (key, value) in overrides { given[key] = value }
            let version = try store.version(of: deployment.flow, number: deployment.version, project: deployment.project)
            let run = NewFlowRun(
                flow: deployment.flow, version: version.number, parameters: try version.resolveRunParameters(given),
                state: RunState(.scheduled, at: now), deploymentID: deployment.id, scheduledTime: now, pool: deployment.pool)
            return RunView(try store.insertDeploymentRun(run, given: given))
        }
    }

    /// Runs for every fire time of a deployment's schedule in `range` that has none (see
    /// ``Scheduler/backfill(_:_:now:limit:)``): a second backfill of the range makes nothing.
    public func backfill(_ name: String, _ range: BackfillRange, _ caller: Caller) throws -> Backfilled {
        try services.audit.local("deployment backfill", target: name, caller) {
            try services.authorize(caller, .run)
            let (created, existing) = try Scheduler(store: store).backfill(store.deployment(named: name, project: caller.project), range, now: now)
            return Backfilled(created: created, existing: existing)
        }
    }

    /// A deployment's view: its next `nextCount` fire times at `now` and its runs counted.
    public static func view(_ d: DeploymentRecord, in store: any Store, nextCount: Int = fireTimesShown, now: Date = Date()) throws -> DeploymentView {
        let counts = try store.deploymentCounts(id: d.id)
        let next = d.paused ? [] : d.schedule?.nextFireTimes(count: nextCount, after: now, defaultStart: d.createdAt) ?? []
        return DeploymentView(d, next: next, activeRuns: counts.active, scheduledRuns: counts.scheduled, skippedSlots: counts.skipped)
    }

    func view(_ d: DeploymentRecord, nextCount: Int = fireTimesShown, now: Date? = nil) throws -> DeploymentView {
        try Self.view(d, in: store, nextCount: nextCount, now: now ?? self.now)
    }
}

/// What a backfill made: the runs created, and how many fire times of the range had one already.
public struct Backfilled: Sendable, Hashable {
    public var created: [String]
    public var existing: Int

    public init(created: [String], existing: Int) {
        self.created = created
        self.existing = existing
    }
}
