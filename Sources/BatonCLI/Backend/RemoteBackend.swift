import BatonCore
import BatonHTTP
import Foundation

/// A Baton server, through its HTTP API: the same commands as against the local store, with the
/// server's store, workers and library store doing the work.
final class RemoteBackend: Backend {
    /// The server's address as the user gave it, for messages.
    let url: String
    /// The CA certificates an https:// server must be signed by; nil for the system's.
    let caFile: String?
    let client: HTTPClient
    /// The `Authorization` header every request carries: the API key given, in `BATON_API_KEY`, or
    /// saved by `baton login` for this server.
    let credentials: [(String, String)]
    /// The project every request works in (`?project=`); nil: the server's choice (an API key's own
    /// project, else `default`).
    let project: String?

    /// `origin` names where the URL came from (`--api`, `BATON_API_URL`), and `caFile`'s where the CA
    /// file was named (`--ca-file`, `BATON_CA_FILE`), in the error for a bad one.
    /// `key` is the API key to send; nil for `BATON_API_KEY`, else the one `baton login` saved.
    init(url: String, origin: String, caFile: (path: String, origin: String)? = nil, key: String? = nil, project: String? = nil) throws {
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.project = project
        self.caFile = caFile?.path
        let environment = ProcessInfo.processInfo.environment["BATON_API_KEY"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let key = key ?? (environment.isEmpty ? SavedKeys.key(for: self.url) ?? "" : environment)
        credentials = key.isEmpty ? [] : [("Authorization", "Bearer " + key)]
        do {
            client = try HTTPClient(baseURL: self.url, caFile: caFile?.path)
        } catch let error as TLSFileError {
            throw BatonError(.invalidInput, error.message { _ in caFile?.origin ?? "--ca-file" })
        } catch let error as SocketError {
            throw BatonError(.invalidInput, "\(origin) '\(url)' is not valid: \(error.reason)")
        }
        client.headers = credentials
    }

    /// A fresh connection to the server, for a stream or another thread.
    func connection() throws -> HTTPClient {
        let client = try HTTPClient(baseURL: url, caFile: caFile)
        client.headers = credentials
        return client
    }

    // MARK: Requests

    /// Sends a request and returns the answer's body; an error answer becomes a `BatonError` with the
    /// server's message, and a failure to connect one line that says what to check.
    @discardableResult
    func send(_ method: String, _ target: String, json: JSONValue? = nil, bytes: [UInt8]? = nil, on client: HTTPClient? = nil) throws -> [UInt8] {
        var headers: [(String, String)] = [("Accept", "application/json")]
        var body: [UInt8] = []
        if let json {
            headers.append(("Content-Type", "application/json"))
            body = Array(json.jsonData)
        } else if let bytes {
            headers.append(("Content-Type", "application/octet-stream"))
            body = bytes
        }
        let response: HTTPClientResponse
        do {
            response = try (client ?? self.client).request(method, inProject(target), headers: headers, body: body)
        } catch {
            throw unreachable(error)
        }
        guard response.status < 400 else { throw refusal(response, method, target) }
        return response.body
    }

    /// `target` with the project every request works in.
    func inProject(_ target: String) -> String {
        guard let project else { return target }
        return target + (target.contains("?") ? "&" : "?") + "project=" + APITarget.segment(project)
    }

    /// A JSON answer decoded as `T`.
    func get<T: Decodable>(_ target: String, as type: T.Type = T.self) throws -> T {
        try decode(T.self, from: send("GET", target), target)
    }

    /// The items of a list answer such as `{"runs": [...], "nextCursor": "..."}`.
    func list<T: Decodable>(_ target: String, key: String, as type: T.Type = T.self) throws -> Listed<T> {
        try decode(Listed<T>.self, from: send("GET", target), target, listKey: key)
    }

    func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], _ target: String, listKey: String? = nil) throws -> T {
        let decoder = BatonCoding.decoder()
        if let listKey { decoder.userInfo[ListKey.info] = listKey }
        do {
            return try decoder.decode(T.self, from: Data(body))
        } catch {
            throw BatonError(
                .io, "the Baton server at \(url) sent an answer to \(target) that this baton cannot read; is it the same version?",
                underlying: "\(error)")
        }
    }

    /// A failure to connect, with what to check: the server, its TLS, or what the client trusts.
    func unreachable(_ error: SocketError) -> BatonError {
        let message =
            switch error.kind {
            case .system: "cannot reach the Baton server at \(url): \(error.reason); is `baton server start` running?"
            case .tlsHandshake:
                "cannot reach the Baton server at \(url): \(error.reason); does it serve https (`baton server start --tls-cert`) at that port?"
            case .certificateNotTrusted: "\(url): \(error.reason): give the CA that signed it with --ca-file FILE or BATON_CA_FILE"
            case .certificateNameMismatch: "\(url): \(error.reason): use a host name the certificate names in the URL"
            }
        return BatonError(.io, message, underlying: error.description)
    }

    /// The server's `{"error": code, "message": text, "field": name}` as Baton's own error.
    private func refusal(_ response: HTTPClientResponse, _ method: String, _ target: String) -> BatonError {
        let object = (try? JSONValue(json: Data(response.body)))?.objectValue ?? [:]
        let message = object["message"]?.stringValue ?? "the server answered \(response.status) to \(method) \(target)"
        let code = BatonError.Code(apiCode: object["error"]?.stringValue ?? "", httpStatus: response.status)
        return BatonError(code, message, field: object["field"]?.stringValue)
    }
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
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// `path?name=value&…` with the values percent-encoded; nil values are left out.
    static func query(_ path: String, _ items: [(String, String?)]) -> String {
        let pairs = items.compactMap { name, value in value.map { "\(name)=\(segment($0))" } }
        return pairs.isEmpty ? path : path + "?" + pairs.joined(separator: "&")
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
