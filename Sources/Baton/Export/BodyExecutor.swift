import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where flow, task and hook bodies run: threads of their own, outside Swift's cooperative pool.
///
/// A body that blocks its thread (file I/O, a C library, `sleep`) would otherwise hold one of the
/// pool's few threads (as many as there are cores), and a few such bodies stall every other task and
/// the engine. Here a monitor adds a thread whenever queued work has made no progress for a few
/// milliseconds while a busy worker is blocked (sleeping in the kernel, as `/proc` tells), so blocked
/// bodies cost threads, not progress. Workers that are merely busy or waiting for a core do not add
/// threads (more threads than cores only add switches and lock contention), unless the queue has
/// made no progress for 50 ms, so that long computations cannot hold quick bodies back for long.
///
/// `@unchecked Sendable`: all mutable state is guarded by `mutex`.
final class BodyExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = BodyExecutor()

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var threads = 0
    private var idle = 0
    /// Jobs started so far, which the monitor compares between its looks.
    private var started = 0
    /// The workers running a job now, with the number of that job.
    private var busy: [Int32: (job: Int, worker: Worker)] = [:]

    /// A worker thread's own record, which its thread finds through `workerKey`.
    ///
    /// `@unchecked Sendable`: `tid` is immutable and `hostDepth` atomic.
    private final class Worker: @unchecked Sendable {
        let tid: Int32
        /// How deep the worker is in calls to the host. The host may make a call wait (for room in
        /// its queue to the parent process): that is not a body blocking, and more threads would only
        /// wait with it, so the monitor adds none for a worker asleep in the host.
        let hostDepth = Atomic<Int>(0)
        init(tid: Int32) { self.tid = tid }
    }
    private let baseThreads: Int
    private let maximumThreads = 1024

    private init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        baseThreads = max(2, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        spawn { $0.monitor() }
    }

    /// Marks this executor's worker threads.
    private let workerKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        // A worker that queues the only job will very likely take it itself in a moment (it is
        // resuming a body that just handed over, or handing over to one): waking another thread would
        // only cost a switch. If the worker blocks instead, the monitor wakes a thread within 2 ms.
        let ownTurn = head == jobs.count && pthread_getspecific(workerKey) != nil
        jobs.append(job)
        let grow = !ownTurn && idle == 0 && threads < baseThreads
        if grow { threads += 1 } else if !ownTurn { pthread_cond_signal(condition) }
        pthread_mutex_unlock(mutex)
        if grow { spawn { $0.work() } }
    }

    private func work() {
        let worker = Worker(tid: Self.threadID())
        let tid = worker.tid
        pthread_setspecific(workerKey, Unmanaged.passRetained(worker).toOpaque())
        let executor = asUnownedTaskExecutor()
        pthread_mutex_lock(mutex)
        while true {
            busy[tid] = nil
            while head == jobs.count {
                if head > 0 {
                    jobs.removeAll(keepingCapacity: true)
                    head = 0
                }
                idle += 1
                pthread_cond_wait(condition, mutex)
                idle -= 1
            }
            let job = jobs[head]
            head += 1
            started += 1
            busy[tid] = (started, worker)
            pthread_mutex_unlock(mutex)
            job.runSynchronously(on: executor)
            pthread_mutex_lock(mutex)
        }
    }

    /// Every 2 ms: if jobs wait and none started since the last look, the threads that would take
    /// them are busy: wake an idle one, or add one when a worker has been asleep in the kernel on the
    /// same job at two looks in a row outside the host (a body blocked in I/O or `sleep`, not one
    /// waiting a moment for a lock or a core), or when the queue has been stuck for 50 ms.
    private func monitor() {
        struct Sleeper: Hashable { let tid: Int32, job: Int }
        var seen = -1
        var stuckLooks = 0
        var sleepers: Set<Sleeper> = []
        while true {
            usleep(2000)
            pthread_mutex_lock(mutex)
            let stuck = jobs.count > head && started == seen
            seen = started
            stuckLooks = stuck ? stuckLooks + 1 : 0
            let wake = stuck && idle > 0
            if wake { pthread_cond_signal(condition) }
            let workers = stuck && !wake && threads < maximumThreads ? busy : [:]
            pthread_mutex_unlock(mutex)
            let asleep = Set(
                workers.values.filter { $0.worker.hostDepth.load(ordering: .relaxed) == 0 && Self.isBlocked($0.worker.tid) }
                    .map { Sleeper(tid: $0.worker.tid, job: $0.job) })
            defer { sleepers = asleep }
            // After 50 ms stuck with every worker in a body (a long computation), a thread is added;
            // not while one waits in the host, which is then what holds the queue back.
            let longStuck = stuckLooks >= 25 && workers.values.allSatisfy { $0.worker.hostDepth.load(ordering: .relaxed) == 0 }
            guard longStuck || !asleep.isDisjoint(with: sleepers) else { continue }
            pthread_mutex_lock(mutex)
            threads += 1
            pthread_mutex_unlock(mutex)
            spawn { $0.work() }
            stuckLooks = 0
        }
    }

    /// Runs a call into the host, marked so that the monitor knows a wait in it is the host's.
    static func hostCall<Result>(_ call: () -> Result) -> Result {
        guard let record = pthread_getspecific(shared.workerKey) else { return call() }
        let worker = Unmanaged<Worker>.fromOpaque(record).takeUnretainedValue()
        worker.hostDepth.add(1, ordering: .relaxed)
        defer { worker.hostDepth.subtract(1, ordering: .relaxed) }
        return call()
    }

    /// The calling thread's kernel id, from `/proc/thread-self` ("pid/task/tid"): Glibc's module
    /// map has no `gettid`, and `syscall` is variadic.
    private static func threadID() -> Int32 {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = readlink("/proc/thread-self", &buffer, 63)
        guard count > 0 else { return -1 }
        let text = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(separator: "/").last.flatMap { Int32($0) } ?? -1
    }

    /// Whether a thread of this process is sleeping in the kernel (state S or D in its `stat`),
    /// rather than running or waiting for a core.
    private static func isBlocked(_ tid: Int32) -> Bool {
        guard tid > 0 else { return true }
        let fd = open("/proc/self/task/\(tid)/stat", O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 512) }
        guard count > 0 else { return false }
        // "tid (comm) S …": the state follows the last ')', as comm may itself hold parentheses.
        guard let close = buffer[..<count].lastIndex(of: UInt8(ascii: ")")), close + 2 < count else { return false }
        let state = buffer[close + 2]
        return state == UInt8(ascii: "S") || state == UInt8(ascii: "D")
    }

    private func spawn(_ body: @escaping (BodyExecutor) -> Void) {
        final class Start {
            let executor: BodyExecutor
            let body: (BodyExecutor) -> Void
            init(_ executor: BodyExecutor, _ body: @escaping (BodyExecutor) -> Void) {
                self.executor = executor
                self.body = body
            }
        }
        let start = Unmanaged.passRetained(Start(self, body)).toOpaque()
        var thread = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        pthread_create(&thread, &attributes, { context in
            let start = Unmanaged<Start>.fromOpaque(context!).takeRetainedValue()
            start.body(start.executor)
            return nil
        }, start)
        pthread_attr_destroy(&attributes)
    }
}
