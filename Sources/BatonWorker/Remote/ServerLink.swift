import BatonCore
import BatonHTTP
import Foundation

/// A Baton server's API as a client reaches it: its address, the API key every request carries, and
/// the project they work in. Each `connection()` is one kept-alive connection, for one thread.
///
/// A failure to connect, and a server that answers it is not ready (502, 503, 504), are
/// `storeUnavailable`: the server is where the store is, and a worker waits it out as it waits out a
/// database that went away. Any other refusal is the server's own error, with its message.
public struct ServerLink: Sendable {
    /// The server's address as the user gave it, without a trailing slash.
    public let url: String
    /// The CA certificates an https:// server must be signed by; nil for the system's.
    public let caFile: String?
    /// Headers every request carries: `Authorization` when there is a key.
    public let credentials: [(String, String)]
    /// The project every request works in (`?project=`); nil: the server's choice (the key's own).
    public let project: String?

    public init(url: String, key: String?, project: String? = nil, caFile: String? = nil) {
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        credentials = (key ?? "").isEmpty ? [] : [("Authorization", "Bearer " + (key ?? ""))]
        self.project = project
        self.caFile = caFile
    }

    /// A new connection to the server (connected on its first request).
    public func connection() throws -> HTTPClient {
        let client = try HTTPClient(baseURL: url, caFile: caFile)
        client.headers = credentials
        return client
    }

    /// `target` with the project every request works in.
    public func inProject(_ target: String) -> String {
        guard let project else { return target }
        return target + (target.contains("?") ? "&" : "?") + "project=" + Self.segment(project)
    }

    /// One path segment or query value, percent-encoded: a name with a space or a slash stays one.
    public static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// Sends a request on `client` and returns the answer: its body, when the status is below 400.
    @discardableResult
    public func send(_ client: HTTPClient, _ method: String, _ target: String, json: JSONValue? = nil, bytes: [UInt8]? = nil) throws -> [UInt8] {
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
            response = try client.request(method, inProject(target), headers: headers, body: body)
        } catch {
            throw unreachable(error)
        }
        guard response.status < 400 else { throw refusal(response, method, target) }
        return response.body
    }

    /// A JSON answer decoded as `T`.
    public func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], _ target: String) throws -> T {
        do {
            return try BatonCoding.decoder().decode(T.self, from: Data(body))
        } catch {
            throw BatonError(
                .io, "the Baton server at \(url) sent an answer to \(target) that this baton cannot read; is it the same version?",
                underlying: "\(error)")
        }
    }

    /// A failure to connect, with what to check: the server, its TLS, or what the client trusts.
    public func unreachable(_ error: SocketError) -> BatonError {
        switch error.kind {
        case .system:
            BatonError(.storeUnavailable, "cannot reach the Baton server at \(url): \(error.reason); is `baton server start` running?", underlying: error.description)
        case .tlsHandshake:
            BatonError(
                .io, "cannot reach the Baton server at \(url): \(error.reason); does it serve https (`baton server start --tls-cert`) at that port?",
                underlying: error.description)
        case .certificateNotTrusted:
            BatonError(.io, "\(url): \(error.reason): give the CA that signed it with --ca-file FILE or BATON_CA_FILE", underlying: error.description)
        case .certificateNameMismatch:
            BatonError(.io, "\(url): \(error.reason): use a host name the certificate names in the URL", underlying: error.description)
        }
    }

    /// The server's `{"error": code, "message": text, "field": name}` as Baton's own error.
    public func refusal(_ response: HTTPClientResponse, _ method: String, _ target: String) -> BatonError {
        let object = (try? JSONValue(json: Data(response.body)))?.objectValue ?? [:]
        let message = object["message"]?.stringValue ?? "the server answered \(response.status) to \(method) \(target)"
        if [502, 503, 504].contains(response.status) { return BatonError(.storeUnavailable, message) }
        let code = BatonError.Code(apiCode: object["error"]?.stringValue ?? "", httpStatus: response.status)
        return BatonError(code, message, field: object["field"]?.stringValue)
    }
}
