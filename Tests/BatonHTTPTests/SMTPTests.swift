import BatonHTTP
import BatonTestSupport
import Foundation
import Testing

/// The SMTP client against the loopback sink: what arrives, STARTTLS and AUTH, and the one-line
/// errors of every way sending can fail.
@Suite(.timeLimit(.minutes(5))) struct SMTPTests {
    private static let message = MailMessage(from: "baton@example.com", to: ["ops@example.com"], subject: "Run failed", body: "It failed.\n")

    private static func server(_ sink: SMTPSink, _ security: SMTPServer.Security = .plain, user: String? = nil, password: String? = nil, caFile: String? = nil) -> SMTPServer {
        SMTPServer(host: "127.0.0.1", port: sink.port, security: security, username: user, password: password, caFile: caFile, timeout: .seconds(30), heloName: "baton.test")
    }

    /// Runs `body` with a started sink, stopped afterwards.
    private func withSink(_ options: SMTPSink.Options = SMTPSink.Options(), _ body: (SMTPSink) throws -> Void) throws {
        let sink = try SMTPSink(options)
        defer { sink.stop() }
        try body(sink)
    }

    /// The error `body` throws, failing the test when it throws none or another kind.
    private func smtpError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> SMTPError? {
        do {
            try body()
            Issue.record("expected an SMTPError", sourceLocation: sourceLocation)
            return nil
        } catch let error as SMTPError {
            #expect(!error.description.contains("\n"), "not one line: \(error)", sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("expected an SMTPError, got \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    @Test func aPlainMessageArrivesWithItsHeadersAndItsBodyIntact() throws {
        let longLine = String(repeating: "0123456789 ", count: 30) + "end"
        let body = "Hello,\n.a line that starts with a dot\n..and two\r\nnon-ASCII: héllo wörld ✓ = equals\rFrom the start\n\(longLine)\ntrailing space \n\nlast"
        let subject = "Run ✓ failed — café"
        try withSink { sink in
            try SMTPClient.send(MailMessage(from: "baton@example.com", to: ["ops@example.com"], subject: subject, body: body), via: Self.server(sink))
            let mail = try #require(sink.waitForMessages(1, timeout: 10).first)
            #expect(mail.from == "baton@example.com")
            #expect(mail.recipients == ["ops@example.com"])
            #expect(!mail.tls)
            #expect(mail.user == nil)
            #expect(mail.subject == subject)
            #expect(mail.header("Subject")?.hasPrefix("=?UTF-8?B?") == true)
            #expect(mail.header("From") == "baton@example.com")
            #expect(mail.header("To") == "ops@example.com")
            #expect(mail.header("MIME-Version") == "1.0")
            #expect(mail.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(mail.header("Content-Transfer-Encoding") == "quoted-printable")
            #expect(mail.header("Message-ID")?.hasSuffix("@example.com>") == true)
            let date = try #require(mail.header("Date"))
            #expect(date.wholeMatch(of: #/(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d \+0000/#) != nil)
            // The body arrives as sent, every line end made CRLF, through 7-bit lines of at most 78.
            let crlf = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
            #expect(mail.body == crlf + "\r\n")
            #expect(mail.data.allSatisfy { $0 < 128 })
            #expect(mail.raw.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
            #expect(mail.raw.contains("\r\n.a line that starts with a dot\r\n"))
        }
    }

    @Test func everyRecipientIsInOneEnvelope() throws {
        let recipients = ["a@example.com", "b@example.org", "c@example.net"]
        try withSink { sink in
            try SMTPClient.send(MailMessage(from: "baton@example.com", to: recipients, subject: "Hi", body: "all of you"), via: Self.server(sink))
            let mail = try #require(sink.waitForMessages(1, timeout: 10).first)
            #expect(mail.recipients == recipients)
            #expect(mail.header("To") == recipients.joined(separator: ", "))
            #expect(sink.messages.count == 1)
        }
    }

    @Test func startTLSThenAuthPlainSendsEncryptedAsTheUser() throws {
        let certificate = try TestCertificate()
        let identity = try TLSIdentity(certificateChainFile: certificate.certificate, privateKeyFile: certificate.key)
        let options = SMTPSink.Options(tls: identity, users: ["alice": "s3cret"], requireTLSForAuth: true, requireAuth: true)
        try withSink(options) { sink in
            try SMTPClient.send(Self.message, via: Self.server(sink, .startTLS, user: "alice", password: "s3cret", caFile: certificate.certificate))
            let mail = try #require(sink.waitForMessages(1, timeout: 10).first)
            #expect(mail.tls)
            #expect(mail.user == "alice")
            #expect(mail.body == "It failed.\r\n")
            let commands = sink.commands.map { $0.split(separator: " ").first.map(String.init) ?? "" }
            #expect(commands == ["EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"])
            #expect(sink.commands.contains("AUTH PLAIN ***"))
        }
    }

    @Test func implicitTLSSpeaksTLSFromTheFirstByte() throws {
        let certificate = try TestCertificate()
        let identity = try TLSIdentity(certificateChainFile: certificate.certificate, privateKeyFile: certificate.key)
        try withSink(SMTPSink.Options(tls: identity, tlsFromStart: true, users: ["alice": "s3cret"])) { sink in
            try SMTPClient.send(Self.message, via: Self.server(sink, .tls, user: "alice", password: "s3cret", caFile: certificate.certificate))
            let mail = try #require(sink.waitForMessages(1, timeout: 10).first)
            #expect(mail.tls)
            #expect(mail.user == "alice")
        }
    }

    @Test func authLoginIsUsedWhenItIsAllTheServerOffersAndLoopbackMayGoUnencrypted() throws {
        try withSink(SMTPSink.Options(users: ["bob": "pässword"], mechanisms: ["LOGIN"], requireAuth: true)) { sink in
            try SMTPClient.send(Self.message, via: Self.server(sink, user: "bob", password: "pässword"))
            let mail = try #require(sink.waitForMessages(1, timeout: 10).first)
            #expect(mail.user == "bob")
            #expect(!mail.tls)
            #expect(sink.commands.contains("AUTH LOGIN ***"))
        }
    }

    @Test func aServerThatRefusesEHLOIsGreetedWithHELO() throws {
        try withSink(SMTPSink.Options(refuseEHLO: true)) { sink in
            try SMTPClient.send(Self.message, via: Self.server(sink))
            #expect(sink.waitForMessages(1, timeout: 10).count == 1)
            #expect(sink.commands.prefix(2) == ["EHLO baton.test", "HELO baton.test"])
        }
    }

    @Test func startTLSAskedButNotOfferedFailsBeforeCredentialsOrMailAreSent() throws {
        try withSink(SMTPSink.Options(users: ["alice": "s3cret"])) { sink in
            let error = smtpError { try SMTPClient.send(Self.message, via: Self.server(sink, .startTLS, user: "alice", password: "s3cret")) }
            #expect(error?.kind == .tls)
            #expect(error?.description == "127.0.0.1:\(sink.port) does not offer STARTTLS, which security .startTLS requires: nothing was sent")
            #expect(sink.messages.isEmpty)
            #expect(sink.commands == ["EHLO baton.test", "QUIT"])
        }
    }

    @Test func aCertificateNotSignedByATrustedCAIsRefusedBeforeCredentialsAreSent() throws {
        let certificate = try TestCertificate()
        let identity = try TLSIdentity(certificateChainFile: certificate.certificate, privateKeyFile: certificate.key)
        try withSink(SMTPSink.Options(tls: identity, users: ["alice": "s3cret"])) { sink in
            let error = smtpError { try SMTPClient.send(Self.message, via: Self.server(sink, .startTLS, user: "alice", password: "s3cret")) }
            #expect(error?.kind == .tls)
            #expect(error?.description.contains("not trusted") == true, "\(String(describing: error))")
            #expect(!sink.commands.contains { $0.hasPrefix("AUTH") || $0.hasPrefix("MAIL") })
            #expect(sink.messages.isEmpty)
        }
    }

    @Test func aWrongPasswordIsRefusedWith535AndTheErrorNeverShowsIt() throws {
        let password = "Wr0ng-Pa55word"
        try withSink(SMTPSink.Options(users: ["alice": "s3cret"])) { sink in
            let error = try #require(smtpError { try SMTPClient.send(Self.message, via: Self.server(sink, user: "alice", password: password)) })
            #expect(error.kind == .authentication)
            #expect(error.replyCode == 535)
            #expect(error.description.contains("refused the credentials of user 'alice' (AUTH PLAIN): 535"), "\(error)")
            #expect(!error.description.contains(password))
            #expect(!"\(error)".contains(password) && !String(reflecting: error).contains(password))
            #expect(!error.isTransient)
            #expect(sink.messages.isEmpty)
        }
    }

    @Test func aRefusedRecipientIsNamedAndNothingIsSent() throws {
        try withSink(SMTPSink.Options(rejectedRecipients: ["ghost@example.com"])) { sink in
            let message = MailMessage(from: "baton@example.com", to: ["ops@example.com", "ghost@example.com"], subject: "Hi", body: "x")
            let error = try #require(smtpError { try SMTPClient.send(message, via: Self.server(sink)) })
            #expect(error.kind == .refused)
            #expect(error.recipient == "ghost@example.com")
            #expect(error.replyCode == 550)
            #expect(error.description == "127.0.0.1:\(sink.port) refused RCPT TO:<ghost@example.com>: 550 5.1.1 <ghost@example.com>: no such user")
            #expect(sink.messages.isEmpty)
            #expect(!sink.commands.contains("DATA"))
        }
    }

    @Test func nothingListeningIsOneLineNamingHostAndPort() throws {
        let port = try FreePort.find()
        let server = SMTPServer(host: "127.0.0.1", port: port, security: .plain, timeout: .seconds(30))
        let error = try #require(smtpError { try SMTPClient.send(Self.message, via: server) })
        #expect(error.kind == .unreachable)
        #expect(error.isTransient)
        #expect(error.description.hasPrefix("cannot reach 127.0.0.1:\(port): "), "\(error)")
    }

    @Test func aServerThatNeverGreetsFailsAtTheDeadline() throws {
        // Connections wait in the listener's backlog, never accepted, never greeted.
        let listener = try LineListener()
        defer { listener.close() }
        let server = SMTPServer(host: "127.0.0.1", port: listener.port, security: .plain, timeout: .milliseconds(200))
        let error = try #require(smtpError { try SMTPClient.send(Self.message, via: server) })
        #expect(error.kind == .connection)
        #expect(error.isTransient)
        #expect(error.description == "127.0.0.1:\(listener.port) sent no greeting within 200 ms")
    }

    @Test(arguments: [
        MailMessage(from: "baton@example.com", to: ["ops@example.com"], subject: "Hi\r\nBcc: victim@example.com", body: "x"),
        MailMessage(from: "baton@example.com", to: ["ops@example.com"], subject: "Hi\nthere", body: "x"),
        MailMessage(from: "baton@example.com", to: ["ops@example.com\r\nRCPT TO:<victim@example.com>"], subject: "Hi", body: "x"),
        MailMessage(from: "baton@example.com\r\n", to: ["ops@example.com"], subject: "Hi", body: "x"),
        MailMessage(from: "baton@example.com", to: ["Ops <ops@example.com>"], subject: "Hi", body: "x"),
        MailMessage(from: "baton@example.com", to: ["ops at example.com"], subject: "Hi", body: "x"),
        MailMessage(from: "baton@example.com", to: ["ops@"], subject: "Hi", body: "x"),
        MailMessage(from: "baton@example.com", to: [], subject: "Hi", body: "x"),
    ])
    func headerInjectionAndMalformedAddressesAreRefusedBeforeConnecting(_ message: MailMessage) throws {
        // Nothing listens there: an error about the message shows no connection was tried.
        let server = SMTPServer(host: "127.0.0.1", port: try FreePort.find(), security: .plain, timeout: .seconds(30))
        let error = try #require(smtpError { try SMTPClient.send(message, via: server) })
        #expect(error.kind == .invalidInput, "\(error)")
        #expect(error.description.contains("expected"), "\(error)")
    }

    @Test func credentialsAreNeverSentUnencryptedToAHostThatIsNotLoopback() throws {
        let server = SMTPServer(host: "smtp.example.invalid", port: 25, security: .plain, username: "alice", password: "s3cret")
        let error = try #require(smtpError { try SMTPClient.send(Self.message, via: server) })
        #expect(error.kind == .invalidInput)
        #expect(error.description.contains("refusing to send the password of SMTP user 'alice' to smtp.example.invalid:25 unencrypted"), "\(error)")
        #expect(!error.description.contains("s3cret"))
        #expect(!"\(server)".contains("s3cret"))
    }
}
