import BatonCore
import BatonHTTP
import Foundation

/// An error a client of the API sees: an HTTP status, a code for programs, a one-line message for
/// people, and the input at fault when there is one. Every error a handler throws becomes one of
/// these in `APIError.from`, the one place that maps errors to statuses.
public struct APIError: Error, Sendable {
    public var status: HTTPStatus
    public var code: String
    public var message: String
    public var field: String?

    public init(_ status: HTTPStatus, _ code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(.badRequest, "bad_request", message, field: field)
    }

    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }

    /// The API's view of any error: Baton's own by their code (`ErrorCatalog`), anything else a 500
    /// whose details are logged by the server and not sent.
    static func from(_ error: any Error) -> APIError {
        if let error = error as? APIError { return error }
        guard let error = error as? BatonError else {
            return APIError(.internalServerError, "internal", "internal error: \(error)")
        }
        let code = error.code
        return APIError(HTTPStatus.standard(code.httpStatus), code.apiCode, error.message, field: error.field)
    }

    /// The response: `{"error": code, "message": text, "field": name}`.
    var response: HTTPResponse {
        var object: [String: JSONValue] = ["error": .string(code), "message": .string(message)]
        if let field { object["field"] = .string(field) }
        var response = HTTPResponse.bytes(Array(JSONValue.object(object).jsonData), contentType: "application/json", status: status)
        if status.code == 401 { response.headers.set("WWW-Authenticate", "Bearer") }
        return response
    }
}
