import BatonTestSupport

/// The raw loopback client these tests send exact bytes with is the test targets' shared one
/// (BatonTestSupport/RawHTTPClient.swift), under the names these tests know it by.
typealias RawClient = RawHTTPClient
typealias RawResponse = RawHTTPResponse
typealias RawClientError = RawHTTPError
