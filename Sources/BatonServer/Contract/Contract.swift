import BatonCore
import Foundation

/// What one route takes and what it can answer: its path and query inputs with their types, the
/// fields of its body, and every status it can answer with. The one declaration both halves read:
/// the server refuses a request that breaks it before the handler runs (`Contract+Validate.swift`),
/// and the OpenAPI document renders it (`OpenAPI.swift`), so the two cannot drift.
struct Contract: Sendable {
    /// Path and query parameters.
    var inputs: [Input] = []
    /// The request body: JSON fields, an upload, or none (nil: the route reads no body).
    var body: Body?
    /// Statuses the route answers besides its success and its errors', with what each means.
    var responses: [Int: String] = [:]
    /// The errors the route can throw, answered with the status `ErrorCatalog` gives each code.
    var errors: Set<BatonError.Code> = []
}

/// What a value may be, for a parameter or a body field.
enum InputType: Sendable, Equatable {
    /// A whole number in a range.
    case integer(ClosedRange<Int>)
    /// One of these words (compared without case, as the handlers read them).
    case enumeration([String])
    /// Any string at least this long.
    case string(minLength: Int)
    /// A deployment or pool name, by `DeploymentNames`' rule; `what` names it in refusals.
    case name(what: String)
    /// A version number of at least 1, or `latest`.
    case version
    /// An ISO 8601 time with an offset.
    case dateTime
    /// true or false.
    case boolean
    /// The `nextCursor` of an earlier page.
    case cursor
    /// A JSON object (body fields only).
    case object
    /// A JSON array of strings (body fields only).
    case strings
    /// A JSON array of objects (body fields only).
    case objects

    /// A name as DeploymentNames takes it: 1 to 100 letters, digits, '-', '_' and '.', not starting
    /// with '-' or '.' (the pattern the document shows; the check itself is `DeploymentNames.validate`).
    static let namePattern = "^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$"
    /// A cursor as `RunCursor.text` writes it: seconds, an optional fraction, '_' and the run's id.
    static let cursorPattern = "^[0-9]{1,15}(\\.[0-9]{1,17})?_.+$"
}

/// A path or query parameter.
struct Input: Sendable {
    enum Location: String, Sendable { case path, query }

    var name: String
    var location: Location
    var type: InputType
    var required: Bool
    /// The value the handler takes when the parameter is absent or empty.
    var defaultValue: JSONValue?
    var description: String?

    /// A path parameter: always there, never empty.
    static func path(_ name: String, _ type: InputType = .string(minLength: 1)) -> Input {
        Input(name: name, location: .path, type: type, required: true)
    }

    /// A query parameter; an empty value is the same as none.
    static func query(_ name: String, _ type: InputType, default value: JSONValue? = nil, _ description: String? = nil) -> Input {
        Input(name: name, location: .query, type: type, required: false, defaultValue: value, description: description)
    }
}

/// A field of a JSON body. No field takes null: leave it out instead.
struct BodyField: Sendable {
    var name: String
    var type: InputType
    var required: Bool = false
    var description: String?

    static func required(_ name: String, _ type: InputType) -> BodyField { BodyField(name: name, type: type, required: true) }
    static func optional(_ name: String, _ type: InputType, _ description: String? = nil) -> BodyField {
        BodyField(name: name, type: type, description: description)
    }
}

/// What a route reads as its body.
enum Body: Sendable {
    /// A JSON object with these fields and no others, described in the document as `schema`. An
    /// empty list: the route takes no fields, and no body at all is fine.
    case json(schema: String, fields: [BodyField])
    /// The bytes of a file, streamed to disk.
    case upload
    /// A few bytes (`application/octet-stream`), read into memory up to ``InputLimits/maxBatchBytes``.
    case bytes
}

extension Contract {
    /// Every status the route can answer with and what each means: its success, its declared
    /// responses, its errors' statuses, 400 for input the contract refuses, 413 and 415 for a body
    /// that is too large or not JSON, 503 for a write to a full disk, and 500.
    func statuses(success: Int, summary: String, writes: Bool, open: Bool) -> [Int: String] {
        var statuses = responses
        statuses[success] = summary
        if statuses[400] == nil { statuses[400] = "The request was refused: the message names the input and what was expected" }
        for code in errors {
            let status = code.httpStatus
            if statuses[status] == nil { statuses[status] = Self.meaning[status] ?? code.apiCode }
        }
        if case .json? = body {
            statuses[413] = Self.meaning[413]
            statuses[415] = Self.meaning[415]
        }
        if case .upload? = body { statuses[413] = Self.meaning[413] }
        if case .bytes? = body {
            statuses[413] = Self.meaning[413]
            statuses[415] = Self.meaning[415]
        }
        if writes { statuses[503] = Self.meaning[503] }
        // Before any route: credentials missing or not valid and a role that does not allow it (on
        // all but open routes), a change from another origin, and a Host this server does not serve.
        if !open { statuses[401] = Self.meaning[401] }
        if !open || writes { statuses[403] = Self.meaning[403] }
        statuses[421] = Self.meaning[421]
        statuses[500] = Self.meaning[500]
        return statuses
    }

    static let meaning: [Int: String] = [
        401: "No credentials, or credentials that are not valid (an unknown, revoked or expired key, an ended session)",
        403: "Not allowed: the caller's role does not allow it, or a change came from another origin or without the session's CSRF token",
        404: "Nothing by that name or id",
        421: "The Host is not one this server answers for",
        409: "It conflicts with what exists",
        413: "The body is larger than the server accepts",
        415: "The body is not of a type the route takes",
        422: "The request is well formed but its content is refused (parameters, or the library)",
        500: "The server failed",
        503: "The store's disk is full",
    ]
}
