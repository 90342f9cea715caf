import BatonCore
import BatonEngine
import BatonLoader
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The runner: the lean mode of the `baton` executable that a parent starts as a child process to load
/// one library version and either read its manifest or run one flow run of it. The parent never loads
/// flow code itself, so a flow that crashes takes only this child down.
///
///     baton runner manifest <library>   writes the library's manifest, or why it cannot be loaded
///     baton runner run                  reads a `start` message on fd 4 and runs it
public enum RunnerChild {
    public static func main(_ arguments: [String]) async -> Int32 {
        Interrupts.ignoreBrokenPipe()
        DynamicLibrary.lineBufferStandardOutput()
        let channel = PipeServices()
        switch arguments.first {
        case "manifest" where arguments.count == 2:
            do {
                let library = try RunEngine.load(libraryPath: arguments[1])
                channel.send(.manifest(String(decoding: library.manifestData, as: UTF8.self)))
            } catch {
                channel.send(failure(error))
            }
            await channel.flush()
            return 0
        case "run" where arguments.count == 1:
            guard case .start(let start)? = channel.receive() else {
                channel.send(.failure(code: .runner, message: "the runner expected a start message"))
                await channel.flush()
                return 2
            }
            do {
                try LibraryStore.verify(path: start.libraryPath, hash: start.libraryHash)
                let library = try RunEngine.load(libraryPath: start.libraryPath)
                let engine = RunEngine(library: library, spec: start.spec, services: channel)
                channel.listen(engine: engine)
                await engine.run()
            } catch {
                channel.send(failure(error))
            }
            await channel.flush()
            return 0
        default:
            FileHandle.standardError.write(Data("baton runner is started by baton itself, not by hand\n".utf8))
            return 2
        }
    }

    private static func failure(_ error: any Error) -> RunnerMessage {
        if let error = error as? BatonError { return .failure(code: error.code, message: error.message) }
        return .failure(code: .runner, message: String(describing: error))
    }
}

