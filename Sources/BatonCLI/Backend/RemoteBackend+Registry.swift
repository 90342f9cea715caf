import BatonCore
import BatonSchedule
import BatonServices
import BatonStore
import Foundation

/// Flows, versions, registration by upload, deployments, workers, limits and artifacts, through the API.
extension RemoteBackend {
    func register(path: String, label: String?, source: String?, timeout: Double, progress: @escaping @Sendable (String) -> Void)
        throws -> [RegistrationReport]
    {
        let started = Date()
        let (absolute, isPackage) = try Registrar.target(path)
        var libraries = [absolute]
        var buildSeconds: Double?
        if isPackage {
            // Built and checked here, as a local registration would: the server receives the libraries' bytes.
            let built = try RegistrationService.buildPackage(at: absolute, timeout: timeout, progress: progress)
            libraries = built.libraries
            buildSeconds = built.buildSeconds
        }
        return try libraries.map { library in
            let name = (library as NSString).lastPathComponent
            let bytes: Data
            do {
                bytes = try Data(contentsOf: URL(fileURLWithPath: library))
            } catch {
                throw BatonError(.io, "'\(library)' cannot be read: \(error.localizedDescription)")
            }
            let target = APITarget.query(
                "/api/libraries", [("fileName", name.hasSuffix(".so") ? name : name + ".so"), ("label", label), ("source", source ?? absolute)])
            let registered = try decode(Listed<RegisteredVersion>.self, from: send("POST", target, bytes: Array(bytes)), target, listKey: "registered")
            return RegistrationReport(
                library: name, versions: registered.items, buildSeconds: buildSeconds, totalSeconds: Date().timeIntervalSince(started))
        }
    }

    func flows() throws -> [FlowSummary] { try list("/api/flows", key: "flows").items }

    func versions(of flow: String) throws -> [VersionView] {
        try list("/api/flows/\(APITarget.segment(flow))/versions", key: "versions").items.reversed()
    }

    func version(of flow: String, number: Int?) throws -> VersionView {
        try get("/api/flows/\(APITarget.segment(flow))/versions/\(number.map(String.init) ?? "latest")")
    }

    func inspect(flow: String, number: Int?) throws -> FlowInspection {
        struct Version: Decodable {
            var tasks: [TaskSummary]
            var manifest: FlowManifest?
            var libraryRecord: LibraryRecord?
        }
        let target = "/api/flows/\(APITarget.segment(flow))/versions/\(number.map(String.init) ?? "latest")"
        let body = try send("GET", target)
        let version = try decode(VersionView.self, from: body, target)
        let details = try decode(Version.self, from: body, target)
        let latest = number == nil ? version.version : try self.version(of: flow, number: nil).version
        return FlowInspection(
            version: version, latest: latest, tasks: details.libraryRecord?.manifest.tasks, taskSummaries: details.tasks,
            manifest: details.manifest, library: details.libraryRecord)
    }

    // MARK: Deployments

    func createDeployment(_ d: NewDeployment) throws -> DeploymentView {
        var body: [String: JSONValue] = [
            "flow": .string(d.flow), "name": .string(d.name), "parameters": .object(d.parameters), "pool": .string(d.pool),
            "catchup": .bool(d.catchup),
        ]
        if let version = d.version { body["version"] = .int(Int64(version)) }
        if let maxActive = d.maxActive { body["maxActive"] = .int(Int64(maxActive)) }
        if let directory = d.workingDirectory { body["workingDirectory"] = .string(directory) }
        if let schedule = d.schedule {
            if let cron = schedule.cron { body["cron"] = .string(cron) }
            if let rrule = schedule.rrule { body["rrule"] = .string(rrule) }
            if let seconds = schedule.intervalSeconds { body["interval"] = .int(Int64(seconds)) }
            if let anchor = schedule.anchor { body["anchor"] = .string(ScheduleTime.format(Int64(anchor.timeIntervalSince1970), in: .utc)) }
            if let zone = schedule.timeZone { body["timezone"] = .string(zone) }
        }
        return try decode(DeploymentView.self, from: send("POST", "/api/deployments", json: .object(body)), "/api/deployments")
    }

