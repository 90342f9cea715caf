import BatonCore
import BatonStore
import Foundation

extension Services {
    /// Secrets and variables: setting, listing and removing them, and reading them for runs.
    public var values: NamedValueService { NamedValueService(services: self) }
}

/// Everything `baton secret`, `baton variable` and their API routes do, and what a run's reads go
/// through. Developers and admins set and remove; everyone of the project lists (a secret's name,
/// who set it and when, never its value); only a run of the project reads a secret, and each read is
/// recorded in the audit log by name.
public struct NamedValueService: Sendable {
    let services: Services
    var store: any Store { services.store }

    /// Sets `name` to `value`: a secret sealed with this host's key (made on first use).
    public func set(_ kind: NamedValueKind, name: String, value: String, _ caller: Caller) throws -> NamedValueView {
        try services.audit.local("\(kind.rawValue) set", target: name, caller) {
            try services.authorize(caller, .develop)
            try kind.validate(name: name)
            try kind.validate(value: value, name: name)
            let stored = kind == .secret
                ? try SecretBox.load(home: services.home, create: true).seal(value, project: caller.project, name: name)
                : value
            let record = NamedValueRecord(
                kind: kind, project: caller.project, name: name, value: stored, setBy: caller.name, setAt: services.options.now())
            _ = try store.setNamedValue(record)
            return NamedValueView(record)
        }
    }

    /// The project's values of one kind, by name; a secret's without its value.
    public func list(_ kind: NamedValueKind, _ caller: Caller) throws -> [NamedValueView] {
        try services.authorize(caller, .read)
        return try store.namedValues(kind, project: caller.project).map(NamedValueView.init)
    }

    /// One variable, with its value; for a secret, its name and when it was set only.
    public func get(_ kind: NamedValueKind, name: String, _ caller: Caller) throws -> NamedValueView {
        try services.authorize(caller, .read)
        return NamedValueView(try record(kind, name: name, project: caller.project))
    }

    /// Removes `name`; `notFound` naming those there are when there is no such value.
    public func remove(_ kind: NamedValueKind, name: String, _ caller: Caller) throws {
        try services.audit.local("\(kind.rawValue) rm", target: name, caller) {
            try services.authorize(caller, .develop)
            if try !store.removeNamedValue(kind, name: name, project: caller.project) {
                _ = try record(kind, name: name, project: caller.project)  // throws notFound, naming those there are
            }
        }
    }

    /// The value a run reads: of the run's own project, a secret opened with this host's key. Needs
    /// `run` in that project (a worker's key); each secret read is one audit row, by name.
    public func read(_ kind: NamedValueKind, name: String, forRun flowRunID: String, _ caller: Caller) throws -> String {
        let run = try store.flowRun(flowRunID, project: nil)
        let caller = caller.inProject(run.project)
        try services.authorize(caller, .run)
        guard kind == .secret else { return try record(kind, name: name, project: run.project).value }
        return try readSecret(name, project: run.project, for: "run \(run.name)", caller)
    }

    /// A secret opened with this host's key for `purpose` ("run calm-falcon", "channel ops"),
    /// recorded in the audit log by name however it ends.
    func readSecret(_ name: String, project: String, for purpose: String, _ caller: Caller = .storeOwner()) throws -> String {
        do {
            let record = try record(.secret, name: name, project: project)
            let value = try SecretBox.load(home: services.home, create: false).open(record.value, project: project, name: name)
            audit(name, purpose, project, caller, result: "ok")
            return value
        } catch {
            let code = (error as? BatonError)?.code
            audit(name, purpose, project, caller, result: AuditEntry.result(status: code?.httpStatus ?? 500, code: code?.apiCode ?? "internal"))
            throw error
        }
    }

    /// What the supervisors of this host's runs read through: this process, as the store's owner.
    public func runReader(_ caller: Caller = .storeOwner()) -> any RunValueReader { LocalValueReader(service: self, caller: caller) }

    private func audit(_ name: String, _ purpose: String, _ project: String, _ caller: Caller, result: String) {
        services.audit.record("secret read", target: "\(name) (\(purpose))", project: project, by: caller, address: nil, result: result)
    }

    func record(_ kind: NamedValueKind, name: String, project: String) throws -> NamedValueRecord {
        if let record = try store.namedValue(kind, name: name, project: project) { return record }
        throw BatonError.unknown(
            kind.rawValue, name, project: project, has: try store.namedValues(kind, project: project).map(\.name), makes: "baton \(kind.rawValue) set NAME")
    }
}

/// Reads for the runs this host supervises, through the application layer.
struct LocalValueReader: RunValueReader {
    let service: NamedValueService
    let caller: Caller

    func readValue(_ kind: NamedValueKind, name: String, flowRunID: String) throws -> String {
        try service.read(kind, name: name, forRun: flowRunID, caller)
    }
}
