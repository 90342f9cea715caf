import CTLS

#if canImport(Glibc)
import Glibc
#endif

// The one file that calls OpenSSL's libssl. It never touches a socket: a session reads the
// ciphertext its peer sent from what `feed` gave it, and leaves what is to be sent for
// `takeOutput`, so `Transport` moves both through `Socket` with its deadlines and MSG_NOSIGNAL.

/// A server's certificate chain and private key, read from PEM files and checked against each other:
/// what `HTTPServerConfiguration.tls` takes to serve HTTPS (TLS 1.2 or later).
///
///     configuration.tls = try TLSIdentity(certificateChainFile: "cert.pem", privateKeyFile: "key.pem")
///
/// The files are read once, here; serving a renewed certificate takes a new identity and a restart.
///
/// `@unchecked Sendable`: the OpenSSL context is configured in `init` and afterwards only makes
/// sessions, which OpenSSL allows from any thread.
public final class TLSIdentity: @unchecked Sendable {
    public let certificateChainFile: String
    public let privateKeyFile: String
    let context: TLSContext

    /// Throws `TLSFileError` for a file that cannot be read, is not PEM, or (the key) does not match
    /// the chain's first certificate; a key with a passphrase is refused, never asked for.
    public init(certificateChainFile: String, privateKeyFile: String) throws {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        context = try TLSContext.server(certificateChainFile: certificateChainFile, privateKeyFile: privateKeyFile)
    }
}

/// An OpenSSL context: the settings every session of one server, or of one client, shares.
///
/// `@unchecked Sendable`: configured once when made, then only used to make sessions.
final class TLSContext: @unchecked Sendable {
    let pointer: OpaquePointer

    private init(_ method: OpaquePointer?) throws(SocketError) {
        pointer = try OpenSSL.check(SSL_CTX_new(method), "cannot set up TLS")
        do throws(SocketError) {
            try OpenSSL.check(baton_tls_restrict(pointer), "cannot require TLS 1.2 or later")
        } catch {
            SSL_CTX_free(pointer)
            throw error
        }
    }

    deinit { SSL_CTX_free(pointer) }

    static func server(certificateChainFile chain: String, privateKeyFile keyFile: String) throws -> TLSContext {
        let context = try TLSContext(TLS_server_method())
        // Clients make a new session per connection and never resume one.
        try OpenSSL.check(SSL_CTX_set_num_tickets(context.pointer, 0), "cannot turn off TLS session tickets")
        try OpenSSL.requireReadable(chain, as: .certificateChain)
        try OpenSSL.require(SSL_CTX_use_certificate_chain_file(context.pointer, chain) == 1, .certificateChain, chain, .notPEM)
        try OpenSSL.requireReadable(keyFile, as: .privateKey)
        let file = BIO_new_file(keyFile, "r")
        defer { BIO_free(file) }
        // A key with a passphrase would otherwise make OpenSSL ask for it on the terminal.
        let key = PEM_read_bio_PrivateKey(file, nil, { _, _, _, _ in 0 }, nil)
        defer { EVP_PKEY_free(key) }
        try OpenSSL.require(key != nil, .privateKey, keyFile, .notPEM)
        let matches = SSL_CTX_use_PrivateKey(context.pointer, key) == 1 && SSL_CTX_check_private_key(context.pointer) == 1
        try OpenSSL.require(matches, .privateKey, keyFile, .keyMismatch(certificateChain: chain))
        return context
    }

    /// Verifies servers against the certificates in `caFile`, or the system's trust store when nil.
    static func client(caFile: String?) throws -> TLSContext {
        let context = try TLSContext(TLS_client_method())
        SSL_CTX_set_verify(context.pointer, SSL_VERIFY_PEER, nil)
        if let caFile {
            try OpenSSL.requireReadable(caFile, as: .certificateAuthorities)
            try OpenSSL.require(SSL_CTX_load_verify_locations(context.pointer, caFile, nil) == 1, .certificateAuthorities, caFile, .notPEM)
        } else {
            try OpenSSL.check(SSL_CTX_set_default_verify_paths(context.pointer), "cannot load the system's trusted certificates")
        }
        return context
    }
}

/// One TLS connection, kept apart from its socket: ciphertext from the peer goes in with `feed`, and
/// the ciphertext to send comes out of `takeOutput` after every other call.
///
/// Not thread-safe: its `Transport` is used by one thread at a time.
final class TLSSession {
    private let ssl: OpaquePointer
    /// Ciphertext received, for OpenSSL to read; and what it wrote, to be sent.
    private let incoming: OpaquePointer
    private let outgoing: OpaquePointer
    /// "https://HOST:PORT" on a client, the remote address on a server: the subject of messages.
    private let peer: String
    /// The name or address a client verifies the server's certificate for.
    private let expectedHost: String?

    /// A server's side of a connection from `peer`.
    convenience init(serving identity: TLSIdentity, to peer: String) throws(SocketError) {
        try self.init(identity.context, peer: peer, expectedHost: nil)
        SSL_set_accept_state(ssl)
    }

    /// A client's side of a connection to `host`, whose certificate must be valid for `host` (a DNS
    /// name, sent as SNI too, or an IP address).
    convenience init(connecting context: TLSContext, to host: String, peer: String) throws(SocketError) {
        try self.init(context, peer: peer, expectedHost: host)
        // An address is checked against the certificate's IP entries and never sent as SNI
        // (RFC 6066 §3); a name against its DNS entries.
        if X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1 {
            try OpenSSL.check(SSL_set1_host(ssl, host), "\(peer): cannot verify certificates for '\(host)'")
            try OpenSSL.check(baton_tls_set_server_name(ssl, host), "\(peer): cannot send the server name '\(host)'")
        }
        SSL_set_connect_state(ssl)
    }