    func deployments(flow: String?) throws -> [DeploymentView] {
        // Lists show the next fire time only.
        try list(APITarget.query("/api/deployments", [("flow", flow)]), key: "deployments", as: DeploymentView.self).items.map {
            var view = $0
            view.next = Array(view.next.prefix(1))
            return view
        }
    }

    func deployment(named name: String) throws -> DeploymentView { try get("/api/deployments/\(APITarget.segment(name))") }

    func setPaused(_ name: String, _ paused: Bool) throws -> DeploymentView {
        let target = "/api/deployments/\(APITarget.segment(name))/\(paused ? "pause" : "resume")"
        return try decode(DeploymentView.self, from: send("POST", target), target)
    }

    func deleteDeployment(_ name: String) throws { try send("DELETE", "/api/deployments/\(APITarget.segment(name))") }

    func runDeployment(_ name: String, overrides: [String: JSONValue]) throws -> RunView {
        let target = "/api/deployments/\(APITarget.segment(name))/run"
        return try decode(RunView.self, from: send("POST", target, json: .object(["parameters": .object(overrides)])), target)
    }

    func backfill(_ name: String, from: Date, through: Date) throws -> (created: Int, existing: Int) {
        struct Backfilled: Decodable {
            var created: [String]
            var existing: Int
        }
        let target = "/api/deployments/\(APITarget.segment(name))/backfill"
        let body: JSONValue = .object(["from": .string(Timestamps.iso(from)), "to": .string(Timestamps.iso(through))])
        let result = try decode(Backfilled.self, from: send("POST", target, json: body), target)
        return (result.created.count, result.existing)
    }

    // MARK: Workers, limits, artifacts

    func workers() throws -> [WorkerView] { try list("/api/workers?all=true", key: "workers").items }

    func audit(_ query: AuditQuery) throws -> [AuditEntry] {
        let target = APITarget.query(
            "/api/audit",
            [("project", query.project), ("actor", query.actor), ("since", query.since.map(Timestamps.iso)), ("limit", String(query.limit))])
        return try list(target, key: "entries").items
    }

    func limits() throws -> [ConcurrencyLimit] { try list("/api/limits", key: "limits").items }

    func setLimit(tag: String, slots: Int) throws {
        try send("PUT", "/api/limits/\(APITarget.segment(tag))", json: .object(["slots": .int(Int64(slots))]))
    }

    func clearCache(task: String?) throws -> Int {
        let reply = try JSONValue(json: send("DELETE", APITarget.query("/api/cache", [("task", task)])))
        return Int(reply["cleared"]?.intValue ?? 0)
    }

    func removeLimit(tag: String) throws -> Bool {
        do {
            try send("DELETE", "/api/limits/\(APITarget.segment(tag))")
            return true
        } catch let error as BatonError where error.code == .notFound {
            return false
        }
    }

    func artifacts(flowRunID: String?, key: String?, limit: Int) throws -> [ArtifactRecord] {
        let views: [ArtifactView]
        if let flowRunID {
            views = try list("/api/flow-runs/\(APITarget.segment(flowRunID))/artifacts", key: "artifacts", as: ArtifactView.self).items
                .filter { key == nil || $0.key == key }
        } else {
            views = try list(APITarget.query("/api/artifacts", [("key", key), ("limit", String(min(limit, 1000)))]), key: "artifacts").items
        }
        return views.prefix(limit).map(ArtifactRecord.init)
    }
}

extension ArtifactRecord {
    /// The record an API artifact was made from: markdown as its text, tables and links as JSON.
    init(_ view: ArtifactView) {
        let data: String
        if case .string(let text) = view.data { data = text } else { data = view.data.jsonText }
        self.init(
            id: view.id, key: view.key, kind: view.kind, data: data, description: view.description, flowRunID: view.flowRunID,
            taskRunID: view.taskRunID, createdAt: view.createdAt)
    }
}

