import BatonCore
import BatonHTTP
import Foundation

/// What a notification says, written once for every channel: the flow, version, run, state, message,
/// and a link into the UI.
public struct NotificationMessage: Sendable, Hashable {
    public var automation: String
    public var event: AutomationEvent
    public var link: String?

    public init(automation: String, event: AutomationEvent, publicURL: String?) {
        self.automation = automation
        self.event = event
        let base = publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        link = base.map { base in
            if let run = event.flowRunID { return "\(base)/#/runs/\(run)" }
            return "\(base)/#/automations/\(automation)"
        }
    }

    /// "[Baton] etl v3: run 'calm-falcon' Failed".
    public var subject: String {
        if event.kind == .flowRunState, let flow = event.flow, let name = event.flowRunName {
            return "[Baton] \(flow)\(event.version.map { " v\($0)" } ?? ""): run '\(name)' \(event.stateName ?? event.state ?? "")"
        }
        return "[Baton] \(event.text)"
    }

    /// The plain text of a notification: what happened, then a line per fact.
    public var text: String {
        var lines = ["Automation '\(automation)' fired: \(event.text).", ""]
        func add(_ label: String, _ value: String?) { if let value, !value.isEmpty { lines.append("\(label): \(value)") } }
        add("Project", event.project)
        add("Flow", event.flow.map { flow in flow + (event.version.map { " (version \($0))" } ?? "") })
        add("Run", event.flowRunName.map { name in name + (event.flowRunID.map { " (\($0))" } ?? "") })
        add("Deployment", event.deployment)
        add("State", event.stateName ?? event.state)
        add("Message", event.message)
        add("Worker", event.worker.map { worker in worker + (event.host.map { " on \($0)" } ?? "") })
        add("Success rate", event.rate.map { "\(Int(($0 * 100).rounded()))% of the last \(event.runs ?? 0) runs" })
        add("At", Timestamps.iso(event.at))
        add("Link", link)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The JSON body of a webhook: the event's facts, the text, the link.
    public func json(delivery: Int64?) -> JSONValue {
        let event = (try? JSONValue(json: BatonCoding.encoder().encode(self.event))) ?? .null
        var body: [String: JSONValue] = [
            "automation": .string(automation), "project": .string(self.event.project), "subject": .string(subject), "text": .string(text),
            "event": event,
        ]
        if let link { body["link"] = .string(link) }
        if let delivery { body["delivery"] = .int(delivery) }
        return .object(body)
    }

    /// What Slack-compatible incoming webhooks take: `text` in their markup.
    public var slack: JSONValue {
        let title = link.map { "<\($0)|\(Self.escaped(subject))>" } ?? Self.escaped(subject)
        var lines = ["*\(title)*", Self.escaped(event.text)]
        if let message = event.message, !message.isEmpty { lines.append("> " + Self.escaped(message)) }
        return .object(["text": .string(lines.joined(separator: "\n"))])
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// Why a send failed, and whether trying again later may help (the receiver down, a 5xx, a timeout)
/// or not (a 4xx, a refused login, a missing secret).
public struct NotifyError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public var transient: Bool
}

/// Sends notifications: a JSON (or Slack) POST to a webhook, or email through SMTP. One attempt per
/// call; the dispatcher retries.
struct Notifier {
    let services: Services

    /// How long one webhook call or SMTP conversation may take.
    static let timeout: Double = 15

    /// Sends `message` through `channel`; returns what happened ("HTTP 200", "sent to 2 recipients").
    func send(_ message: NotificationMessage, through channel: ChannelRecord, delivery: Int64? = nil) throws -> String {
        let config = channel.config
        switch config.kind {
        case .webhook:
            let url = try config.url ?? secret(config.urlSecret ?? "", of: channel)
            let body = config.format == .slack ? message.slack : message.json(delivery: delivery)
            return try post(body, to: url, delivery: delivery, event: message.event)
        case .email:
            let password = try config.smtpPasswordSecret.map { try secret($0, of: channel) }
            let server = SMTPServer(
                host: config.smtpHost ?? "", port: config.smtpPort ?? 587, security: config.startTLS == true ? .startTLS : .plain,
                username: config.smtpUser, password: password, timeout: .seconds(Int64(Self.timeout)))
            let from = config.from ?? "baton@\(ProcessIdentity.localHost)"
            do {
                try SMTPClient.send(MailMessage(from: from, to: config.to ?? [], subject: message.subject, body: message.text), via: server)
            } catch {
                throw NotifyError(description: error.description, transient: error.isTransient)
            }
            return "sent to \(config.to?.count ?? 0) recipient\(config.to?.count == 1 ? "" : "s") via \(server.host):\(server.port)"
        }
    }

    /// POSTs `body` as JSON to `url`; 2xx is delivered, 408, 429 and 5xx may be retried.
    func post(_ body: JSONValue, to url: String, delivery: Int64?, event: AutomationEvent) throws -> String {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme, let host = parts.host else {
            throw NotifyError(description: "'\(ChannelConfig.redactedURL(url))' is not a URL", transient: false)
        }
        let base = "\(scheme)://\(host.contains(":") ? "[\(host)]" : host)" + (parts.port.map { ":\($0)" } ?? "")
        let target = (parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath) + (parts.percentEncodedQuery.map { "?" + $0 } ?? "")
        var headers = [("Content-Type", "application/json"), ("User-Agent", "Baton"), ("Baton-Event", event.key)]
        if let delivery { headers.append(("Baton-Delivery", String(delivery))) }
        do {
            let client = try HTTPClient(baseURL: base)
            client.timeout = Self.timeout
            let response = try client.request("POST", target, headers: headers, body: Array(body.jsonData))
            guard (200..<300).contains(response.status) else {
                let transient = response.status == 408 || response.status == 429 || response.status >= 500
                throw NotifyError(description: "\(ChannelConfig.redactedURL(url)) answered HTTP \(response.status)", transient: transient)
            }
            return "HTTP \(response.status)"
        } catch let error as NotifyError {
            throw error
        } catch {
            throw NotifyError(description: "\(ChannelConfig.redactedURL(url)): \(error)", transient: true)
        }
    }

    /// A secret a channel names, of the channel's project, opened with this host's key and audited.
    func secret(_ name: String, of channel: ChannelRecord) throws -> String {
        do {
            return try services.values.readSecret(name, project: channel.project, for: "channel \(channel.name)")
        } catch {
            throw NotifyError(description: "channel '\(channel.name)': \((error as? BatonError)?.message ?? "\(error)")", transient: false)
        }
    }
}
