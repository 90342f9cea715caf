import BatonCore
import Foundation
import Testing

/// `baton server start --tls-cert --tls-key` serves HTTPS, and the remote command line speaks to it
/// trusting the CA in `--ca-file` or `BATON_CA_FILE`, and refuses it in one line without.
@Suite(.timeLimit(.minutes(20)))
struct ServerTLSTests {
    /// A self-signed certificate for 127.0.0.1 and localhost, and its key, in `sandbox`'s folder.
    func certificate(in sandbox: Sandbox) throws -> (certificate: String, key: String) {
        let (certificate, key) = (sandbox.directory + "/cert.pem", sandbox.directory + "/key.pem")
        let made = try runProgram(
            "/usr/bin/env",
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ])
        try #require(made.status == 0, "openssl: \(made.stderr)")
        return (certificate, key)
    }

    @Test func theRemoteCommandLineSpeaksHTTPSTrustingTheGivenCAAndIsRefusedWithoutIt() async throws {
        let store = try Sandbox()
        let client = try Sandbox()
        let files = try certificate(in: store)
        let server = try await ServerProcess.start(store, ["--tls-cert", files.certificate, "--tls-key", files.key], caFile: files.certificate)
        #expect(server.baseURL.hasPrefix("https://127.0.0.1:"))
        #expect(try server.get("/api/health").status == 200)

        // Registering uploads the library over TLS; running follows the run's live events over TLS.
        let trusting = server.remote.merging(["BATON_CA_FILE": files.certificate]) { $1 }
        let registered = try client.batonArguments(["register", try await Builds.shared.fixture("FixtureFlows")], environment: trusting)
        #expect(registered.status == 0, "\(registered.stderr)")
        let listed = try client.batonArguments(["flow", "ls"], environment: trusting)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("echo"))
        let flagged = try client.batonArguments(["--ca-file", files.certificate, "flow", "ls"], environment: server.remote)
        #expect(flagged.status == 0, "\(flagged.stderr)")
        #expect(flagged.stdout == listed.stdout)
        let run = try client.batonArguments(["run", "echo", "--param", "count=2"], environment: trusting)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("Result: {\"greeting\":\"hello world, hello world\""), "\(run.stdout)")

        let refused = try client.batonArguments(["flow", "ls"], environment: server.remote.merging(["BATON_CA_FILE": ""]) { $1 })
        #expect(refused.status != 0)
        #expect(
            refused.stderr == "error: \(server.baseURL): the server's certificate is not trusted (self-signed certificate): "
                + "give the CA that signed it with --ca-file FILE or BATON_CA_FILE\n")
        #expect(!FileManager.default.fileExists(atPath: client.home + "/baton.db"), "nothing fell back to the client's own store")
        #expect(server.stop() == 0, "\(server.output)")
    }

    @Test func certificateFilesThatCannotServeStopTheServerBeforeItStarts() throws {
        let sandbox = try Sandbox()
        let files = try certificate(in: sandbox)
        let other = try Sandbox()
        let stranger = try certificate(in: other)
        let mismatched = try sandbox.baton("server", "start", "--port", "0", "--tls-cert", files.certificate, "--tls-key", stranger.key)
        #expect(mismatched.status == 2)
        #expect(
            mismatched.stderr == "error: --tls-key \(stranger.key) is not the private key of the certificate in --tls-cert "
                + "\(files.certificate): expected the key the certificate was made with\n")
        let alone = try sandbox.baton("server", "start", "--port", "0", "--tls-cert", files.certificate)
        #expect(alone.status == 2)
        #expect(alone.stderr == "error: --tls-cert needs --tls-key: expected the PEM private key of the certificate too\n")

        let badCA = try sandbox.baton("flow", "ls", environment: ["BATON_API_URL": "https://127.0.0.1:1", "BATON_CA_FILE": files.key])
        #expect(badCA.status == 2)
        #expect(badCA.stderr == "error: BATON_CA_FILE \(files.key) is not a PEM file of CA certificates (-----BEGIN CERTIFICATE----- blocks)\n")
    }
}
