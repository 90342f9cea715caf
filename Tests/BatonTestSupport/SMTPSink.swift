import BatonHTTP
import Foundation

/// A message an `SMTPSink` accepted: the envelope, the data as it arrived (dot-stuffing undone,
/// CRLF line ends, without the final "."), and how the session that sent it was protected.
public struct ReceivedMail: Sendable {
    /// The address of MAIL FROM.
    public var from: String
    /// The addresses of the accepted RCPT TOs, in order.
    public var recipients: [String]
    public var data: [UInt8]
    /// Whether the session had turned to TLS (STARTTLS) before the message.
    public var tls: Bool
    /// The user that authenticated in the session, if any.
    public var user: String?

    /// The data as text.
    public var raw: String { String(decoding: data, as: UTF8.self) }

    /// The header fields, unfolded, in order.
    public var headers: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        for line in raw.components(separatedBy: "\r\n") {
            if line.isEmpty { break }
            if line.first == " " || line.first == "\t", !fields.isEmpty {
                fields[fields.count - 1].value += line
            } else if let colon = line.firstIndex(of: ":") {
                fields.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
            }
        }
        return fields
    }

    /// The first value of the header `name` (any case), unfolded but not decoded.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The `Subject` with its RFC 2047 encoded words decoded.
    public var subject: String? { header("Subject").map(MailDecoding.encodedWords) }

    /// The body after the blank line, decoded as its `Content-Transfer-Encoding` says, with CRLF line ends.
    public var body: String {
        let text = raw
        guard let blank = text.range(of: "\r\n\r\n") else { return "" }
        let encoded = String(text[blank.upperBound...])
        switch header("Content-Transfer-Encoding")?.lowercased() {
        case "quoted-printable": return MailDecoding.quotedPrintable(encoded)
        case "base64":
            let data = Data(base64Encoded: encoded.filter { !$0.isWhitespace }) ?? Data()
            return String(decoding: data, as: UTF8.self)
        default: return encoded
        }
    }
}

/// A small SMTP server on 127.0.0.1 and a free port, for tests of mail sending: EHLO/HELO,
/// STARTTLS with a test certificate, AUTH PLAIN and LOGIN against configured users, the envelope
/// and DATA, RSET, NOOP, QUIT. Every accepted message is recorded. Call `stop()` when done: its
/// threads keep it alive until then.
///
///     let sink = try SMTPSink(SMTPSink.Options(tls: identity, users: ["alice": "secret"]))
///     defer { sink.stop() }
///     try SMTPClient.send(message, via: SMTPServer(host: "127.0.0.1", port: sink.port, ...))
///     let mail = sink.waitForMessages(1, timeout: 10)
///
/// `@unchecked Sendable`: the mutable state is only reached under `condition`.
public final class SMTPSink: @unchecked Sendable {
    /// What the sink offers and refuses.
    public struct Options: Sendable {
        /// Offers STARTTLS with this certificate when set.
        public var tls: TLSIdentity?
        /// Speaks TLS with `tls` from the first byte (port 465's implicit TLS) instead of offering STARTTLS.
        public var tlsFromStart: Bool
        /// User name → password; AUTH PLAIN and LOGIN are offered when not empty.
        public var users: [String: String]
        /// The AUTH mechanisms offered, in order.
        public var mechanisms: [String]
        /// Offers AUTH only once the session is encrypted, and answers an AUTH before that 530.
        public var requireTLSForAuth: Bool
        /// Answers MAIL FROM with 530 until a user authenticated.
        public var requireAuth: Bool
        /// Recipients answered 550 5.1.1.
        public var rejectedRecipients: Set<String>
        /// Answers EHLO 502, so clients fall back to HELO.
        public var refuseEHLO: Bool

