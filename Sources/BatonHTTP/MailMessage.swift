/// A plain-text email: what `SMTPClient.send` delivers.
///
///     let message = MailMessage(from: "baton@example.com", to: ["ops@example.com"], subject: "Flow run failed", body: text)
///
/// Addresses are bare ASCII (`name@example.com`, no display name or angle brackets); the subject is one
/// line and may hold any Unicode (sent as RFC 2047 encoded words); the body is any UTF-8 text, its
/// line ends (LF, CRLF or CR) sent as CRLF, quoted-printable so 8-bit text survives every relay.
public struct MailMessage: Sendable, Hashable, Codable {
    /// The sender's address: the envelope's MAIL FROM and the `From` header.
    public var from: String
    /// The recipients' addresses: one RCPT TO each, and the `To` header. At least one.
    public var to: [String]
    public var subject: String
    /// Plain text.
    public var body: String

    public init(from: String, to: [String], subject: String, body: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
    }

    /// Why this message cannot be sent as it is (header injection, a malformed address), or nil.
    var problem: String? {
        if let problem = Self.addressProblem(from, role: "sender") { return problem }
        if to.isEmpty { return "the mail '\(subject.prefix(60))' has no recipient: expected at least one address" }
        for recipient in to {
            if let problem = Self.addressProblem(recipient, role: "recipient") { return problem }
        }
        if subject.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
            return "the mail's subject contains a line break (CR or LF), which could inject headers: expected one line"
        }
        return nil
    }

    /// The domain of `from`, for the Message-ID.
    var senderDomain: Substring {
        from.lastIndex(of: "@").map { from[from.index(after: $0)...] } ?? "localhost"
    }

    /// Why `address` is not a bare `local@domain` address, or nil. Deliberately minimal: whatever
    /// could break the SMTP command or the header it goes into is refused, the rest is the server's
    /// to judge.
    private static func addressProblem(_ address: String, role: String) -> String? {
        let shown = address.unicodeScalars.map { $0.properties.generalCategory == .control ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
        let expected = "expected an address like name@example.com, without spaces, angle brackets or a display name"
        if address.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
            return "the mail's \(role) '\(shown)' contains a line break (CR or LF), which could inject headers: \(expected)"
        }
        let forbidden: Set<Unicode.Scalar> = ["<", ">", ",", ";", "\"", "(", ")", "\\"]
        let bad = address.unicodeScalars.contains { scalar in
            forbidden.contains(scalar) || !scalar.isASCII || scalar.value <= 0x20 || scalar.value == 0x7F
        }
        guard !bad, let at = address.lastIndex(of: "@"), at != address.startIndex, address.index(after: at) != address.endIndex else {
            return "the mail's \(role) '\(shown)' is not an email address: \(expected)"
        }
        return nil
    }
}
