import BatonCore
import Foundation

/// Channels, automations, their firings and deliveries, and inbound webhooks. The store keeps them
/// and answers the evaluator's questions; what fires and what is sent is decided above it.
public protocol AutomationStore: Sendable {
    // MARK: Channels
    /// Records a channel; nil when the project has one of that name.
    func insertChannel(project: String, name: String, config: ChannelConfig, createdBy: String?, at: Date) throws -> ChannelRecord?
    func channels(project: String) throws -> [ChannelRecord]
    func channel(named name: String, project: String) throws -> ChannelRecord?
    func deleteChannel(named name: String, project: String) throws -> Bool

    // MARK: Automations
    /// Records an automation (its id and project ignored); nil when the project has one of that name.
    func insertAutomation(_ automation: AutomationRecord) throws -> AutomationRecord?
    /// The automations of a project, or of every project (nil), by name.
    func automations(project: String?) throws -> [AutomationRecord]
    func automation(named name: String, project: String) throws -> AutomationRecord?
    /// Pauses or resumes; resuming arms it from `at` (what happened while paused never fires it).
    func setAutomationPaused(id: Int64, paused: Bool, at: Date) throws -> AutomationRecord?
    func deleteAutomation(id: Int64) throws -> Bool

    // MARK: Evaluation
    /// How far the evaluation of flow run states has got (a `states` row id); nil before the first pass.
    func automationCursor() throws -> Int64?
    /// The newest flow run state's id (0 when there is none), of those recorded before `before` when given.
    func latestStateID(before: Date?) throws -> Int64
    /// Flow run states recorded after `cursor`, oldest first, with what their runs are.
    func stateEvents(after cursor: Int64, limit: Int) throws -> [RunStateEvent]
    /// Records `firings` (each once per automation and event key: one recorded before is skipped),
    /// their deliveries, the automations' memories, and the cursor, in one transaction. Returns the
    /// ids of the firings recorded now.
    func recordFirings(_ firings: [NewFiring], memories: [Int64: String?], cursor: Int64?) throws -> [Int64]
    /// Which of `keys` an automation has fired for already.
    func recordedKeys(automationID: Int64, among keys: [String]) throws -> Set<String>
    /// When a flow run of the project last entered one of `words` (state types or names, lower
    /// case), narrowed to a flow and a deployment.
    func lastStateTime(words: [String], flow: String?, deployment: String?, project: String) throws -> Date?
    /// The final states of a deployment's last `limit` finished top-level runs, newest first.
    func recentOutcomes(deployment: String, project: String, limit: Int) throws -> [StateType]
    /// Workers taken for gone since `since`.
    func goneWorkers(since: Date) throws -> [WorkerRecord]
    /// Records that the scheduler took a worker for gone.
    func markWorkerGone(workerID: String, at: Date) throws

    // MARK: Deliveries
    /// Claims up to `limit` deliveries due by `now` for `claimer` until `until` (a claimer that dies
    /// leaves them to be claimed again then), counting the attempt.
    func claimDeliveries(now: Date, until: Date, claimer: ProcessIdentity, limit: Int) throws -> [DueDelivery]
    /// Records how an attempt ended.
    func finishDelivery(id: Int64, _ outcome: DeliveryOutcome, at: Date) throws
    /// When the next pending delivery is due, if any.
    func nextDeliveryDue() throws -> Date?
    /// Makes the claims of processes no longer alive due at `now`.
    func releaseDeliveryClaims(now: Date, alive: (ProcessIdentity) -> Bool) throws -> Int
    /// An automation's firings, newest first, with their deliveries.
    func firings(automationID: Int64, limit: Int) throws -> [FiringRecord]

    // MARK: Inbound webhooks
    func insertWebhook(_ webhook: WebhookRecord) throws -> WebhookRecord?
    /// A webhook by name: names are unique on the store (the URL carries no project).
    func webhook(named name: String) throws -> WebhookRecord?
    func webhooks(project: String) throws -> [WebhookRecord]
    func deleteWebhook(named name: String, project: String) throws -> Bool
}

/// A flow run entering a state, as the evaluator reads it.
public struct RunStateEvent: Sendable, Hashable {
    public var id: Int64
    public var flowRunID: String
    public var state: RunState
    public var runName: String
    public var flow: String
    public var version: Int
    public var deployment: String?
    public var project: String
    public var parentFlowRunID: String?

    public init(
        id: Int64, flowRunID: String, state: RunState, runName: String, flow: String, version: Int, deployment: String?, project: String,
        parentFlowRunID: String?
    ) {
        self.id = id
        self.flowRunID = flowRunID
        self.state = state
        self.runName = runName
        self.flow = flow
        self.version = version
        self.deployment = deployment
        self.project = project
        self.parentFlowRunID = parentFlowRunID
    }
}