        public init(
            tls: TLSIdentity? = nil, tlsFromStart: Bool = false, users: [String: String] = [:], mechanisms: [String] = ["PLAIN", "LOGIN"], requireTLSForAuth: Bool = false,
            requireAuth: Bool = false, rejectedRecipients: Set<String> = [], refuseEHLO: Bool = false
        ) {
            self.tls = tls
            self.tlsFromStart = tlsFromStart
            self.users = users
            self.mechanisms = mechanisms
            self.requireTLSForAuth = requireTLSForAuth
            self.requireAuth = requireAuth
            self.rejectedRecipients = rejectedRecipients
            self.refuseEHLO = refuseEHLO
        }
    }

    public let options: Options
    /// The port listened on, on 127.0.0.1.
    public var port: Int { listener.port }
    private let listener: LineListener
    private let condition = NSCondition()
    private var received: [ReceivedMail] = []
    private var log: [String] = []
    private var open: [ObjectIdentifier: LineConnection] = [:]
    private var threads = 0
    private var stopped = false

    /// Starts listening on a free loopback port.
    public init(_ options: Options = Options()) throws {
        self.options = options
        listener = try LineListener(host: "127.0.0.1", port: 0)
        threads = 1
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// The messages accepted so far.
    public var messages: [ReceivedMail] { condition.withLock { received } }

    /// Every command line received so far, from every session, in order; AUTH's arguments and
    /// answers to its challenges are replaced by "***".
    public var commands: [String] { condition.withLock { log } }

    /// Waits until `count` messages arrived or `timeout` seconds passed, and returns those there are.
    public func waitForMessages(_ count: Int, timeout: Double) -> [ReceivedMail] {
        let limit = Date(timeIntervalSinceNow: timeout)
        return condition.withLock {
            while received.count < count && condition.wait(until: limit) {}
            return received
        }
    }

    /// Stops listening, ends every session, and returns once their threads are done.
    public func stop() {
        condition.withLock {
            stopped = true
            // Under the lock: a session's thread closes its connection only after leaving `open`.
            for session in open.values { session.shutdown() }
        }
        listener.close()
        condition.withLock {
            while threads > 0 { condition.wait() }
        }
    }

    // MARK: Serving

    private func acceptLoop() {
        defer { threadEnded() }
        while let connection = try? listener.accept() {
            let admitted = condition.withLock {
                guard !stopped else { return false }
                open[ObjectIdentifier(connection)] = connection
                threads += 1
                return true
            }
            guard admitted else {
                connection.close()
                return
            }
            Thread { [self] in
                SMTPSinkSession(sink: self, connection: connection).run()
                condition.withLock { _ = open.removeValue(forKey: ObjectIdentifier(connection)) }
                connection.close()
                threadEnded()
            }.start()
        }
    }

    private func threadEnded() {
        condition.withLock {
            threads -= 1
            condition.broadcast()
        }
    }

    func record(_ mail: ReceivedMail) {
        condition.withLock {
            received.append(mail)
            condition.broadcast()
        }
    }

    func logCommand(_ line: String) {
        condition.withLock { log.append(line) }
    }
}

/// One client's session with an `SMTPSink`, on its own thread.
private final class SMTPSinkSession {
    private let sink: SMTPSink
    private let connection: LineConnection
    private var options: SMTPSink.Options { sink.options }
    private var greeted = false
    private var user: String?
    private var from: String?
    private var recipients: [String] = []

    init(sink: SMTPSink, connection: LineConnection) {
        self.sink = sink
        self.connection = connection
    }

    func run() {
        do {
            if options.tlsFromStart, let identity = options.tls { try connection.startTLS(serving: identity) }
            try reply("220 baton-test-sink ESMTP ready")
            while let line = try connection.readLine(maxLength: 1000) {
                let (verb, argument) = Self.split(line)
                sink.logCommand(verb == "AUTH" ? "AUTH \(argument.split(separator: " ").first ?? "") ***" : line)
                guard try handle(verb, argument) else { return }
            }
        } catch {
            // The client left or the sink stopped: the session just ends.
        }
    }