/// The child's side of the pipes, as the engine's services: messages to the parent on fd 3, written
/// in order by one writer thread that sends every event queued meanwhile in one frame; answers and
/// cancellations from the parent on fd 4, read by a reader thread.
///
/// Events are encoded by the thread that makes them, outside the lock, and queued as bytes: queuing
/// the events themselves cost a copy of each (a retain of every string in it) under the lock and a
/// second pass to encode them on the writer. When the parent falls behind, what is queued stops
/// growing at `limit` bytes and the threads that make events wait for the writer.
///
/// `@unchecked Sendable`: all mutable state is guarded by `mutex`.
final class PipeServices: RunServices, @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Wakes the writer.
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Wakes threads waiting for room in the queue.
    private let room = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Held while frames are written, so that the exit flush and the writer never interleave.
    private let writing = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Whether events come fast (more than 8 in the last millisecond): only then is it worth
    /// batching them. A quiet run writes each event at once, so that what a body did before it
    /// crashed the process has reached the parent.
    private var busy = false
    /// Events in the current millisecond, which says whether events come fast.
    private var windowStart: UInt64 = 0
    private var windowCount = 0

    /// The channel of this process, for the exit flush.
    nonisolated(unsafe) static var current: PipeServices?
    /// Complete frames, in order, not yet written.
    private var frames: [UInt8] = []
    /// Encoded events queued after the last frame, not yet framed, and how many.
    private var events: [UInt8] = []
    private var eventCount = 0
    /// A buffer the writer has written, kept for its capacity.
    private var spare: [UInt8] = []
    /// Bytes queued beyond which the threads that make events wait for the writer.
    private let limit = 1 << 20
    /// Items (events and messages) queued and written so far, for `flush`, and how many of them are
    /// in `frames` and `events` now.
    private var queued = 0
    private var written = 0
    private var buffered = 0
    /// The thread reading the parent's answers, which must never wait for room: the parent may be
    /// waiting for it to read.
    private var reader: pthread_t?
    /// The writer sleeps without a deadline only when nothing is queued; then the first item wakes it.
    private var writerIdle = false
    /// Something queued must go out at once: a request, an answer the parent waits for, a flush.
    private var urgent = false
    private var flushWaiters: [(Int, CheckedContinuation<Void, Never>)] = []
    private var nextRequest: UInt64 = 0
    private var answers: [UInt64: @Sendable (RunnerResponse) -> Void] = [:]
    private var slotWaits: [UInt64: CheckedContinuation<Bool, Never>] = [:]
    private var wantsCancel = false

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        pthread_cond_init(room, nil)
        pthread_mutex_init(writing, nil)
        Thread.detachNewThread { [self] in writeLoop() }
        PipeServices.current = self
        // A body that calls exit() ends the process before the writer's next turn: send what is queued.
        atexit { PipeServices.current?.flushNow() }
    }

    /// Writes everything queued, on the calling thread.
    func flushNow() {
        pthread_mutex_lock(writing)
        pthread_mutex_lock(mutex)
        let (bytes, items) = takeQueued()
        pthread_mutex_unlock(mutex)
        writeAll(bytes)
        finished(items)
        pthread_mutex_unlock(writing)
    }

    // MARK: Writing

    func emit(_ event: RunEvent) {
        var w = BinaryWriter()
        event.encode(into: &w)
        enqueue(event: w.bytes)
    }

    func send(_ message: RunnerMessage) {
        let frame = message.frame()
        pthread_mutex_lock(mutex)
        closeEvents()
        frames += frame
        queued += 1
        buffered += 1
        urgent = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    private func enqueue(event: [UInt8]) {
        pthread_mutex_lock(mutex)
        let now = DispatchTime.now().uptimeNanoseconds
        if now - windowStart > 1_000_000 {
            busy = windowCount > 8
            windowStart = now
            windowCount = 0
        }
        windowCount += 1
        // When events are few, the thread that made one writes it at once: a body that crashes the
        // process next cannot take it along. When they come fast, the writer batches them.
        if !busy, frames.isEmpty, eventCount == 0, writerIdle, pthread_mutex_trylock(writing) == 0 {
            queued += 1
            pthread_mutex_unlock(mutex)
            writeAll(Self.eventsFrame(event, count: 1))
            finished(1)
            pthread_mutex_unlock(writing)
            return
        }
        while frames.count + events.count > limit && !writerIdle && !isReader() {
            pthread_cond_wait(room, mutex)
        }
        events += event
        eventCount += 1
        queued += 1
        buffered += 1
        if writerIdle || urgent || events.count >= 1 << 16 { pthread_cond_signal(condition) }
        pthread_mutex_unlock(mutex)
    }

    /// Frames the events queued so far. Called with `mutex` held.
    private func closeEvents() {
        guard eventCount > 0 else { return }
        frames += Self.eventsFrame(events, count: eventCount)
        events.removeAll(keepingCapacity: true)
        eventCount = 0
    }

    /// Takes everything queued, framed, and how many items it holds, leaving an empty buffer.
    /// Called with `mutex` held.
    private func takeQueued() -> (bytes: [UInt8], items: Int) {
        closeEvents()
        var taken = spare
        swap(&taken, &frames)
        spare = []
        defer { buffered = 0 }
        pthread_cond_broadcast(room)
        return (taken, buffered)
    }

    private func isReader() -> Bool {
        guard let reader else { return false }
        return pthread_equal(reader, pthread_self()) != 0
    }

    /// An `events` message of `count` encoded events, framed.
    private static func eventsFrame(_ encoded: [UInt8], count: Int) -> [UInt8] {
        var w = BinaryWriter(capacity: encoded.count + 9)
        let length = UInt32(encoded.count + 5)
        w.u8(UInt8(length >> 24))
        w.u8(UInt8(length >> 16 & 0xFF))
        w.u8(UInt8(length >> 8 & 0xFF))
        w.u8(UInt8(length & 0xFF))
        w.u8(RunnerMessage.eventsTag)
        w.u32(UInt32(count))
        w.bytes += encoded
        return w.bytes
    }

    /// Counts items written and wakes the flushes they complete.
    private func finished(_ count: Int) {
        pthread_mutex_lock(mutex)
        written += count
        let ready = flushWaiters.filter { $0.0 <= written }
        flushWaiters.removeAll { $0.0 <= written }
        pthread_mutex_unlock(mutex)
        for (_, waiter) in ready { waiter.resume() }
    }

    func flush() async {
        await withCheckedContinuation { continuation in
            pthread_mutex_lock(mutex)
            if written >= queued {
                pthread_mutex_unlock(mutex)
                continuation.resume()
            } else {
                flushWaiters.append((queued, continuation))
                urgent = true
                pthread_cond_signal(condition)
                pthread_mutex_unlock(mutex)
            }
        }
    }

    /// Writes what is queued, in order. Once woken it lets producers add to the batch for up to 2 ms
    /// (unless something is urgent): a frame per event would cost a wake-up and a write each.
    private func writeLoop() {
        while true {
            pthread_mutex_lock(mutex)
            while frames.isEmpty && eventCount == 0 {
                writerIdle = true
                pthread_cond_broadcast(room)
                pthread_cond_wait(condition, mutex)
                writerIdle = false
            }
            if busy && !urgent && events.count < 1 << 16 {
                var deadline = timespec()
                clock_gettime(CLOCK_REALTIME, &deadline)
                deadline.tv_nsec += 2_000_000
                if deadline.tv_nsec >= 1_000_000_000 {
                    deadline.tv_sec += 1
                    deadline.tv_nsec -= 1_000_000_000
                }
                _ = pthread_cond_timedwait(condition, mutex, &deadline)
            }
            urgent = false
            pthread_mutex_unlock(mutex)
            pthread_mutex_lock(writing)
            pthread_mutex_lock(mutex)
            var (bytes, items) = takeQueued()
            pthread_mutex_unlock(mutex)
            writeAll(bytes)
            finished(items)
            pthread_mutex_unlock(writing)
            bytes.removeAll(keepingCapacity: true)
            pthread_mutex_lock(mutex)
            if spare.capacity < bytes.capacity { spare = bytes }
            pthread_mutex_unlock(mutex)
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(3, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            // The parent is gone: nobody will record what this run does, so stop it.
            if n <= 0 { _exit(3) }
            offset += n
        }
    }

    // MARK: Requests

    private func request(_ request: RunnerRequest, answer: @escaping @Sendable (RunnerResponse) -> Void) -> UInt64 {
        pthread_mutex_lock(mutex)
        nextRequest += 1
        let id = nextRequest
        answers[id] = answer
        pthread_mutex_unlock(mutex)
        send(.request(id: id, request))
        return id
    }

    func cachedResult(key: String) async -> CacheHit? {
        await withCheckedContinuation { continuation in
            _ = request(.cacheLookup(key: key)) { response in
                if case .cache(let hit) = response { continuation.resume(returning: hit) } else { continuation.resume(returning: nil) }
            }
        }
    }

    func readValue(_ kind: NamedValueKind, name: String, flowRunID: String) async throws -> String {
        let answer: RunnerResponse = await withCheckedContinuation { continuation in
            _ = request(.readValue(kind: kind, name: name, flowRunID: flowRunID)) { continuation.resume(returning: $0) }
        }
        switch answer {
        case .value(let value): return value
        case .refused(let code, let message): throw BatonError(code, message)
        default: throw BatonError(.runner, "the supervisor answered a \(kind.rawValue) read with something else")
        }
    }

    func acquireSlots(tags: [String], taskRunID: String, flowRunID: String, waiting: @escaping @Sendable () -> Void) async -> Bool {
        await withCheckedContinuation { continuation in
            pthread_mutex_lock(mutex)
            let cancelled = wantsCancel
            nextRequest += 1
            let id = nextRequest
            if !cancelled { slotWaits[id] = continuation }
            pthread_mutex_unlock(mutex)
            guard !cancelled else {
                continuation.resume(returning: false)
                return
            }
            let told = Mutex(false)
            pthread_mutex_lock(mutex)
            answers[id] = { [self] response in
                guard case .slots(let granted) = response else { return }
                if granted {
                    resolveSlotWait(id, true)
                } else if !told.withLock({ let was = $0; $0 = true; return was }) {
                    waiting()
                }
            }
            pthread_mutex_unlock(mutex)
            send(.request(id: id, .acquireSlots(tags: tags, taskRunID: taskRunID, flowRunID: flowRunID)))
        }
    }

    private func resolveSlotWait(_ id: UInt64, _ granted: Bool) {
        pthread_mutex_lock(mutex)
        let waiter = slotWaits.removeValue(forKey: id)
        answers[id] = nil
        pthread_mutex_unlock(mutex)
        waiter?.resume(returning: granted)
    }

    func releaseSlots(taskRunID: String) {
        send(.request(id: 0, .releaseSlots(taskRunID: taskRunID)))
    }

    func cancelWaits() {
        pthread_mutex_lock(mutex)
        wantsCancel = true
        let waits = slotWaits
        slotWaits = [:]
        for id in waits.keys { answers[id] = nil }
        pthread_mutex_unlock(mutex)
        for waiter in waits.values { waiter.resume(returning: false) }
    }

    // MARK: Reading

    /// Reads one message from fd 4, blocking.
    func receive() -> RunnerMessage? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            if let message = try? RunnerMessage.unframe(&buffer).first { return message }
            let n = chunk.withUnsafeMutableBytes { read(4, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            buffer += chunk[..<n]
        }
    }

    /// Reads the parent's answers and cancellations for the rest of the run.
    func listen(engine: RunEngine) {
        Thread.detachNewThread { [self] in
            pthread_mutex_lock(mutex)
            reader = pthread_self()
            pthread_mutex_unlock(mutex)
            var buffer: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(4, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                // The supervisor is gone (killed, or crashed): nobody records this run any more, and
                // its bodies may wait forever (for a server, a lock), so the runner ends here.
                guard n > 0 else { _exit(3) }
                buffer += chunk[..<n]
                guard let messages = try? RunnerMessage.unframe(&buffer) else { _exit(3) }
                for message in messages {
                    switch message {
                    case .response(let id, let response):
                        pthread_mutex_lock(mutex)
                        let answer = answers[id]
                        switch response {
                        case .cache, .value, .refused: answers[id] = nil
                        case .slots, .done: break
                        }
                        pthread_mutex_unlock(mutex)
                        answer?(response)
                    case .cancel(let reason):
                        engine.cancel(reason: reason)
                    default:
                        break
                    }
                }
            }
        }
    }
}
