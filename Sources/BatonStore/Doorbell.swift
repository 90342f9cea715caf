import BatonCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Cross-process wake-ups on a store: a process rings a topic (`limits` when a concurrency slot
/// is freed, `cancel` when a run is asked to stop) and every process watching the store is woken at
/// once, without polling. On SQLite a ring writes `doorbells/<topic>` next to the database and the
/// watchers hear it through inotify.
public final class Doorbell: StoreDoorbell {
    /// A file descriptor that becomes readable when a topic rings; poll it, then call `drain`.
    public let fd: Int32

    convenience init(directory: String, mask: UInt32 = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO)) throws {
        try self.init(watching: [(directory, mask)])
    }

    /// One inotify instance for several directories: instances are few (128 per user by default),
    /// watches are many.
    init(watching directories: [(path: String, mask: UInt32)]) throws {
        for (directory, _) in directories {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else {
            throw BatonError(.store, "cannot watch \(directories[0].path) for wake-ups: \(String(cString: strerror(errno)))")
        }
        for (directory, mask) in directories where inotify_add_watch(fd, directory, mask) < 0 {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw BatonError(.store, "cannot watch \(directory) for wake-ups: \(reason)")
        }
    }

    deinit { close(fd) }

    /// The topics that rang since the last call.
    public func drain() -> Set<String> {
        var topics: Set<String> = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            var offset = 0
            while offset + 16 <= n {
                // struct inotify_event: wd, mask, cookie (3 × UInt32), len (UInt32), then the name.
                let length = Int(buffer[offset + 12]) | Int(buffer[offset + 13]) << 8 | Int(buffer[offset + 14]) << 16
                    | Int(buffer[offset + 15]) << 24
                let nameBytes = buffer[(offset + 16)..<min(n, offset + 16 + length)].prefix { $0 != 0 }
                if !nameBytes.isEmpty { topics.insert(String(decoding: nameBytes, as: UTF8.self)) }
                offset += 16 + length
            }
        }
        return topics
    }

    /// Wakes every watcher of `topic` in `directory`.
    static func ring(_ topic: String, in directory: String) {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // The same byte over the same byte: closing a written file is what watchers see. Truncating
        // instead frees the file's block, which on a file system mounted with `discard` waits for
        // the disk (measured: milliseconds at the end of every `baton run`).
        let fd = open(directory + "/" + topic, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        var byte: UInt8 = 1
        _ = pwrite(fd, &byte, 1, 0)
        close(fd)
    }
}

/// The bell every committed write rings, for the live-events feed: one byte written over itself in
/// a file kept open, which watchers see as a modification. It is separate from the topic doorbells so
/// that workers are not woken by every write of a busy run.
final class ChangeBell: @unchecked Sendable {
    // @unchecked: `fd` is only opened and read under `lock`; the one-byte write itself is atomic.
    private let path: String
    private let lock = NSLock()
    private var fd: Int32 = -1

    init(directory: String) { path = directory + "/changes" }

    deinit { if fd >= 0 { close(fd) } }

    func ring() {
        // The lock only guards opening; the write itself is atomic.
        lock.lock()
        if fd < 0 {
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        }
        let fd = self.fd
        lock.unlock()
        guard fd >= 0 else { return }
        var byte: UInt8 = 1
        _ = pwrite(fd, &byte, 1, 0)
    }
}
