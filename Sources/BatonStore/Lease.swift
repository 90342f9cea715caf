import BatonCore
import BatonProcess
import CPostgres
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Something one process of a store holds at a time, such as the right to run the scheduling pass
/// (``WorkerStore/lease(_:)``). A dead holder's lease comes free by itself, at once: the kernel drops
/// a dead process's file lock, and PostgreSQL ends a dead process's session with its advisory locks.
public protocol Lease: AnyObject, Sendable {
    /// Waits for the lease on a thread of its own and calls `acquired` once it is held. The lease is
    /// held until ``release()`` or the process ends.
    func whenAcquired(_ acquired: @escaping @Sendable () -> Void)
    /// Gives the lease up.
    func release()
}

/// A lease of the SQLite store, whose processes share one host: an exclusive lock on a file of the
/// store's `locks` folder.
final class FileLease: Lease {
    let lock: ProcessLock

    init(path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        lock = try ProcessLock(path: path)
    }

    func whenAcquired(_ acquired: @escaping @Sendable () -> Void) { ProcessLock.whenAcquired(lock, acquired) }

    func release() { lock.unlock() }
}

/// A lease of the PostgreSQL store, whose processes may be on many hosts: a session advisory lock
/// held by a connection of its own. Should that connection be lost (the server restarted), the
/// lease is taken again on a new one; while it is being retaken another process may hold it, which
/// is safe for the scheduling pass, whose runs are keyed by deployment and slot in the database.
final class PostgresLease: Lease, @unchecked Sendable {
    // @unchecked: `released` and `canceller` are only touched under `state`.
    private let url: String
    private let key: Int64
    private let state = NSLock()
    private var released = false
    private var canceller: OpaquePointer?

    init(url: String, name: String) {
        self.url = url
        key = Self.key(name)
    }

    deinit { release() }

    /// The advisory lock of lease `name`: "BALS" and the name's FNV-1a hash.
    static func key(_ name: String) -> Int64 {
        var hash: UInt32 = 2_166_136_261
        for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return Int64(0x4241_4C53) << 32 | Int64(hash)
    }

    func whenAcquired(_ acquired: @escaping @Sendable () -> Void) {
        Thread.detachNewThread { [self] in hold(acquired) }
    }

    private var isReleased: Bool { state.withLock { released } }

    private func hold(_ acquired: @escaping @Sendable () -> Void) {
        var announced = false
        while !isReleased {
            do {
                let connection = try PostgresConnection(url: url)
                let ready = state.withLock { () -> Bool in
                    guard !released else { return false }
                    canceller = connection.canceller()
                    return true
                }
                guard ready else { return }
                // Waits as long as another session holds it; `release` cancels the wait.
                try connection.execute("SELECT pg_advisory_lock(\(key))")
                if !announced {
                    announced = true
                    acquired()
                }
                while !isReleased && connection.isAlive(waitingMilliseconds: 1_000) {}
            } catch {
                if !isReleased { usleep(1_000_000) }
            }
            state.withLock {
                if let canceller { PQfreeCancel(canceller) }
                canceller = nil
            }
        }
    }

    func release() {
        state.withLock {
            released = true
            if let canceller {
                var buffer = [CChar](repeating: 0, count: 256)
                _ = PQcancel(canceller, &buffer, Int32(buffer.count))
            }
        }
    }
}
