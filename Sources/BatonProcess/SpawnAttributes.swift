#if canImport(Glibc)
import Glibc
#endif

/// The attributes every child Baton starts gets: SIGINT, SIGTERM, SIGPIPE, SIGCHLD and SIGHUP back at
/// their defaults, no signal blocked (a child inherits its spawner's mask, and test runners block
/// SIGTERM), and a process group of its own, so that a Ctrl-C at the terminal reaches only the parent,
/// which decides how its children stop.
public enum SpawnAttributes {
    public static func with<T>(_ body: (inout posix_spawnattr_t) throws -> T) rethrows -> T {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGHUP] { sigaddset(&defaults, signal) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
        return try body(&attributes)
    }
}
