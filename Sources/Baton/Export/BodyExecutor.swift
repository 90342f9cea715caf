#if canImport(Glibc)
import Glibc
#endif

/// Where flow, task and hook bodies run: threads of their own, outside Swift's cooperative pool.
///
/// A body that blocks its thread (file I/O, a C library, `sleep`) would otherwise hold one of the
/// pool's few threads (as many as there are cores), and a few such bodies stall every other task and
/// the engine. Here a monitor adds a thread whenever queued work has made no progress for a few
/// milliseconds, so blocked bodies cost threads, not progress; quick bodies share the first few.
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
        pthread_setspecific(workerKey, UnsafeRawPointer(bitPattern: 1))
        let executor = asUnownedTaskExecutor()
        pthread_mutex_lock(mutex)
        while true {
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
            pthread_mutex_unlock(mutex)
            job.runSynchronously(on: executor)
            pthread_mutex_lock(mutex)
        }
    }

    /// Every 2 ms: if jobs wait and none started since the last look, the threads that would take
    /// them are busy (blocked, or working long): wake an idle one, or add one.
    private func monitor() {
        var seen = -1
        while true {
            usleep(2000)
            pthread_mutex_lock(mutex)
            let stuck = jobs.count > head && started == seen
            seen = started
            var grow = false
            if stuck {
                if idle > 0 {
                    pthread_cond_signal(condition)
                } else if threads < maximumThreads {
                    threads += 1
                    grow = true
                }
            }
            pthread_mutex_unlock(mutex)
            if grow { spawn { $0.work() } }
        }
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
