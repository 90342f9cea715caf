import BatonCore
import Foundation

/// A compact binary encoding for the runner pipe. Parent and child are always the same `baton`
/// executable, so the format needs no versioning; it replaced JSON there because encoding and decoding
/// every event through Codable cost more than running a no-op task. Integers are little-endian; a
/// string is its UTF-8 length as a u32 and its bytes; an optional is a presence byte and the value.
struct BinaryWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func u32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func int(_ value: Int) { u64(UInt64(bitPattern: Int64(value))) }
    mutating func double(_ value: Double) { u64(value.bitPattern) }
    mutating func date(_ value: Date) { double(value.timeIntervalSince1970) }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            u32(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func optional(_ value: String?) {
        if let value {
            u8(1)
            string(value)
        } else {
            u8(0)
        }
    }

    mutating func optional(_ value: Int?) {
        if let value {
            u8(1)
            int(value)
        } else {
            u8(0)
        }
    }

    mutating func optional(_ value: Date?) {
        if let value {
            u8(1)
            date(value)
        } else {
            u8(0)
        }
    }

    mutating func strings(_ values: [String]) {
        u32(UInt32(values.count))
        for value in values { string(value) }
    }

    mutating func state(_ state: RunState) {
        u8(StateCode.code(state.type))
        string(state.name)
        optional(state.message)
        date(state.timestamp)
    }
}

struct BinaryReader {
    let bytes: [UInt8]
    var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    struct Truncated: Error {}

    mutating func u8() throws -> UInt8 {
        guard offset < bytes.count else { throw Truncated() }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func bool() throws -> Bool { try u8() != 0 }

    mutating func u32() throws -> UInt32 {
        guard offset + 4 <= bytes.count else { throw Truncated() }
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[offset + i]) << (8 * i) }
        offset += 4
        return value
    }

    mutating func u64() throws -> UInt64 {
        guard offset + 8 <= bytes.count else { throw Truncated() }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * i) }
        offset += 8
        return value
    }

    mutating func int() throws -> Int { Int(Int64(bitPattern: try u64())) }
    mutating func double() throws -> Double { Double(bitPattern: try u64()) }
    mutating func date() throws -> Date { Date(timeIntervalSince1970: try double()) }

    mutating func string() throws -> String {
        let count = Int(try u32())
        guard offset + count <= bytes.count else { throw Truncated() }
        defer { offset += count }
        return String(decoding: bytes[offset..<(offset + count)], as: UTF8.self)
    }

    mutating func optionalString() throws -> String? { try u8() == 0 ? nil : try string() }
    mutating func optionalInt() throws -> Int? { try u8() == 0 ? nil : try int() }
    mutating func optionalDate() throws -> Date? { try u8() == 0 ? nil : try date() }

    mutating func strings() throws -> [String] {
        let count = Int(try u32())
        guard count <= bytes.count else { throw Truncated() }
        return try (0..<count).map { _ in try string() }
    }

    mutating func state() throws -> RunState {
        let type = StateCode.type(try u8())
        let name = try string()
        let message = try optionalString()
        return RunState(type, name: name, message: message, at: try date())
    }
}

enum StateCode {
    static let all = StateType.allCases
    static func code(_ type: StateType) -> UInt8 { UInt8(all.firstIndex(of: type) ?? 0) }
    static func type(_ code: UInt8) -> StateType { Int(code) < all.count ? all[Int(code)] : .crashed }
}
