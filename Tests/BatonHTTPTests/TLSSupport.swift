import BatonHTTP
import Foundation
import Testing

/// A self-signed certificate and its key, made by the openssl command line in a folder of its own
/// that goes when the value does.
final class TestCertificate: Sendable {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-tls-\(UUID().uuidString.prefix(8))").path
    var certificate: String { folder + "/c.pem" }
    var key: String { folder + "/k.pem" }

    /// A certificate for `names` (subjectAltName entries such as "DNS:localhost", "IP:127.0.0.1").
    init(names: [String] = ["DNS:localhost", "IP:127.0.0.1"]) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
            "-subj", "/CN=\(names[0].split(separator: ":").last ?? "test")", "-addext", "subjectAltName=" + names.joined(separator: ","))
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// A file in the folder with `text` in it; its path.
    func write(_ name: String, _ text: String) throws -> String {
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs `openssl` with `arguments`, failing the test unless it succeeds.
    func openssl(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let said = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "openssl \(arguments.joined(separator: " ")): \(String(decoding: said, as: UTF8.self))")
    }
}

/// Runs `body` with an HTTPS server on a free loopback port serving `certificate`, shut down afterwards.
func withTLSServer(
    _ certificate: TestCertificate,
    _ configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    handler: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse = echo,
    _ body: (HTTPServer) throws -> Void
) throws {
    let identity = try TLSIdentity(certificateChainFile: certificate.certificate, privateKeyFile: certificate.key)
    try withServer({ configuration in
        configuration.tls = identity
        configure(&configuration)
    }, handler: handler, body)
}