    private init(_ context: TLSContext, peer: String, expectedHost: String?) throws(SocketError) {
        self.peer = peer
        self.expectedHost = expectedHost
        ssl = try OpenSSL.check(SSL_new(context.pointer), "cannot start TLS with \(peer)")
        guard let incoming = BIO_new(BIO_s_mem()), let outgoing = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw SocketError("cannot start TLS with \(peer)", reason: OpenSSL.queuedReason())
        }
        // The session owns both from here, and frees them with itself.
        SSL_set_bio(ssl, incoming, outgoing)
        self.incoming = incoming
        self.outgoing = outgoing
    }

    deinit { SSL_free(ssl) }

    /// Runs the handshake as far as the input allows: true once done, false when it needs more
    /// from the peer. A client's failure says whether the server's certificate was refused.
    func handshake() throws(SocketError) -> Bool {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return true }
        if SSL_get_error(ssl, result) == SSL_ERROR_WANT_READ { return false }
        let verdict = SSL_get_verify_result(ssl)
        guard verdict != X509_V_OK, let host = expectedHost else {
            throw SocketError(peer, reason: "the TLS handshake failed (\(OpenSSL.queuedReason()))", kind: .tlsHandshake)
        }
        ERR_clear_error()
        let why = String(cString: X509_verify_cert_error_string(verdict))
        if verdict == X509_V_ERR_HOSTNAME_MISMATCH || verdict == X509_V_ERR_IP_ADDRESS_MISMATCH {
            throw SocketError(peer, reason: "the server's certificate is not valid for \(host) (\(why))", kind: .certificateNameMismatch)
        }
        throw SocketError(peer, reason: "the server's certificate is not trusted (\(why))", kind: .certificateNotTrusted)
    }

    /// Decrypts into `buffer`: the count, 0 once the peer ended TLS (close_notify), or nil when it
    /// needs more input first.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> Int? {
        ERR_clear_error()
        let result = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        if result > 0 { return Int(result) }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ: return nil
        case SSL_ERROR_ZERO_RETURN: return 0
        default: throw SocketError("TLS receive from \(peer)", reason: OpenSSL.queuedReason())
        }
    }

    /// Encrypts all of `bytes` into the output.
    func write(_ bytes: ArraySlice<UInt8>) throws(SocketError) {
        guard !bytes.isEmpty else { return }
        ERR_clear_error()
        // The output is memory, which takes every record at once: the only wait is for input, which
        // only a renegotiation needs, and both sides refuse those.
        let result = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32(clamping: $0.count)) }
        guard result != bytes.count else { return }
        throw SocketError("TLS send to \(peer)", reason: OpenSSL.queuedReason())
    }

    /// Hands OpenSSL ciphertext the peer sent.
    func feed(_ ciphertext: UnsafeRawBufferPointer) throws(SocketError) {
        guard !ciphertext.isEmpty else { return }
        let written = BIO_write(incoming, ciphertext.baseAddress, Int32(clamping: ciphertext.count))
        try OpenSSL.check(written == ciphertext.count ? 1 : 0, "TLS receive from \(peer)")
    }

    /// The ciphertext OpenSSL wrote since the last call, to be sent.
    func takeOutput() -> [UInt8] {
        let pending = Int(BIO_ctrl_pending(outgoing))
        guard pending > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: pending) { buffer, count in
            count = Int(max(0, BIO_read(outgoing, buffer.baseAddress, Int32(clamping: pending))))
        }
    }

    /// Tells the peer nothing more will be sent (close_notify, in the output). Best effort: the
    /// connection closes either way.
    func close() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }
}

/// The checks every libssl return code goes through.
private enum OpenSSL {
    /// `result` unless it is not 1 (OpenSSL's success), then a `SocketError` with OpenSSL's reason.
    static func check(_ result: Int32, _ operation: @autoclosure () -> String) throws(SocketError) {
        guard result == 1 else { throw SocketError(operation(), reason: queuedReason()) }
    }

    /// `pointer` unless OpenSSL returned none.
    static func check(_ pointer: OpaquePointer?, _ operation: @autoclosure () -> String) throws(SocketError) -> OpaquePointer {
        guard let pointer else { throw SocketError(operation(), reason: queuedReason()) }
        return pointer
    }

    /// A file check: throws `problem` about `path` unless `condition` holds.
    static func require(_ condition: Bool, _ file: TLSFileError.File, _ path: String, _ problem: TLSFileError.Problem) throws(TLSFileError) {
        ERR_clear_error()
        guard condition else { throw TLSFileError(file: file, path: path, problem: problem) }
    }

    /// Throws unless `path` opens for reading, with the system's reason; OpenSSL's own would say
    /// only that it found no PEM.
    static func requireReadable(_ path: String, as file: TLSFileError.File) throws(TLSFileError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw TLSFileError(file: file, path: path, problem: .unreadable(String(cString: strerror(errno))))
        }
        close(descriptor)
    }

    /// The reason of the earliest error in this thread's queue, which is then emptied.
    static func queuedReason() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "no reason given" }
        return ERR_reason_error_string(code).map { String(cString: $0) } ?? "error \(code)"
    }
}
