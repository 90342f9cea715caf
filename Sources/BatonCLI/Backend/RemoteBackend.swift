import BatonCore
import BatonHTTP
import BatonWorker
import Foundation

/// A Baton server, through its HTTP API: the same commands as against the local store, with the
/// server's store, workers and library store doing the work.
final class RemoteBackend: Backend {
    /// The server: its address, the key every request carries and the project they work in.
    let link: ServerLink
    let client: HTTPClient
    /// The server's address as the user gave it, for messages.
    var url: String { link.url }
    /// The CA certificates an https:// server must be signed by; nil for the system's.
    var caFile: String? { link.caFile }
    /// The `Authorization` header every request carries: the API key given, in `BATON_API_KEY`, or
    /// saved by `baton login` for this server.
    var credentials: [(String, String)] { link.credentials }
    /// The project every request works in (`?project=`); nil: the server's choice (an API key's own
    /// project, else `default`).
    var project: String? { link.project }

    /// `origin` names where the URL came from (`--api`, `BATON_API_URL`), and `caFile`'s where the CA
    /// file was named (`--ca-file`, `BATON_CA_FILE`), in the error for a bad one.
    /// `key` is the API key to send; nil for `BATON_API_KEY`, else the one `baton login` saved.
    init(url: String, origin: String, caFile: (path: String, origin: String)? = nil, key: String? = nil, project: String? = nil) throws {
        let url = url.hasSuffix("/") ? String(url.dropLast()) : url
        let environment = ProcessInfo.processInfo.environment["BATON_API_KEY"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let key = key ?? (environment.isEmpty ? SavedKeys.key(for: url) ?? "" : environment)
        link = ServerLink(url: url, key: key, project: project, caFile: caFile?.path)
        do {
            client = try link.connection()
        } catch let error as TLSFileError {
            throw BatonError(.invalidInput, error.message { _ in caFile?.origin ?? "--ca-file" })
        } catch let error as SocketError {
            throw BatonError(.invalidInput, "\(origin) '\(url)' is not valid: \(error.reason)")
        }
    }

    /// A fresh connection to the server, for a stream or another thread.
    func connection() throws -> HTTPClient { try link.connection() }

    // MARK: Requests

    /// Sends a request and returns the answer's body; an error answer becomes a `BatonError` with the
    /// server's message, and a failure to connect one line that says what to check.
    @discardableResult
    func send(_ method: String, _ target: String, json: JSONValue? = nil, bytes: [UInt8]? = nil, on client: HTTPClient? = nil) throws -> [UInt8] {
        try link.send(client ?? self.client, method, target, json: json, bytes: bytes)
    }

    /// `target` with the project every request works in.
    func inProject(_ target: String) -> String { link.inProject(target) }

    /// A JSON answer decoded as `T`.
    func get<T: Decodable>(_ target: String, as type: T.Type = T.self) throws -> T {
        try decode(T.self, from: send("GET", target), target)
    }

    /// The items of a list answer such as `{"runs": [...], "nextCursor": "..."}`.
    func list<T: Decodable>(_ target: String, key: String, as type: T.Type = T.self) throws -> Listed<T> {
        try decode(Listed<T>.self, from: send("GET", target), target, listKey: key)
    }

    func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], _ target: String, listKey: String? = nil) throws -> T {
        guard let listKey else { return try link.decode(T.self, from: body, target) }
        let decoder = BatonCoding.decoder()
        decoder.userInfo[ListKey.info] = listKey
        do {
            return try decoder.decode(T.self, from: Data(body))
        } catch {
            return try link.decode(T.self, from: body, target)
        }
    }

    /// A failure to connect, with what to check: the server, its TLS, or what the client trusts.
    func unreachable(_ error: SocketError) -> BatonError { link.unreachable(error) }
}

/// A list answer: the items under one key, and the cursor of the next page when there is one.
struct Listed<Item: Decodable>: Decodable {
    var items: [Item]
    var nextCursor: String?

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let key = decoder.userInfo[ListKey.info] as? String ?? "items"
        items = try container.decode([Item].self, forKey: Key(stringValue: key))
        nextCursor = try container.decodeIfPresent(String.self, forKey: Key(stringValue: "nextCursor"))
    }
}

/// Where a decoder finds the key of the list it decodes.
enum ListKey {
    static var info: CodingUserInfoKey { CodingUserInfoKey(rawValue: "baton.listKey")! }
}

/// Building request targets.
enum APITarget {
    /// One path segment, percent-encoded: a name with a space or a slash stays one segment.
    static func segment(_ text: String) -> String { ServerLink.segment(text) }

    /// `path?name=value&…` with the values percent-encoded; nil values are left out.
    static func query(_ path: String, _ items: [(String, String?)]) -> String {
        let pairs = items.compactMap { name, value in value.map { "\(name)=\(segment($0))" } }
        return pairs.isEmpty ? path : path + "?" + pairs.joined(separator: "&")
    }
}
