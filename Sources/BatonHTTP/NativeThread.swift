#if canImport(Glibc)
import Glibc
#endif

/// Detached pthreads with a chosen stack size.
///
/// Not Dispatch: handlers block in SQLite and streams block in sends for as long as a client reads,
/// which would starve Dispatch's small, shared pool. Not Foundation's `Thread`: it keeps per-thread
/// objects alive that a short connection does not need.
enum NativeThread {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Starts `body` on a new detached thread; false when the system has no thread to give, and then
    /// `body` never runs.
    static func spawn(stackSize: Int, _ body: @escaping @Sendable () -> Void) -> Bool {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, &attributes, { context in
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        if created != 0 { Unmanaged<Body>.fromOpaque(context).release() }
        return created == 0
    }
}
