import BatonCore
import Foundation

/// Deployments and their scheduling slots, as persistence primitives: the rules live in the
/// application layer (BatonServices) and the scheduler (BatonSchedule).
///
/// A slot is a deployment's fire time; the store keeps at most one per (deployment, time), and
/// ``claimSlots(_:)`` is the one write that fills slots with runs, so that every fire time gets its
/// run exactly once whichever scheduler, connection or process asks.
public protocol DeploymentStore: AnyObject, Sendable {
    /// Every deployment of a project (nil: of every project, for the scheduler), of one flow or all,
    /// by project and name.
    func deployments(flow: String?, project: String?) throws -> [DeploymentRecord]
    /// A project's deployment by name; nil when there is none.
    func deploymentRecord(named name: String, project: String) throws -> DeploymentRecord?
    /// The working directory the deployment of a run names, if it names one.
    func workingDirectory(ofRun flowRunID: String) throws -> String?
    /// Records a deployment as given (checked by the caller), with its schedule settled and its
    /// cursor at `now`; nil when the name is taken.
    func insertDeployment(_ deployment: NewDeployment, schedule: ScheduleSpec?, isDefault: Bool, now: Date) throws -> DeploymentRecord?
    /// Changes a deployment; nil when it is gone.
    func updateDeployment(id: Int64, _ change: DeploymentChange) throws -> DeploymentRecord?
    /// Deletes a deployment in one transaction: its runs not started and its slots go, its other
    /// runs stay without it.
    func deleteDeployment(id: Int64) throws
    /// Removes the runs of a deployment that are scheduled and not claimed, with their states and
    /// slots; returns their ids.
    func removeUnstartedRuns(deploymentID: Int64) throws -> [String]
    /// The runs of a deployment that are scheduled and not claimed, with the parameters they were given.
    func unstartedRuns(deploymentID: Int64) throws -> [UnstartedRun]
    /// Moves a run that is still scheduled and not claimed to another version of its flow with
    /// `parameters`; false when it started, was claimed or is gone.
    func moveUnstartedRun(_ id: String, toVersion version: Int, parameters: [String: JSONValue]) throws -> Bool
    /// Records a run of a deployment outside its schedule (no slot), with the parameters it was given.
    func insertDeploymentRun(_ run: NewFlowRun, given: [String: JSONValue]) throws -> FlowRunRecord
    /// A deployment's runs counted: active, scheduled, and slots recorded as skipped.
    func deploymentCounts(id: Int64) throws -> DeploymentCounts
    /// The slots of a deployment after `after` (seconds): how many, and the earliest.
    func slotSummary(deploymentID: Int64, after: Int64) throws -> SlotSummary
    /// THE exactly-once primitive: writes a batch of slots in one transaction. A batch whose
    /// deployment is gone, or (a scheduling batch, `expectedCursor` set) is paused or has moved its
    /// cursor, writes nothing and comes back `stale`. A claim with a run takes a new slot, or one
    /// recorded as skipped, and records the run; one whose slot has a run already is counted
    /// `existing`. A claim without a run records a skipped slot unless the slot exists.
    func claimSlots(_ batch: SlotBatch) throws -> SlotBatchResult
    /// Runs of deployments still scheduled (never started), stored with state name `name`, whose time
    /// is before `before`, as stored (not as they read now): the scheduler's `Late` candidates.
    func scheduledRuns(named name: String, scheduledBefore before: Date) throws -> [FlowRunRecord]
    /// The earliest scheduled time, at `from` or after, of a deployment's run stored as `name`.
    func earliestScheduled(named name: String, from: Date) throws -> Date?
    /// Records `state` on a run of a deployment that is still scheduled, named `name` and not
    /// started; false when it is not (it was claimed meanwhile, say).
    func recordScheduledState(_ id: String, ifNamed name: String, _ state: RunState) throws -> Bool
}