    /// Answers one command; false when the session is over.
    private func handle(_ verb: String, _ argument: String) throws -> Bool {
        switch verb {
        case "EHLO":
            guard !options.refuseEHLO else {
                try reply("502 5.5.1 EHLO not implemented here")
                return true
            }
            greeted = true
            resetEnvelope()
            var lines = ["baton-test-sink greets \(argument)", "8BITMIME"]
            if options.tls != nil && !connection.isTLS { lines.append("STARTTLS") }
            if !options.users.isEmpty && (connection.isTLS || !options.requireTLSForAuth) {
                lines.append("AUTH " + options.mechanisms.joined(separator: " "))
            }
            try reply(250, lines)
        case "HELO":
            greeted = true
            resetEnvelope()
            try reply("250 baton-test-sink")
        case "STARTTLS":
            guard let identity = options.tls, !connection.isTLS else {
                try reply("502 5.5.1 STARTTLS not available")
                return true
            }
            try reply("220 2.0.0 ready to start TLS")
            try connection.startTLS(serving: identity)
            // RFC 3207: the session starts over.
            greeted = false
            user = nil
            resetEnvelope()
        case "AUTH":
            try authenticate(argument)
        case "MAIL":
            guard greeted else { return try answer("503 5.5.1 EHLO first") }
            guard user != nil || !options.requireAuth else { return try answer("530 5.7.0 authentication required") }
            guard let address = Self.address(argument, after: "FROM:") else { return try answer("501 5.5.4 expected MAIL FROM:<address>") }
            from = address
            recipients = []
            try reply("250 2.1.0 ok")
        case "RCPT":
            guard from != nil else { return try answer("503 5.5.1 MAIL first") }
            guard let address = Self.address(argument, after: "TO:") else { return try answer("501 5.5.4 expected RCPT TO:<address>") }
            guard !options.rejectedRecipients.contains(address) else { return try answer("550 5.1.1 <\(address)>: no such user") }
            recipients.append(address)
            try reply("250 2.1.5 ok")
        case "DATA":
            guard let from, !recipients.isEmpty else { return try answer("503 5.5.1 RCPT first") }
            try reply("354 end with <CRLF>.<CRLF>")
            var data: [UInt8] = []
            while true {
                guard var line = try connection.readLineBytes(maxLength: 1000) else { return false }
                if line == [UInt8(ascii: ".")] { break }
                if line.first == UInt8(ascii: ".") { line.removeFirst() }
                data += line + [13, 10]
            }
            sink.record(ReceivedMail(from: from, recipients: recipients, data: data, tls: connection.isTLS, user: user))
            resetEnvelope()
            try reply("250 2.0.0 queued")
        case "RSET":
            resetEnvelope()
            try reply("250 2.0.0 ok")
        case "NOOP":
            try reply("250 2.0.0 ok")
        case "QUIT":
            try reply("221 2.0.0 bye")
            return false
        default:
            try reply("500 5.5.2 unknown command")
        }
        return true
    }

    private func authenticate(_ argument: String) throws {
        let words = argument.split(separator: " ").map(String.init)
        let mechanism = words.first?.uppercased() ?? ""
        guard !options.users.isEmpty, options.mechanisms.contains(mechanism) else { return try reply("504 5.5.4 mechanism not offered") }
        guard connection.isTLS || !options.requireTLSForAuth else { return try reply("530 5.7.0 must issue a STARTTLS command first") }
        guard user == nil else { return try reply("503 5.5.1 already authenticated") }
        let name: String
        let password: String
        if mechanism == "PLAIN" {
            guard let response = try words.count > 1 ? words[1] : challenge("") else { return }
            let parts = Self.decode(response).split(separator: 0, omittingEmptySubsequences: false)
            guard parts.count == 3 else { return try reply("501 5.5.2 malformed AUTH PLAIN response") }
            name = String(decoding: parts[1], as: UTF8.self)
            password = String(decoding: parts[2], as: UTF8.self)
        } else {
            guard let userResponse = try challenge("VXNlcm5hbWU6"), let passwordResponse = try challenge("UGFzc3dvcmQ6") else { return }
            name = String(decoding: Self.decode(userResponse), as: UTF8.self)
            password = String(decoding: Self.decode(passwordResponse), as: UTF8.self)
        }
        guard options.users[name] == password else { return try reply("535 5.7.8 authentication credentials invalid") }
        user = name
        try reply("235 2.7.0 authentication successful")
    }

