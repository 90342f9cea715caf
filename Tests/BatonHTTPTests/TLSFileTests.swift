import BatonHTTP
import Foundation
import Testing

/// Certificate, key and CA files that TLS cannot use are refused when they are loaded, in one line
/// that names the file and what was expected of it.
@Suite(.timeLimit(.minutes(20))) struct TLSFileTests {
    /// How a command line names the files.
    let flags: (TLSFileError.File) -> String = { file in
        switch file {
        case .certificateChain: "--tls-cert"
        case .privateKey: "--tls-key"
        case .certificateAuthorities: "--ca-file"
        }
    }

    @Test func aMissingCertificateFileIsNamedWithTheSystemsReason() throws {
        let certificate = try TestCertificate()
        let missing = certificate.folder + "/missing.pem"
        let error = #expect(throws: TLSFileError.self) { try TLSIdentity(certificateChainFile: missing, privateKeyFile: certificate.key) }
        #expect(error?.file == .certificateChain)
        #expect(error?.path == missing)
        #expect(error?.description == "TLS certificate chain \(missing) cannot be read (No such file or directory): expected a PEM certificate chain "
            + "(-----BEGIN CERTIFICATE----- blocks, the server's own certificate first)")
    }

    @Test func aCertificateFileThatIsNotPEMIsRefused() throws {
        let certificate = try TestCertificate()
        let text = try certificate.write("notes.txt", "not a certificate\n")
        for chain in [text, certificate.key] {
            let error = #expect(throws: TLSFileError.self) { try TLSIdentity(certificateChainFile: chain, privateKeyFile: certificate.key) }
            #expect(error?.message(naming: flags) == "--tls-cert \(chain) is not a PEM certificate chain "
                + "(-----BEGIN CERTIFICATE----- blocks, the server's own certificate first)")
        }
    }

    @Test func aKeyThatIsNotAPEMKeyOrHasAPassphraseIsRefusedWithoutAsking() throws {
        let certificate = try TestCertificate()
        let encrypted = certificate.folder + "/encrypted.pem"
        try certificate.openssl("pkey", "-in", certificate.key, "-aes256", "-passout", "pass:secret", "-out", encrypted)
        for key in [certificate.certificate, encrypted] {
            let error = #expect(throws: TLSFileError.self) { try TLSIdentity(certificateChainFile: certificate.certificate, privateKeyFile: key) }
            #expect(error?.file == .privateKey)
            #expect(error?.message(naming: flags) == "--tls-key \(key) is not an unencrypted PEM private key (a -----BEGIN PRIVATE KEY----- block)")
        }
    }

    @Test func aKeyOfAnotherCertificateIsRefusedNamingBothFiles() throws {
        let certificate = try TestCertificate()
        let other = try TestCertificate()
        let error = #expect(throws: TLSFileError.self) { try TLSIdentity(certificateChainFile: certificate.certificate, privateKeyFile: other.key) }
        #expect(error?.message(naming: flags) == "--tls-key \(other.key) is not the private key of the certificate in --tls-cert "
            + "\(certificate.certificate): expected the key the certificate was made with")
    }

    @Test func aCAFileThatIsNotPEMIsRefusedForHTTPSAndIgnoredForHTTP() throws {
        let certificate = try TestCertificate()
        let text = try certificate.write("ca.txt", "not certificates\n")
        let error = #expect(throws: TLSFileError.self) { try HTTPClient(baseURL: "https://127.0.0.1:4443", caFile: text) }
        #expect(error?.file == .certificateAuthorities)
        #expect(error?.message(naming: flags) == "--ca-file \(text) is not a PEM file of CA certificates (-----BEGIN CERTIFICATE----- blocks)")
        _ = try HTTPClient(baseURL: "http://127.0.0.1:4200", caFile: text)
    }

    @Test func urlsOtherThanHTTPAndHTTPSAreRefused() throws {
        let error = #expect(throws: SocketError.self) { try HTTPClient(baseURL: "ftp://127.0.0.1:4200") }
        #expect(error?.description == "API URL 'ftp://127.0.0.1:4200': expected http://HOST:PORT or https://HOST[:PORT], such as http://127.0.0.1:4200")
    }
}
