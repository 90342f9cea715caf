import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where a request's body goes and how large it may be, chosen per request from its head before any
/// of the body is read (see `HTTPServerConfiguration.bodyPolicy` and `Router.add(_:_:body:_:)`).
///
/// A body over `limit` gets 413 before any of it is read (from `Content-Length`) or as soon as
/// de-chunking passes the limit; no file is made for a body refused by its `Content-Length`.
public struct RequestBody: Sendable {
    /// Where the bytes are kept while the handler runs.
    public enum Storage: Sendable, Equatable {
        /// In `HTTPRequest.body`.
        case memory
        /// In a new file in `directory` (created if missing), written as the bytes arrive; the handler
        /// reads `HTTPRequest.bodyFile`, and the server removes the file once the handler returns, or
        /// at once when the client leaves before the body is complete.
        case file(directory: String)
    }

    public var storage: Storage
    /// The largest body accepted, in bytes.
    public var limit: Int
    /// Said after the limit in a 413's message, e.g. "set with --max-json-bytes".
    public var limitNote: String?
    /// How long the whole body may take once the head arrived (408 beyond); nil for the server's
    /// `bodyTimeout`. Large uploads need longer than small JSON bodies.
    public var timeout: Duration?
    /// When set, the request is answered with this status and message from its head alone, and
    /// none of its body is read (then the connection closes): what a handler would refuse anyway,
    /// such as an upload without credentials, costs no transfer.
    public var refusal: (status: HTTPStatus, message: String)?

    /// A body refused before any of it is read.
    public static func refused(_ status: HTTPStatus, _ message: String) -> RequestBody {
        var body = RequestBody(.memory, limit: 0)
        body.refusal = (status, message)
        return body
    }

    public init(_ storage: Storage, limit: Int, limitNote: String? = nil, timeout: Duration? = nil) {
        self.storage = storage
        self.limit = limit
        self.limitNote = limitNote
        self.timeout = timeout
    }

    /// The 413 message for a body of `size` bytes (nil when only known to exceed the limit).
    func tooLarge(_ size: String?) -> String {
        (size.map { "body of \($0) bytes" } ?? "chunked body") + " exceeds the limit of \(limit) bytes"
            + (limitNote.map { " (\($0))" } ?? "")
    }
}

/// A body being written to a file of its own: created private (0600) and exclusive, written in the
/// pieces the connection receives, and removed unless a handler got to see it.
final class BodyFile {
    let path: String
    private var descriptor: Int32

    init(directory: String) throws(ConnectionFailure) {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/body-" + UUID().uuidString
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .reject(.internalServerError, "cannot create a file for the request body in \(directory): \(String(cString: strerror(errno)))")
        }
    }

    func write(_ bytes: ArraySlice<UInt8>) throws(ConnectionFailure) {
        let failure: Int32? = bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        if let failure {
            throw .reject(.internalServerError, "cannot write the request body to disk: \(String(cString: strerror(failure)))")
        }
    }

    /// Closes the file, keeping it for the handler.
    func finish() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Closes and removes the file (a handler may have moved it away already).
    func remove() {
        finish()
        unlink(path)
    }
}