    /// Sends a 334 challenge and returns the client's answer; nil when it cancelled ("*") or left.
    private func challenge(_ text: String) throws -> String? {
        try reply("334 \(text)")
        guard let answer = try connection.readLine(maxLength: 1000) else { return nil }
        sink.logCommand("***")
        guard answer != "*" else {
            try reply("501 5.0.0 authentication cancelled")
            return nil
        }
        return answer
    }

    private func resetEnvelope() {
        from = nil
        recipients = []
    }

    /// Replies `line` and goes on with the session.
    private func answer(_ line: String) throws -> Bool {
        try reply(line)
        return true
    }

    private func reply(_ line: String) throws {
        try connection.write(line + "\r\n")
    }

    private func reply(_ code: Int, _ lines: [String]) throws {
        let text = lines.enumerated().map { index, line in "\(code)\(index == lines.count - 1 ? " " : "-")\(line)\r\n" }.joined()
        try connection.write(text)
    }

    /// "MAIL FROM:<a@b> SIZE=10" → ("MAIL", "FROM:<a@b> SIZE=10").
    private static func split(_ line: String) -> (String, String) {
        guard let space = line.firstIndex(of: " ") else { return (line.uppercased(), "") }
        return (line[..<space].uppercased(), String(line[line.index(after: space)...]))
    }

    /// The address between the angle brackets after `prefix` ("FROM:", "TO:"), any case.
    private static func address(_ argument: String, after prefix: String) -> String? {
        guard argument.uppercased().hasPrefix(prefix) else { return nil }
        let rest = argument.dropFirst(prefix.count).drop { $0 == " " }
        guard rest.first == "<", let close = rest.firstIndex(of: ">") else { return nil }
        return String(rest[rest.index(after: rest.startIndex)..<close])
    }

    private static func decode(_ base64: String) -> [UInt8] {
        Data(base64Encoded: base64).map(Array.init) ?? []
    }
}

/// Decoding of what mail clients encode, for tests to read what they sent.
enum MailDecoding {
    /// Quoted-printable (RFC 2045): soft breaks removed, "=XX" decoded as UTF-8 bytes.
    static func quotedPrintable(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "=") {
                if index + 2 < bytes.count && bytes[index + 1] == 13 && bytes[index + 2] == 10 {
                    index += 3
                    continue
                }
                if index + 1 < bytes.count && bytes[index + 1] == 10 {
                    index += 2
                    continue
                }
                if index + 2 < bytes.count, let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                    output.append(value)
                    index += 3
                    continue
                }
            }
            output.append(bytes[index])
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// A header value with its RFC 2047 encoded words ("=?UTF-8?B?…?=", "=?UTF-8?Q?…?=") decoded;
    /// whitespace between adjacent encoded words dropped.
    static func encodedWords(_ value: String) -> String {
        var output = ""
        var rest = Substring(value)
        var lastWasEncoded = false
        while let start = rest.range(of: "=?") {
            let between = rest[..<start.lowerBound]
            let after = rest[start.upperBound...]
            let parts = after.split(separator: "?", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count == 4, parts[3].hasPrefix("="), let end = after.range(of: "?=", range: parts[2].endIndex..<after.endIndex) else {
                output += rest
                return output
            }
            if !(lastWasEncoded && between.allSatisfy(\.isWhitespace)) { output += between }
            let encoding = parts[1].uppercased()
            let payload = String(parts[2])
            if encoding == "B" {
                output += String(decoding: Data(base64Encoded: payload) ?? Data(), as: UTF8.self)
            } else {
                output += quotedPrintable(payload.replacingOccurrences(of: "_", with: " "))
            }
            lastWasEncoded = true
            rest = after[end.upperBound...]
        }
        output += rest
        return output
    }
}
