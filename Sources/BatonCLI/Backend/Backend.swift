import BatonCore
import BatonServices
import BatonStore
import Foundation

/// What commands need from Baton, so that each command is written once and runs against the store
/// on this machine (`LocalBackend`) or a Baton server (`RemoteBackend`, when `--api URL` or
/// `BATON_API_URL` is set).
///
/// Answers are the values the HTTP API sends (`RunView`, `VersionView`, …, and records where the API
/// sends those), and the local backend passes its answers through the same JSON coding, so that both
/// print the same bytes for the same data.
protocol Backend: AnyObject {
    // MARK: Flows and versions

    /// Registers a flow library, or builds a flow package and registers its libraries.
    func register(path: String, label: String?, source: String?, timeout: Double, progress: @escaping @Sendable (String) -> Void)
        throws -> [RegistrationReport]
    func flows() throws -> [FlowSummary]
    /// Every version of a flow, oldest first; refuses an unknown flow.
    func versions(of flow: String) throws -> [VersionView]
    /// One version, or the latest when `number` is nil.
    func version(of flow: String, number: Int?) throws -> VersionView
    func inspect(flow: String, number: Int?) throws -> FlowInspection

    // MARK: Runs

    func flowRuns(_ query: FlowRunQuery) throws -> [RunView]
    /// A run by id, id prefix or name.
    func flowRun(_ reference: String) throws -> RunView
    func details(of run: RunView) throws -> RunDetails
    /// A page of a run's log lines after the line `after`, at every level.
    func logs(flowRunID: String, after: Int64, limit: Int) throws -> [LogView]
    /// Makes the run a request asks for, ready to `carry`.
    func start(_ request: RunRequest) throws -> StartedRun
    /// Carries a run made by `start` to its end, printing what it does: here in a runner child, or on
    /// the server, followed live. Ctrl-C cancels it.
    func carry(_ run: RunView, printer: RunPrinter) throws -> RunView
    /// Prints what a run does from log line `after` on, until its state is final; Ctrl-C stops
    /// following and leaves the run alone.
    func follow(_ run: RunView, printer: RunPrinter, after: Int64) throws -> RunView
    /// Asks a run to stop and waits up to `timeout` seconds for it to be over; `waiting` is called
    /// once when it has to wait.
    func cancel(_ run: RunView, timeout: Double, waiting: () -> Void) throws -> RunView
    /// Crashes the runs whose supervisor died and schedules again those whose flow retries, returning
    /// a line saying what it did; a server does this itself, so remotely it does nothing.
    func sweepOrphans() throws -> String?

    // MARK: Deployments

    func createDeployment(_ deployment: NewDeployment) throws -> DeploymentView
    /// Deployments with their next fire time.
    func deployments(flow: String?) throws -> [DeploymentView]
    /// A deployment with its next five fire times.
    func deployment(named name: String) throws -> DeploymentView
    func setPaused(_ name: String, _ paused: Bool) throws -> DeploymentView
    func deleteDeployment(_ name: String) throws
    func runDeployment(_ name: String, overrides: [String: JSONValue]) throws -> RunView
    func backfill(_ name: String, from: Date, through: Date) throws -> (created: Int, existing: Int)

    // MARK: Workers, limits, artifacts

    func workers() throws -> [WorkerView]
    /// The audit log, newest first (server admins).
    func audit(_ query: AuditQuery) throws -> [AuditEntry]
    func limits() throws -> [ConcurrencyLimit]
    func setLimit(tag: String, slots: Int) throws
    /// False when the tag had no limit.
    func removeLimit(tag: String) throws -> Bool
    /// Forgets cached task results, of one task or all; returns how many.
    func clearCache(task: String?) throws -> Int
    /// Artifacts, newest first, of one run and one key when given.
    func artifacts(flowRunID: String?, key: String?, limit: Int) throws -> [ArtifactRecord]

    // MARK: Secrets and variables

    func setValue(_ kind: NamedValueKind, name: String, value: String) throws -> NamedValueView
    /// The project's values of one kind; a secret's without its value.
    func values(_ kind: NamedValueKind) throws -> [NamedValueView]
    func variable(_ name: String) throws -> NamedValueView
    func removeValue(_ kind: NamedValueKind, name: String) throws

    // MARK: Channels, automations, webhooks

    func createChannel(name: String, config: ChannelConfig) throws -> ChannelView
    func channels() throws -> [ChannelView]
    func deleteChannel(_ name: String) throws
    /// What a test message did: delivered and how, or the error.
    func testChannel(_ name: String) throws -> (delivered: Bool, text: String)
    func createAutomation(_ new: NewAutomation) throws -> AutomationView
    func automations() throws -> [AutomationView]
    func automation(_ name: String) throws -> AutomationView
    func setAutomationPaused(_ name: String, _ paused: Bool) throws -> AutomationView
    func deleteAutomation(_ name: String) throws
    func automationHistory(_ name: String, limit: Int) throws -> [FiringRecord]
    func createWebhook(name: String, deployment: String, mapping: [String: String]) throws -> (webhook: WebhookView, token: String)
    func webhooks() throws -> [WebhookView]
    func deleteWebhook(_ name: String) throws
}

extension Backend {
    /// Every log line of a run after line `after`, read page by page.
    func allLogs(flowRunID: String, after: Int64) throws -> [LogView] {
        var lines: [LogView] = []
        var after = after
        while true {
            let page = try logs(flowRunID: flowRunID, after: after, limit: 1000)
            lines += page
            guard page.count == 1000, let last = page.last else { return lines }
            after = last.id
        }
    }
}

/// What a command asks to run.
enum RunRequest {
    /// A new run of a version with the parameters given (typed by the command line, not resolved):
    /// the side that creates the run (the local store, or the server) resolves them, once.
    case new(flow: String, version: Int, given: [String: JSONValue])
    /// A run of `original`'s parameters again, on its own version (nil) or the one chosen (which
    /// resolves them, as for a new run).
    case rerun(original: RunView, version: VersionChoice?)
    /// The next attempt of a failed, crashed or cancelled run, reusing its completed task results.
    case resume(RunView)
}

/// A run made by `Backend.start` (and, for a resume, how many completed task results it may reuse,
/// when known here).
typealias StartedRun = BatonServices.StartedRun

/// What registering one library did.
struct RegistrationReport {
    /// The library's path as stored, or its file name as uploaded.
    var library: String
    var versions: [RegisteredVersion]
    var buildSeconds: Double?
    var totalSeconds: Double
}