/// Secrets and variables, through the API.
extension RemoteBackend {
    func setValue(_ kind: NamedValueKind, name: String, value: String) throws -> NamedValueView {
        let target = "/api/\(kind.rawValue)s/\(APITarget.segment(name))"
        return try decode(NamedValueView.self, from: try send("PUT", target, json: .object(["value": .string(value)])), target)
    }

    func values(_ kind: NamedValueKind) throws -> [NamedValueView] { try list("/api/\(kind.rawValue)s", key: kind.rawValue + "s").items }

    func variable(_ name: String) throws -> NamedValueView { try get("/api/variables/\(APITarget.segment(name))") }

    func removeValue(_ kind: NamedValueKind, name: String) throws {
        try send("DELETE", "/api/\(kind.rawValue)s/\(APITarget.segment(name))")
    }
}

/// Channels, automations and webhooks, through the API.
extension RemoteBackend {
    func createChannel(name: String, config: ChannelConfig) throws -> ChannelView {
        var body = (try JSONValue(json: BatonCoding.encoder().encode(config))).objectValue ?? [:]
        body["name"] = .string(name)
        return try decode(ChannelView.self, from: try send("POST", "/api/channels", json: .object(body)), "/api/channels")
    }

    func channels() throws -> [ChannelView] { try list("/api/channels", key: "channels").items }

    func deleteChannel(_ name: String) throws { try send("DELETE", "/api/channels/\(APITarget.segment(name))") }

    func testChannel(_ name: String) throws -> (delivered: Bool, text: String) {
        let reply = try JSONValue(json: send("POST", "/api/channels/\(APITarget.segment(name))/test", json: .object([:])))
        let delivered = reply["delivered"]?.boolValue ?? false
        return (delivered, (delivered ? reply["outcome"] : reply["error"])?.stringValue ?? "")
    }

    func createAutomation(_ new: NewAutomation) throws -> AutomationView {
        let body: JSONValue = .object([
            "name": .string(new.name), "trigger": try JSONValue(json: BatonCoding.encoder().encode(new.trigger)),
            "actions": try JSONValue(json: BatonCoding.encoder().encode(new.actions)), "cooldown": .int(Int64(new.cooldown.rounded())),
        ])
        return try decode(AutomationView.self, from: try send("POST", "/api/automations", json: body), "/api/automations")
    }

    func automations() throws -> [AutomationView] { try list("/api/automations", key: "automations").items }

    func automation(_ name: String) throws -> AutomationView { try get("/api/automations/\(APITarget.segment(name))") }

    func setAutomationPaused(_ name: String, _ paused: Bool) throws -> AutomationView {
        let target = "/api/automations/\(APITarget.segment(name))/\(paused ? "pause" : "resume")"
        return try decode(AutomationView.self, from: try send("POST", target, json: .object([:])), target)
    }

    func deleteAutomation(_ name: String) throws { try send("DELETE", "/api/automations/\(APITarget.segment(name))") }

    func automationHistory(_ name: String, limit: Int) throws -> [FiringRecord] {
        try list("/api/automations/\(APITarget.segment(name))/history?limit=\(limit)", key: "firings").items
    }

    func createWebhook(name: String, deployment: String, mapping: [String: String]) throws -> (webhook: WebhookView, token: String) {
        struct Created: Decodable {
            var webhook: WebhookView
            var token: String
        }
        let body: JSONValue = .object([
            "name": .string(name), "deployment": .string(deployment), "mapping": .object(mapping.mapValues { .string($0) }),
        ])
        let created = try decode(Created.self, from: try send("POST", "/api/webhooks", json: body), "/api/webhooks")
        return (created.webhook, created.token)
    }

    func webhooks() throws -> [WebhookView] { try list("/api/webhooks", key: "webhooks").items }

    func deleteWebhook(_ name: String) throws { try send("DELETE", "/api/webhooks/\(APITarget.segment(name))") }
}
