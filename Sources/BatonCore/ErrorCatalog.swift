/// What each error code means to the API and to the command line: the one table of HTTP statuses,
/// API error codes and exit statuses. The server answers by it, the remote CLI reads answers back by
/// it, and `baton` exits by it.
extension BatonError.Code {
    /// The HTTP status the API answers with.
    public var httpStatus: Int {
        switch self {
        case .invalidInput: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .conflict: 409
        case .throttled: 429
        case .invalidParameter, .notALibrary, .noEntryPoint, .incompatibleLibrary, .registrationFailed, .buildFailed: 422
        case .store, .io, .runner: 500
        case .storeFull, .storeUnavailable: 503
        }
    }

    /// The code in the API's error answer (`{"error": code, …}`).
    public var apiCode: String {
        switch self {
        case .invalidInput: "bad_request"
        case .invalidParameter: "invalid_parameters"
        case .conflict: "conflict"
        case .notFound: "not_found"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .throttled: "too_many_requests"
        case .notALibrary, .noEntryPoint, .incompatibleLibrary, .registrationFailed: "invalid_library"
        case .buildFailed: "build_failed"
        case .storeFull: "store_full"
        case .storeUnavailable: "store_unavailable"
        case .store, .io, .runner: "internal"
        }
    }

    /// `baton`'s exit status: 2 when what the user gave must change, 1 otherwise.
    public var exitStatus: Int32 {
        switch self {
        case .invalidInput, .invalidParameter, .conflict, .notFound, .unauthorized, .forbidden: 2
        default: 1
        }
    }

    /// The code of an API error answer: the code whose `apiCode` it is (a library refusal reads back as
    /// `registrationFailed`, `internal` as `io`); a code this table does not hold (an HTTP-level
    /// refusal such as `method_not_allowed`) by its status, `io` for 5xx, else `invalidInput`.
    public init(apiCode: String, httpStatus: Int) {
        switch apiCode {
        case Self.registrationFailed.apiCode: self = .registrationFailed
        case Self.io.apiCode: self = .io
        default: self = Self.allCases.first { $0.apiCode == apiCode } ?? (httpStatus >= 500 ? .io : .invalidInput)
        }
    }
}
