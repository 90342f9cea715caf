#if canImport(Glibc)
import Glibc
#endif

/// One run of a server, from `start()` to the end of `shutdown`: the connections being served, the
/// pipe that wakes their threads when it stops, and the thread count `shutdown` waits on.
///
/// A new run gets a new registry, so a thread of an old run that outlives `shutdown` (the one that
/// called it from a handler) never sees the new run's pipe or connections.
///
/// `@unchecked Sendable`: all mutable state is reached under `mutex`.
final class ConnectionRegistry: @unchecked Sendable {
    /// Whether a new connection may be served.
    enum Admission {
        case admitted(id: Int)
        case full
        case stopping
    }

    private struct Entry {
        let descriptor: Int32
        var thread: pthread_t?
    }

    /// Read end: readable once the server is stopping. Write end: rung once.
    let wake: (read: Int32, write: Int32)
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var connections: [Int: Entry] = [:]
    private var acceptorRunning = true
    private var nextID = 0
    private var stopping = false

    init() throws(SocketError) {
        wake = try Socket.pipe()
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(changed, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        Socket.close(wake.read)
        Socket.close(wake.write)
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    /// Counts a new connection in, unless the server is full or stopping.
    func admit(_ descriptor: Int32, limit: Int) -> Admission {
        locked {
            if stopping { return .stopping }
            if connections.count >= limit { return .full }
            nextID += 1
            connections[nextID] = Entry(descriptor: descriptor, thread: nil)
            return .admitted(id: nextID)
        }
    }

    /// Records the calling thread as the one serving `id`, so `shutdown` called from its handler
    /// does not wait for itself.
    func attach(_ id: Int) {
        locked { connections[id]?.thread = pthread_self() }
    }

    /// Counts a connection out. Call before closing its descriptor, so `forceClose` never shuts down
    /// a number the system has handed to someone else.
    func leave(_ id: Int) {
        locked {
            connections[id] = nil
            pthread_cond_broadcast(changed)
        }
    }

    func acceptorEnded() {
        locked {
            acceptorRunning = false
            pthread_cond_broadcast(changed)
        }
    }

    var isStopping: Bool { locked { stopping } }

    /// Marks the run as stopping and wakes every poller; true for the first caller only.
    func beginStopping() -> Bool {
        let first = locked {
            defer { stopping = true }
            return !stopping
        }
        if first { Socket.ring(wake.write) }
        return first
    }

    /// Waits until the accept thread and every connection thread but the caller's have ended, or
    /// `deadline` passes; true when they have.
    @discardableResult
    func waitUntilThreadsEnd(before deadline: Deadline?) -> Bool {
        locked {
            let me = pthread_self()
            let limit = deadline?.monotonicTimespec
            while acceptorRunning || connections.values.contains(where: { $0.thread.map { pthread_equal($0, me) == 0 } ?? true }) {
                guard var limit else {
                    pthread_cond_wait(changed, mutex)
                    continue
                }
                if pthread_cond_timedwait(changed, mutex, &limit) == ETIMEDOUT { return false }
            }
            return true
        }
    }

    /// Makes every connection's reads and writes fail, so threads blocked in them return; the calling
    /// thread's own connection is spared, since it is busy calling this.
    func forceClose() {
        locked {
            let me = pthread_self()
            for entry in connections.values where entry.thread.map({ pthread_equal($0, me) == 0 }) ?? true {
                Socket.shutdownBoth(entry.descriptor)
            }
        }
    }

    private func locked<Result>(_ body: () -> Result) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}
