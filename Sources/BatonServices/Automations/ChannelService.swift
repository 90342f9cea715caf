import BatonCore
import BatonStore
import Foundation

extension Services {
    /// Notification channels: where automations send what happened.
    public var channels: ChannelService { ChannelService(services: self) }
}

/// Everything `baton channel` and `/api/channels` do. Developers create and delete channels; every
/// role of the project lists them and operators send a test message.
public struct ChannelService: Sendable {
    let services: Services
    var store: any Store { services.store }

    public func create(name: String, config: ChannelConfig, _ caller: Caller) throws -> ChannelView {
        try services.audit.local("channel create", target: name, caller) {
            try services.authorize(caller, .develop)
            try DeploymentNames.validate(name, what: "channel name")
            try config.validate()
            guard let record = try store.insertChannel(project: caller.project, name: name, config: config, createdBy: caller.name, at: services.options.now())
            else { throw BatonError(.conflict, "a channel named '\(name)' exists already in project '\(caller.project)'; choose another name") }
            return ChannelView(record)
        }
    }

    public func list(_ caller: Caller) throws -> [ChannelView] {
        try services.authorize(caller, .read)
        return try store.channels(project: caller.project).map(ChannelView.init)
    }

    public func get(_ name: String, _ caller: Caller) throws -> ChannelView {
        try services.authorize(caller, .read)
        return ChannelView(try record(name, project: caller.project))
    }

    public func delete(_ name: String, _ caller: Caller) throws {
        try services.audit.local("channel rm", target: name, caller) {
            try services.authorize(caller, .develop)
            let users = try store.automations(project: caller.project).filter { $0.actions.contains { $0.kind == .notify && $0.channel == name } }
            guard users.isEmpty else {
                throw BatonError(
                    .conflict, "channel '\(name)' is used by automation(s) \(users.map(\.name).joined(separator: ", ")): delete or change them first")
            }
            if try !store.deleteChannel(named: name, project: caller.project) { _ = try record(name, project: caller.project) }
        }
    }

    /// Sends a test message through the channel now, and says how it went (an error names why).
    public func test(_ name: String, _ caller: Caller) throws -> String {
        try services.audit.local("channel test", target: name, caller) {
            try services.authorize(caller, .run)
            let channel = try record(name, project: caller.project)
            let event = AutomationEvent(
                kind: .test, key: "test", at: services.options.now(), project: caller.project,
                text: "a test message for channel '\(name)', sent by \(caller.name ?? "someone")")
            let message = NotificationMessage(automation: "(test)", event: event, publicURL: services.options.publicURL)
            return try Notifier(services: services).send(message, through: channel)
        }
    }

    func record(_ name: String, project: String) throws -> ChannelRecord {
        if let channel = try store.channel(named: name, project: project) { return channel }
        throw BatonError.unknown(
            "channel", name, project: project, has: try store.channels(project: project).map(\.name), makes: "baton channel create NAME --webhook URL")
    }
}

/// A channel as listings show it: where it sends, never a secret.
public struct ChannelView: Codable, Sendable, Hashable {
    public var name: String
    public var kind: ChannelConfig.Kind
    /// Where it sends, with a URL's path cut (it may hold a token).
    public var target: String
    public var format: ChannelConfig.Format?
    public var to: [String]?
    public var from: String?
    public var smtp: String?
    public var startTLS: Bool?
    public var smtpUser: String?
    /// The secrets it reads when it sends, by name.
    public var secrets: [String]
    public var createdBy: String?
    public var createdAt: Date

    public init(_ record: ChannelRecord) {
        let config = record.config
        name = record.name
        kind = config.kind
        target = config.target
        format = config.kind == .webhook ? (config.format ?? .json) : nil
        to = config.to
        from = config.from
        smtp = config.smtpHost.map { "\($0):\(config.smtpPort ?? 0)" }
        startTLS = config.kind == .email ? (config.startTLS ?? false) : nil
        smtpUser = config.smtpUser
        secrets = [config.urlSecret, config.smtpPasswordSecret].compactMap { $0 }
        createdBy = record.createdBy
        createdAt = record.createdAt
    }
}
