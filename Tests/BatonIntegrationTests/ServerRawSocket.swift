import BatonTestSupport

/// The raw loopback connection these tests send exact bytes with is the test targets' shared client
/// (BatonTestSupport/RawHTTPClient.swift), under the names these tests know it by.
typealias RawSocket = RawHTTPClient
typealias RawReply = RawHTTPResponse
