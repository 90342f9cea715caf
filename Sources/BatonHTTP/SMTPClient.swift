#if canImport(Glibc)
import Glibc
#endif

/// Sends mail through an SMTP server (RFC 5321): EHLO (HELO when EHLO is refused), STARTTLS or
/// implicit TLS as `SMTPServer.security` says, AUTH PLAIN (LOGIN when that is all the server
/// offers) when a username is given, then the envelope and the message.
///
///     try SMTPClient.send(MailMessage(from: "baton@example.com", to: ["ops@example.com"], subject: "Run failed", body: text),
///                         via: SMTPServer(host: "smtp.example.com", username: "baton", password: secret))
///
/// Blocking, one connection per message; safe from any thread. Either every recipient is accepted
/// and the message sent, or nothing is: a refused recipient ends the conversation before DATA.
/// Over TLS the server's certificate is verified for `host` as `HTTPClient` does.
public enum SMTPClient {
    /// Sends `message` through `server`, returning once the server accepted it.
    ///
    /// Throws `SMTPError`: before connecting for a message or settings that cannot be used
    /// (header injection, a malformed address, credentials that would go unencrypted to a remote
    /// host); else naming the server and what failed.
    public static func send(_ message: MailMessage, via server: SMTPServer) throws(SMTPError) {
        let name = server.address
        if let problem = server.problem ?? message.problem { throw SMTPError(.invalidInput, server: name, problem) }
        var tls: TLSContext?
        if server.security != .plain {
            do {
                tls = try TLSContext.client(caFile: server.caFile)
            } catch {
                throw SMTPError(.invalidInput, server: name, "cannot verify \(name)'s certificate: \(error)", cause: error as? SocketError)
            }
        }
        let data = dotStuffed(message.encoded(at: time(nil), messageID: message.newMessageID()))
        let deadline = ContinuousClock.now + server.timeout
        let connection: LineConnection
        do throws(SocketError) {
            connection = try LineConnection.connect(host: server.host, port: server.port, deadline: deadline)
        } catch {
            let reason = error.code == ETIMEDOUT ? "no connection within \(server.timeout.shortDescription)" : error.reason
            throw SMTPError(.unreachable, server: name, "cannot reach \(name): \(reason)", cause: error)
        }
        let conversation = SMTPConversation(server: server, connection: connection, tls: tls)
        defer { connection.close() }
        do throws(SMTPError) {
            try conversation.deliver(message, data: data)
        } catch {
            conversation.quitQuietly()
            throw error
        }
        conversation.quitQuietly()
    }

    /// `data` with a "." before every line that starts with one, and the final ".", as DATA takes it.
    static func dotStuffed(_ data: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(data.count + data.count / 64 + 8)
        var lineStart = true
        for byte in data {
            if lineStart && byte == UInt8(ascii: ".") { output.append(byte) }
            output.append(byte)
            lineStart = byte == 10
        }
        if !lineStart { output += [13, 10] }
        return output + Array(".\r\n".utf8)
    }
}

/// One SMTP session, command by command, turning every failure into an `SMTPError` that names the
/// server and the command.
final class SMTPConversation {
    /// Reply lines longer than this are refused (RFC 5321 allows 512).
    private static let maxReplyLine = 4096
    private static let maxReplyLines = 200

    private let server: SMTPServer
    private let connection: LineConnection
    private let tls: TLSContext?
    private let name: String
    /// False once the connection failed, so no QUIT is attempted on it.
    private var usable = true

    init(server: SMTPServer, connection: LineConnection, tls: TLSContext?) {
        self.server = server
        self.connection = connection
        self.tls = tls
        name = server.address
    }

    func deliver(_ message: MailMessage, data: [UInt8]) throws(SMTPError) {
        if server.security == .tls { try startTLS() }
        let greeting = try reply(to: nil)
        guard greeting.code == 220 else { throw refusal("the connection", greeting) }
        var extensions = try hello()
        if server.security == .startTLS {
            guard extensions.keys.contains("STARTTLS") else {
                throw SMTPError(.tls, server: name, "\(name) does not offer STARTTLS, which security .startTLS requires: nothing was sent")
            }
            let ready = try command("STARTTLS")
            guard ready.code == 220 else { throw refusal("STARTTLS", ready, kind: .tls) }
            try startTLS()
            extensions = try hello()
        }
        if let user = server.username, let password = server.password {
            try authenticate(user: user, password: password, offered: extensions)
        }
        try expect(250, to: "MAIL FROM:<\(message.from)>")
        for recipient in message.to {
            let answer = try command("RCPT TO:<\(recipient)>")
            guard answer.code == 250 || answer.code == 251 else {
                throw refusal("RCPT TO:<\(recipient)>", answer, recipient: recipient)
            }
        }
        try expect(354, to: "DATA")
        try send(data, shown: "the message")
        let accepted = try reply(to: "the message")
        guard accepted.code == 250 else { throw refusal("the message", accepted) }
    }

    /// Says QUIT and waits for the answer, ignoring failures: the message's fate is already known.
    func quitQuietly() {
        guard usable else { return }
        _ = try? command("QUIT")
    }

    // MARK: Steps