extension DeploymentStore {
    /// A deployment by name; throws `notFound` naming the ones that exist.
    public func deployment(named name: String, project: String) throws -> DeploymentRecord {
        if let found = try deploymentRecord(named: name, project: project) { return found }
        let names = try deployments(flow: nil, project: project).map(\.name)
        throw BatonError(
            .notFound,
            "no deployment '\(name)'; "
                + (names.isEmpty ? "none exist yet (create one with `baton deployment create <flow> --name NAME`)" : "deployments: \(names.joined(separator: ", "))"))
    }
}

/// What ``DeploymentStore/updateDeployment(id:_:)`` changes; nil fields stay as they are.
public struct DeploymentChange: Sendable, Hashable {
    public var paused: Bool?
    /// `.some(nil)` removes the schedule.
    public var schedule: ScheduleSpec??
    /// The new cursor (whole seconds).
    public var scheduledThrough: Int64?
    public var updatedAt: Date

    public init(paused: Bool? = nil, schedule: ScheduleSpec?? = nil, scheduledThrough: Int64? = nil, updatedAt: Date) {
        self.paused = paused
        self.schedule = schedule
        self.scheduledThrough = scheduledThrough
        self.updatedAt = updatedAt
    }
}

/// A run of a deployment that has not started, as following a new version needs it.
public struct UnstartedRun: Sendable, Hashable {
    public var id: String
    public var version: Int
    /// The parameters given for it (before defaults); nil for runs made before they were kept.
    public var given: [String: JSONValue]?

    public init(id: String, version: Int, given: [String: JSONValue]?) {
        self.id = id
        self.version = version
        self.given = given
    }
}

/// A deployment's runs counted, for its view.
public struct DeploymentCounts: Sendable, Hashable {
    /// Pending, running or cancelling.
    public var active: Int
    public var scheduled: Int
    /// Slots recorded as skipped (missed while nothing scheduled, catchup off).
    public var skipped: Int

    public init(active: Int, scheduled: Int, skipped: Int) {
        self.active = active
        self.scheduled = scheduled
        self.skipped = skipped
    }
}

/// The slots of a deployment after a time.
public struct SlotSummary: Sendable, Hashable {
    public var ahead: Int
    public var earliest: Int64?

    public init(ahead: Int, earliest: Int64?) {
        self.ahead = ahead
        self.earliest = earliest
    }
}

/// One fire time of a batch: with the run to make for it, or without (record it skipped).
public struct SlotClaim: Sendable, Hashable {
    public var time: Int64
    public var run: NewFlowRun?
    /// The parameters given for the run (kept so that a new version can read them again).
    public var given: [String: JSONValue]

    public init(time: Int64, run: NewFlowRun?, given: [String: JSONValue] = [:]) {
        self.time = time
        self.run = run
        self.given = given
    }
}

/// Slots of one deployment written together (``DeploymentStore/claimSlots(_:)``).
public struct SlotBatch: Sendable, Hashable {
    public var deploymentID: Int64
    /// The cursor the batch was planned from; nil for a backfill (no cursor, pausing allowed).
    public var expectedCursor: Int64?
    /// The cursor after the batch; nil leaves it.
    public var newCursor: Int64?
    public var claims: [SlotClaim]
    public var now: Date

    public init(deploymentID: Int64, expectedCursor: Int64?, newCursor: Int64?, claims: [SlotClaim], now: Date) {
        self.deploymentID = deploymentID
        self.expectedCursor = expectedCursor
        self.newCursor = newCursor
        self.claims = claims
        self.now = now
    }
}

/// What a batch of slots did.
public struct SlotBatchResult: Sendable, Hashable {
    /// Runs created, in the batch's order.
    public var created: [String] = []
    /// Slots newly recorded as skipped.
    public var skipped = 0
    /// Claims whose slot had a run already.
    public var existing = 0
    /// Nothing was written: the deployment is gone, paused or scheduled by someone else meanwhile.
    public var stale = false

    public init(created: [String] = [], skipped: Int = 0, existing: Int = 0, stale: Bool = false) {
        self.created = created
        self.skipped = skipped
        self.existing = existing
        self.stale = stale
    }
}
