import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A pipe that a signal handler's thread writes to and the supervisor's poll loop reads.
public final class WakeupPipe: @unchecked Sendable {
    // @unchecked: both descriptors are set once; single-byte writes and reads of a pipe are atomic.
    public let fd: Int32
    private let writeFD: Int32

    public init() throws {
        (fd, writeFD) = try Pipes.make(nonBlocking: true)
    }

    deinit {
        close(fd)
        close(writeFD)
    }

    public func ring(_ byte: UInt8) {
        var byte = byte
        _ = write(writeFD, &byte, 1)
    }

    public func drain() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 64)
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return n > 0 ? Array(bytes[..<n]) : []
    }
}
