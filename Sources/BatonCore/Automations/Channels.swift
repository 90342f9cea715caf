import Foundation

// Being told and reacting: notification channels, and automations (a trigger and its actions). Values
// and the rules of matching, firing and rendering; the store records, the application layer acts.

/// Where a notification goes: a webhook (JSON, or a body Slack-compatible incoming webhooks take) or
/// email through an SMTP server. Secrets are named, never held: a webhook URL with a token in it and
/// an SMTP password come from the project's secrets when the message is sent.
public struct ChannelConfig: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, CaseIterable { case webhook, email }
    public enum Format: String, Codable, Sendable, CaseIterable { case json, slack }

    public var kind: Kind
    /// webhook: the URL in clear, or the secret holding it.
    public var url: String?
    public var urlSecret: String?
    public var format: Format?
    /// email: recipients, sender, and the SMTP server.
    public var to: [String]?
    public var from: String?
    public var smtpHost: String?
    public var smtpPort: Int?
    public var startTLS: Bool?
    public var smtpUser: String?
    public var smtpPasswordSecret: String?

    public init(
        kind: Kind, url: String? = nil, urlSecret: String? = nil, format: Format? = nil, to: [String]? = nil, from: String? = nil,
        smtpHost: String? = nil, smtpPort: Int? = nil, startTLS: Bool? = nil, smtpUser: String? = nil, smtpPasswordSecret: String? = nil
    ) {
        self.kind = kind
        self.url = url
        self.urlSecret = urlSecret
        self.format = format
        self.to = to
        self.from = from
        self.smtpHost = smtpHost
        self.smtpPort = smtpPort
        self.startTLS = startTLS
        self.smtpUser = smtpUser
        self.smtpPasswordSecret = smtpPasswordSecret
    }

    /// Refuses a channel that could never deliver, naming the option.
    public func validate() throws {
        switch kind {
        case .webhook:
            guard (url == nil) != (urlSecret == nil) else {
                throw BatonError(.invalidInput, "a webhook channel needs --webhook URL or --webhook-secret NAME (one of them)", field: "url")
            }
            if let url { try Self.validateURL(url, option: "--webhook") }
            if let urlSecret { try NamedValueKind.secret.validate(name: urlSecret) }
        case .email:
            guard let to, !to.isEmpty else { throw BatonError(.invalidInput, "an email channel needs --email ADDRESS (one or more)", field: "to") }
            for address in to + [from ?? ""] { try Self.validateAddress(address) }
            guard let smtpHost, !smtpHost.isEmpty, !smtpHost.contains(where: { $0 == " " || $0 == "/" }) else {
                throw BatonError(.invalidInput, "an email channel needs --smtp HOST:PORT", field: "smtpHost")
            }
            guard let smtpPort, (1...65535).contains(smtpPort) else {
                throw BatonError(.invalidInput, "--smtp port '\(smtpPort.map(String.init) ?? "")' is not valid: expected 1 to 65535", field: "smtpPort")
            }
            if smtpPasswordSecret != nil, smtpUser == nil {
                throw BatonError(.invalidInput, "--smtp-password-secret needs --smtp-user too", field: "smtpUser")
            }
            if let smtpPasswordSecret { try NamedValueKind.secret.validate(name: smtpPasswordSecret) }
        }
    }

    /// An http(s) URL with a host and no whitespace.
    public static func validateURL(_ text: String, option: String) throws {
        let parts = URLComponents(string: text)
        guard let parts, ["http", "https"].contains(parts.scheme?.lowercased() ?? ""), !(parts.host ?? "").isEmpty,
            !text.contains(where: \.isWhitespace), text.count <= 2048
        else { throw BatonError(.invalidInput, "\(option) '\(text)' is not valid: expected an http:// or https:// URL", field: "url") }
    }

    /// `name@domain`, ASCII, without spaces, angle brackets or line breaks.
    public static func validateAddress(_ address: String) throws {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, address.allSatisfy({ $0.isASCII && !$0.isWhitespace && !"<>,;\"".contains($0) }),
            address.count <= 254
        else { throw BatonError(.invalidInput, "address '\(address)' is not valid: expected name@domain", field: "to") }
    }

    /// What a listing shows of where it sends: the URL (or the secret holding it), or the recipients.
    public var target: String {
        switch kind {
        case .webhook: (url.map { Self.redactedURL($0) } ?? "secret \(urlSecret ?? "")") + (format == .slack ? " (slack)" : "")
        case .email: (to ?? []).joined(separator: ", ") + " via \(smtpHost ?? ""):\(smtpPort ?? 0)" + (startTLS == true ? " (STARTTLS)" : "")
        }
    }

    /// A URL shown with its path and query cut, which may hold a token.
    public static func redactedURL(_ url: String) -> String {
        guard var parts = URLComponents(string: url) else { return url }
        let hidden = !(parts.path.isEmpty || parts.path == "/") || parts.query != nil
        parts.path = ""
        parts.query = nil
        parts.user = nil
        parts.password = nil
        return (parts.string ?? url) + (hidden ? "/…" : "")
    }
}

public struct ChannelRecord: Codable, Sendable, Hashable {
    public var id: Int64
    public var project: String
    public var name: String
    public var config: ChannelConfig
    public var createdBy: String?
    public var createdAt: Date

    public init(id: Int64, project: String, name: String, config: ChannelConfig, createdBy: String?, createdAt: Date) {
        self.id = id
        self.project = project
        self.name = name
        self.config = config
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}