    /// EHLO, or HELO when EHLO is refused: the extensions offered (keyword → parameters), none
    /// after HELO.
    private func hello() throws(SMTPError) -> [String: [String]] {
        let answer = try command("EHLO \(server.heloName)")
        guard answer.code == 250 else {
            guard (500...504).contains(answer.code) else { throw refusal("EHLO", answer) }
            try expect(250, to: "HELO \(server.heloName)")
            return [:]
        }
        var extensions: [String: [String]] = [:]
        for line in answer.lines.dropFirst() {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "=" }).map(String.init)
            guard let keyword = words.first?.uppercased() else { continue }
            extensions[keyword, default: []] += words.dropFirst().map { $0.uppercased() }
        }
        return extensions
    }

    private func startTLS() throws(SMTPError) {
        guard let tls else { return }
        do throws(SocketError) {
            try connection.startTLS(tls, host: server.host)
        } catch {
            usable = false
            throw SMTPError(.tls, server: name, "\(name): cannot start TLS: \(error.reason)", cause: error)
        }
    }

    private func authenticate(user: String, password: String, offered extensions: [String: [String]]) throws(SMTPError) {
        guard let mechanisms = extensions["AUTH"] else {
            throw SMTPError(.authentication, server: name, "\(name) does not offer AUTH, but user '\(user)' is configured: nothing was sent")
        }
        let subject = "the credentials of user '\(user)'"
        if mechanisms.contains("PLAIN") {
            let answer = try command("AUTH PLAIN " + MailEncoding.base64([0] + Array(user.utf8) + [0] + Array(password.utf8)), shown: "AUTH PLAIN")
            guard answer.code == 235 else { throw refusal("\(subject) (AUTH PLAIN)", answer, kind: .authentication) }
        } else if mechanisms.contains("LOGIN") {
            let steps = [("AUTH LOGIN", "AUTH LOGIN"), (MailEncoding.base64(Array(user.utf8)), "the username (AUTH LOGIN)"), (MailEncoding.base64(Array(password.utf8)), "the password (AUTH LOGIN)")]
            for (index, (line, shown)) in steps.enumerated() {
                let answer = try command(line, shown: shown)
                let expected = index == steps.count - 1 ? 235 : 334
                guard answer.code == expected else { throw refusal("\(subject) (AUTH LOGIN)", answer, kind: .authentication) }
            }
        } else {
            throw SMTPError(
                .authentication, server: name,
                "\(name) offers AUTH \(mechanisms.joined(separator: " ")), none of which Baton speaks: expected PLAIN or LOGIN")
        }
    }

    // MARK: Commands and replies

    @discardableResult
    private func expect(_ codes: Int..., to line: String) throws(SMTPError) -> SMTPReply {
        let answer = try command(line)
        guard codes.contains(answer.code) else { throw refusal(line, answer) }
        return answer
    }

    /// Sends `line` and reads the reply; `shown` names the command in errors when `line` holds a
    /// secret.
    private func command(_ line: String, shown: String? = nil) throws(SMTPError) -> SMTPReply {
        try send(Array((line + "\r\n").utf8), shown: shown ?? line)
        return try reply(to: shown ?? line)
    }

    private func send(_ bytes: [UInt8], shown: String) throws(SMTPError) {
        do throws(SocketError) {
            try connection.write(bytes)
        } catch {
            usable = false
            throw SMTPError(.connection, server: name, "\(name): cannot send \(shown): \(error.reason)", cause: error)
        }
    }

    /// The next reply, all its lines: to the command `what`, or the greeting when nil.
    private func reply(to what: String?) throws(SMTPError) -> SMTPReply {
        let awaited = what.map { "reply to \($0)" } ?? "greeting"
        var lines: [String] = []
        var code = 0
        while true {
            let line: String?
            do throws(SocketError) {
                line = try connection.readLine(maxLength: Self.maxReplyLine)
            } catch {
                usable = false
                let message =
                    error.code == ETIMEDOUT
                    ? "\(name) sent no \(awaited) within \(server.timeout.shortDescription)"
                    : "\(name): the connection failed awaiting a \(awaited): \(error.reason)"
                throw SMTPError(.connection, server: name, message, cause: error)
            }
            guard let line else {
                usable = false
                throw SMTPError(.connection, server: name, "\(name) closed the connection before sending a \(awaited)")
            }
            let bytes = Array(line.utf8)
            let digits = bytes.prefix(3)
            guard digits.count == 3, digits.allSatisfy({ (48...57).contains($0) }), bytes.count == 3 || bytes[3] == 32 || bytes[3] == 45,
                lines.isEmpty || Int(String(decoding: digits, as: UTF8.self)) == code, lines.count < Self.maxReplyLines
            else {
                usable = false
                throw SMTPError(.connection, server: name, "\(name) sent a \(awaited) that is not SMTP: '\(SMTPReply.printable(line, limit: 80))'")
            }
            code = Int(String(decoding: digits, as: UTF8.self))!
            lines.append(String(line.dropFirst(4)))
            if bytes.count == 3 || bytes[3] == 32 { return SMTPReply(code: code, lines: lines) }
        }
    }

    private func refusal(_ what: String, _ reply: SMTPReply, kind: SMTPError.Kind = .refused, recipient: String? = nil) -> SMTPError {
        SMTPError(kind, server: name, "\(name) refused \(what): \(reply.summary)", replyCode: reply.code, recipient: recipient)
    }
}

/// A server's reply: its code and the text of each line.
struct SMTPReply {
    let code: Int
    let lines: [String]

    /// "550 5.1.1 no such user", lines joined by spaces, for one-line errors.
    var summary: String { Self.printable("\(code) " + lines.joined(separator: " "), limit: 300) }

    /// `text` without control characters, cut at `limit` characters.
    static func printable(_ text: String, limit: Int) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.filter { $0.properties.generalCategory != .control })
        let clean = String(scalars)
        return clean.count > limit ? String(clean.prefix(limit)) + "…" : clean
    }
}
