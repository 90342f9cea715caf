import BatonCore
import BatonRunner
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The batches of one run attempt's events that a worker on another host has not delivered yet, on
/// disk: `BATON_HOME/spool/<run>-<attempt>/<number>.batch`, numbered from 1 in the order the runner
/// reported them. A batch is written (to a temporary file, then renamed) before it is sent, and
/// removed once the server has applied it, so a server that is away costs disk, not memory, and no
/// event; the server applies each number once, so a batch sent again after a lost answer is not
/// written twice.
final class EventSpool {
    let directory: String
    /// The number the next batch gets.
    private(set) var next = 1
    /// The numbers written and not yet delivered, oldest first.
    private(set) var waiting: [Int] = []

    init(home: BatonHome, flowRunID: String, attempt: Int) throws {
        directory = home.path + "/spool/\(flowRunID)-\(attempt)"
        // A spool left by an earlier process of this worker's home belongs to a run that was crashed
        // when that process died: its events are not this attempt's to send.
        try? FileManager.default.removeItem(atPath: directory)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw BatonError(.io, "cannot make the event spool \(directory): \(error.localizedDescription)")
        }
    }

    /// Writes a batch; returns its number. A full disk is `storeFull`, waited out as a full store is.
    @discardableResult
    func append(_ events: [RunEvent]) throws -> Int {
        let number = next
        let bytes = RunEventBatch.encode(events)
        let path = self.path(number)
        let temporary = path + ".tmp"
        let written = bytes.withUnsafeBytes { buffer -> Bool in
            let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 { if errno == EINTR { continue } else { return false } }
                offset += n
            }
            return true
        }
        guard written, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw BatonError(errno == ENOSPC ? .storeFull : .io, "cannot write batch \(number) of the event spool \(directory): \(reason)")
        }
        next += 1
        waiting.append(number)
        return number
    }

    /// The bytes of a waiting batch.
    func bytes(_ number: Int) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path(number)) else {
            throw BatonError(.io, "batch \(number) of the event spool \(directory) cannot be read")
        }
        return Array(data)
    }

    /// Forgets the oldest waiting batch: the server has it.
    func delivered(_ number: Int) {
        unlink(path(number))
        waiting.removeAll { $0 == number }
    }

    /// Removes the spool once every batch is delivered.
    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func path(_ number: Int) -> String { directory + "/\(number).batch" }
}
