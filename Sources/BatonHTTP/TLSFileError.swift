/// A certificate or key file that TLS cannot use: which file, and what was expected of it.
///
/// `description` names the files generically ("TLS private key /etc/baton/key.pem is not …"); a
/// command line names them by its options instead with `message(naming:)`:
///
///     error.message { $0 == .privateKey ? "--tls-key" : "--tls-cert" }
public struct TLSFileError: Error, CustomStringConvertible, Sendable {
    /// The part a file plays.
    public enum File: Sendable, Hashable {
        /// A server's certificate, with any intermediate certificates after it.
        case certificateChain
        /// The private key of a server's certificate.
        case privateKey
        /// The certificates a client trusts to have signed the server's.
        case certificateAuthorities
    }

    enum Problem: Sendable {
        /// The system's reason, e.g. "No such file or directory".
        case unreadable(String)
        case notPEM
        /// The key is not the one the certificate in this chain file was made for.
        case keyMismatch(certificateChain: String)
    }

    public let file: File
    public let path: String
    let problem: Problem

    public var description: String { message { $0.noun } }

    /// The one-line message, with each file called what `name` says (an option's name, a variable's).
    public func message(naming name: (File) -> String) -> String {
        let subject = "\(name(file)) \(path)"
        switch problem {
        case .unreadable(let reason):
            return "\(subject) cannot be read (\(reason)): expected \(file.expected)"
        case .notPEM:
            return "\(subject) is not \(file.expected)"
        case .keyMismatch(let chain):
            return "\(subject) is not the private key of the certificate in \(name(.certificateChain)) \(chain): "
                + "expected the key the certificate was made with"
        }
    }
}

extension TLSFileError.File {
    /// How `description` calls the file.
    var noun: String {
        switch self {
        case .certificateChain: "TLS certificate chain"
        case .privateKey: "TLS private key"
        case .certificateAuthorities: "CA file"
        }
    }

    var expected: String {
        switch self {
        case .certificateChain: "a PEM certificate chain (-----BEGIN CERTIFICATE----- blocks, the server's own certificate first)"
        case .privateKey: "an unencrypted PEM private key (a -----BEGIN PRIVATE KEY----- block)"
        case .certificateAuthorities: "a PEM file of CA certificates (-----BEGIN CERTIFICATE----- blocks)"
        }
    }
}
