import BatonCore
import BatonEngine
import Foundation

/// What parent and runner child say to each other over their pipes, as length-prefixed JSON: four
/// bytes of big-endian length, then the message.
enum RunnerMessage: Codable, Sendable {
    /// Parent → child: run this flow run of the library at `libraryPath`, whose SHA-256 is `libraryHash`.
    case start(libraryPath: String, libraryHash: String, spec: FlowRunSpec)
    /// Child → parent: something the engine reported.
    case event(RunEvent)
    /// Child → parent: the library's manifest, as JSON text.
    case manifest(String)
    /// Child → parent: the child could not do what it was asked.
    case failure(code: BatonError.Code, message: String)

    static let maximumLength = 256 << 20

    func frame() throws -> [UInt8] {
        let body = try BatonCoding.encoder().encode(self)
        let n = UInt32(body.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + body
    }

    /// Removes and decodes every complete frame at the start of `buffer`.
    static func unframe(_ buffer: inout [UInt8]) throws -> [RunnerMessage] {
        var messages: [RunnerMessage] = []
        var offset = 0
        let decoder = BatonCoding.decoder()
        while buffer.count - offset >= 4 {
            let n = Int(buffer[offset]) << 24 | Int(buffer[offset + 1]) << 16 | Int(buffer[offset + 2]) << 8 | Int(buffer[offset + 3])
            guard n <= maximumLength else {
                throw BatonError(.runner, "the runner sent a message of \(n) bytes, more than the \(maximumLength) allowed")
            }
            guard buffer.count - offset - 4 >= n else { break }
            let body = Data(buffer[(offset + 4)..<(offset + 4 + n)])
            messages.append(try decoder.decode(RunnerMessage.self, from: body))
            offset += 4 + n
        }
        if offset > 0 { buffer.removeFirst(offset) }
        return messages
    }
}
