/// An HTTP response status: the code clients act on and the reason phrase people read.
public struct HTTPStatus: Sendable, Hashable, CustomStringConvertible {
    /// The three-digit status code, e.g. 404.
    public let code: Int
    /// The reason phrase sent after the code, e.g. "Not Found".
    public let reason: String

    /// A status with any code and reason; prefer the named constants.
    public init(_ code: Int, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// "404 Not Found".
    public var description: String { "\(code) \(reason)" }

    /// The named constant with `code`, else a status with a generic reason phrase.
    public static func standard(_ code: Int) -> HTTPStatus {
        let named: [HTTPStatus] = [
            .ok, .created, .accepted, .noContent, .notModified, .badRequest, .unauthorized, .forbidden, .notFound, .methodNotAllowed, .requestTimeout,
            .conflict, .lengthRequired, .payloadTooLarge, .uriTooLong, .unsupportedMediaType, .unprocessableContent,
            .tooManyRequests, .requestHeaderFieldsTooLarge, .internalServerError, .notImplemented, .serviceUnavailable, .httpVersionNotSupported,
        ]
        return named.first { $0.code == code } ?? HTTPStatus(code, code >= 500 ? "Server Error" : "Client Error")
    }

    /// 1xx, 204 and 304 responses never carry a body (RFC 9110 §6.4.1).
    var allowsBody: Bool { code >= 200 && code != 204 && code != 304 }

    /// 200 OK.
    public static let ok = HTTPStatus(200, "OK")
    /// 201 Created.
    public static let created = HTTPStatus(201, "Created")
    /// 202 Accepted.
    public static let accepted = HTTPStatus(202, "Accepted")
    /// 204 No Content: the server sends no body whatever the response holds.
    public static let noContent = HTTPStatus(204, "No Content")
    /// 304 Not Modified: the server sends no body whatever the response holds.
    public static let notModified = HTTPStatus(304, "Not Modified")
    /// 400 Bad Request.
    public static let badRequest = HTTPStatus(400, "Bad Request")
    /// 401 Unauthorized.
    public static let unauthorized = HTTPStatus(401, "Unauthorized")
    /// 403 Forbidden.
    public static let forbidden = HTTPStatus(403, "Forbidden")
    /// 404 Not Found.
    public static let notFound = HTTPStatus(404, "Not Found")
    /// 405 Method Not Allowed; send an `Allow` header with it.
    public static let methodNotAllowed = HTTPStatus(405, "Method Not Allowed")
    /// 408 Request Timeout.
    public static let requestTimeout = HTTPStatus(408, "Request Timeout")
    /// 409 Conflict.
    public static let conflict = HTTPStatus(409, "Conflict")
    /// 411 Length Required.
    public static let lengthRequired = HTTPStatus(411, "Length Required")
    /// 413 Content Too Large.
    public static let payloadTooLarge = HTTPStatus(413, "Content Too Large")
    /// 414 URI Too Long.
    public static let uriTooLong = HTTPStatus(414, "URI Too Long")
    /// 415 Unsupported Media Type.
    public static let unsupportedMediaType = HTTPStatus(415, "Unsupported Media Type")
    /// 422 Unprocessable Content.
    public static let unprocessableContent = HTTPStatus(422, "Unprocessable Content")
    /// 431 Request Header Fields Too Large.
    public static let requestHeaderFieldsTooLarge = HTTPStatus(431, "Request Header Fields Too Large")
    /// 429 Too Many Requests.
    public static let tooManyRequests = HTTPStatus(429, "Too Many Requests")
    /// 500 Internal Server Error.
    public static let internalServerError = HTTPStatus(500, "Internal Server Error")
    /// 501 Not Implemented.
    public static let notImplemented = HTTPStatus(501, "Not Implemented")
    /// 503 Service Unavailable.
    public static let serviceUnavailable = HTTPStatus(503, "Service Unavailable")
    /// 505 HTTP Version Not Supported.
    public static let httpVersionNotSupported = HTTPStatus(505, "HTTP Version Not Supported")
}
