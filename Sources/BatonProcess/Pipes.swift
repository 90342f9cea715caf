import BatonCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Pipes between baton's processes and threads: the one place that makes them.
public enum Pipes {
    /// A new pipe, both ends close-on-exec (so no child inherits them) and, when `nonBlocking`,
    /// non-blocking. Made in two steps (pipe, then fcntl: pipe2 is not exposed to Swift), so whoever
    /// spawns children while pipes are made serialises the two (see `Subprocess`).
    public static func make(nonBlocking: Bool = false) throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw BatonError(.runner, "cannot create a pipe: \(String(cString: strerror(errno)))") }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            if nonBlocking { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        }
        return (fds[0], fds[1])
    }
}
