import BatonCore
import BatonServices
import BatonStore
import Foundation

/// The store on this machine: what every command did before there was a server to speak to. Runs
/// execute in a runner child of this process.
final class LocalBackend: Backend {
    let home: BatonHome
    /// The application layer over the store, and who asks through it: this machine's user.
    let services: Services
    let caller: Caller

    init(services: Services, caller: Caller) {
        home = services.home
        self.services = services
        self.caller = caller
    }

    // MARK: Flows and versions

    func register(path: String, label: String?, source: String?, timeout: Double, progress: @escaping @Sendable (String) -> Void)
        throws -> [RegistrationReport]
    {
        try services.registration.register(path: path, label: label, source: source, timeout: timeout, progress: progress, caller)
            .map { RegistrationReport(library: $0.library, versions: $0.versions, buildSeconds: $0.buildSeconds, totalSeconds: $0.totalSeconds) }
    }

    func flows() throws -> [FlowSummary] { try services.flows.flows(caller).map(\.summary) }

    func versions(of flow: String) throws -> [VersionView] { try services.flows.versionViews(of: flow, caller) }

    func version(of flow: String, number: Int?) throws -> VersionView {
        try services.flows.versionView(of: flow, number.map(VersionChoice.number) ?? .latest, caller)
    }

    func inspect(flow: String, number: Int?) throws -> FlowInspection {
        try services.flows.inspect(flow: flow, number.map(VersionChoice.number) ?? .latest, caller)
    }

    // MARK: Workers, limits, artifacts

    func workers() throws -> [WorkerView] { try services.workers.list(caller) }

    func audit(_ query: AuditQuery) throws -> [AuditEntry] { try services.audit.list(query, caller) }

    func limits() throws -> [ConcurrencyLimit] { try services.system.limits(caller) }

    func setLimit(tag: String, slots: Int) throws { try services.system.setLimit(tag: tag, slots: slots, caller) }

    func removeLimit(tag: String) throws -> Bool { try services.system.removeLimit(tag: tag, caller) }

    func clearCache(task: String?) throws -> Int { try services.system.clearCache(task: task, caller) }

    func artifacts(flowRunID: String?, key: String?, limit: Int) throws -> [ArtifactRecord] {
        try services.system.artifacts(flowRunID: flowRunID, key: key, limit: limit, caller)
    }

    // MARK: Secrets and variables

    func setValue(_ kind: NamedValueKind, name: String, value: String) throws -> NamedValueView {
        try services.values.set(kind, name: name, value: value, caller)
    }

    func values(_ kind: NamedValueKind) throws -> [NamedValueView] { try services.values.list(kind, caller) }

    func variable(_ name: String) throws -> NamedValueView { try services.values.get(.variable, name: name, caller) }

    func removeValue(_ kind: NamedValueKind, name: String) throws { try services.values.remove(kind, name: name, caller) }

    // MARK: Channels, automations, webhooks

    func createChannel(name: String, config: ChannelConfig) throws -> ChannelView { try services.channels.create(name: name, config: config, caller) }

    func channels() throws -> [ChannelView] { try services.channels.list(caller) }

    func deleteChannel(_ name: String) throws { try services.channels.delete(name, caller) }

    func testChannel(_ name: String) throws -> (delivered: Bool, text: String) {
        do {
            return (true, try services.channels.test(name, caller))
        } catch let error as NotifyError {
            return (false, error.description)
        }
    }

    func createAutomation(_ new: NewAutomation) throws -> AutomationView { try services.automations.create(new, caller) }

    func automations() throws -> [AutomationView] { try services.automations.list(caller) }

    func automation(_ name: String) throws -> AutomationView { try services.automations.get(name, caller) }

    func setAutomationPaused(_ name: String, _ paused: Bool) throws -> AutomationView { try services.automations.setPaused(name, paused, caller) }

    func deleteAutomation(_ name: String) throws { try services.automations.delete(name, caller) }

    func automationHistory(_ name: String, limit: Int) throws -> [FiringRecord] { try services.automations.history(name, limit: limit, caller) }

    func createWebhook(name: String, deployment: String, mapping: [String: String]) throws -> (webhook: WebhookView, token: String) {
        try services.webhooks.create(name: name, deployment: deployment, mapping: mapping, caller)
    }

    func webhooks() throws -> [WebhookView] { try services.webhooks.list(caller) }

    func deleteWebhook(_ name: String) throws { try services.webhooks.delete(name, caller) }
}
