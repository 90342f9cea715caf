import BatonCore
import Testing

/// The one table of what each error code means to the API and the command line.
@Suite struct ErrorCatalogTests {
    /// Today's answers, written out: (code, HTTP status, API code, exit status).
    static let table: [(BatonError.Code, Int, String, Int32)] = [
        (.invalidInput, 400, "bad_request", 2),
        (.invalidParameter, 422, "invalid_parameters", 2),
        (.conflict, 409, "conflict", 2),
        (.notFound, 404, "not_found", 2),
        (.unauthorized, 401, "unauthorized", 2),
        (.forbidden, 403, "forbidden", 2),
        (.throttled, 429, "too_many_requests", 1),
        (.notALibrary, 422, "invalid_library", 1),
        (.noEntryPoint, 422, "invalid_library", 1),
        (.incompatibleLibrary, 422, "invalid_library", 1),
        (.registrationFailed, 422, "invalid_library", 1),
        (.buildFailed, 422, "build_failed", 1),
        (.store, 500, "internal", 1),
        (.storeFull, 503, "store_full", 1),
        (.storeUnavailable, 503, "store_unavailable", 1),
        (.io, 500, "internal", 1),
        (.runner, 500, "internal", 1),
    ]

    @Test func everyCodeHasItsStatusApiCodeAndExitStatus() {
        #expect(Set(Self.table.map(\.0)) == Set(BatonError.Code.allCases))
        for (code, status, apiCode, exit) in Self.table {
            #expect(code.httpStatus == status, "\(code)")
            #expect(code.apiCode == apiCode, "\(code)")
            #expect(code.exitStatus == exit, "\(code)")
        }
    }

    @Test(arguments: BatonError.Code.allCases)
    func everyCodeReadsBackAsACodeWithTheSameAnswers(_ code: BatonError.Code) {
        let back = BatonError.Code(apiCode: code.apiCode, httpStatus: code.httpStatus)
        #expect(back.apiCode == code.apiCode)
        #expect(back.httpStatus == code.httpStatus)
        #expect(back.exitStatus == code.exitStatus)
    }

    @Test func sharedApiCodesReadBackAsTheCodeTheCLIAlwaysUsed() {
        #expect(BatonError.Code(apiCode: "invalid_library", httpStatus: 422) == .registrationFailed)
        #expect(BatonError.Code(apiCode: "internal", httpStatus: 500) == .io)
        #expect(BatonError.Code(apiCode: "store_full", httpStatus: 503) == .storeFull)
    }

    @Test func unknownApiCodesReadBackByStatus() {
        #expect(BatonError.Code(apiCode: "method_not_allowed", httpStatus: 405) == .invalidInput)
        #expect(BatonError.Code(apiCode: "payload_too_large", httpStatus: 413) == .invalidInput)
        #expect(BatonError.Code(apiCode: "unavailable", httpStatus: 503) == .io)
        #expect(BatonError.Code(apiCode: "", httpStatus: 502) == .io)
    }
}
