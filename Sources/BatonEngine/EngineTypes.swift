import BatonCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A task call from library code, as the engine receives it.
struct TaskCall: Sendable {
    var task: String
    var input: [UInt8]
    var options: [UInt8]
    var call: CallInfo
    /// The task run whose body made the call, for a task called from a task.
    var parentTaskRunID: String?
}

/// Per-call information the SDK sends with `submit_call`.
struct CallInfo: Decodable, Sendable {
    struct Upstream: Decodable, Sendable {
        var id: String
        var kind: String
    }

    var id: String?
    var upstream: [Upstream]?
    var cacheKey: String?

    static let empty = CallInfo(id: nil, upstream: nil, cacheKey: nil)

    static func decode(_ bytes: [UInt8]) -> CallInfo {
        guard !bytes.isEmpty else { return .empty }
        // The common call carries only its id: {"id":"<36 characters>"}. Read that without a decoder.
        let prefix = Array(#"{"id":""#.utf8)
        if bytes.count == prefix.count + 36 + 2, bytes.starts(with: prefix), bytes[bytes.count - 2] == UInt8(ascii: "\""),
            bytes.last == UInt8(ascii: "}")
        {
            return CallInfo(id: String(decoding: bytes[prefix.count..<(prefix.count + 36)], as: UTF8.self), upstream: nil, cacheKey: nil)
        }
        return (try? JSONDecoder().decode(CallInfo.self, from: Data(bytes))) ?? .empty
    }
}

/// The run information handed to bodies (`RunInfo` in the SDK), as JSON bytes. Made for every
/// attempt, so the flow run's part is encoded once and the rest appended.
struct RunInfoDocument {
    /// `{"flowName":…,"flowRunID":…,"flowRunName":…,"flowVersion":…` of one flow run.
    let prefix: [UInt8]

    init(flowRunID: String, flowRunName: String, flowName: String, flowVersion: Int) {
        prefix = Array(
            ("{\"flowName\":\(JSONValue.quote(flowName)),\"flowRunID\":\(JSONValue.quote(flowRunID)),"
                + "\"flowRunName\":\(JSONValue.quote(flowRunName)),\"flowVersion\":\(flowVersion)").utf8)
    }

    func bytes(attempt: Int, taskRunID: String? = nil, taskRunName: String? = nil) -> [UInt8] {
        var out = prefix
        out.reserveCapacity(prefix.count + 120)
        out += Array(",\"attempt\":\(attempt)".utf8)
        if let taskRunID { out += Array(",\"taskRunID\":".utf8) + Array(JSONValue.quote(taskRunID).utf8) }
        if let taskRunName { out += Array(",\"taskRunName\":".utf8) + Array(JSONValue.quote(taskRunName).utf8) }
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// The ABI's error object: {"type", "message", "retryable"}.
struct ErrorObject: Codable {
    var type: String
    var message: String
    /// False when the task's retry condition declined the error.
    var retryable: Bool?

    static func decode(_ bytes: [UInt8]) -> ErrorObject {
        (try? JSONDecoder().decode(ErrorObject.self, from: Data(bytes)))
            ?? ErrorObject(type: "Error", message: String(decoding: bytes, as: UTF8.self))
    }

    var bytes: [UInt8] { Array((try? JSONEncoder().encode(self)) ?? Data()) }

    /// "FetchError: station unreachable", or the message alone when the type adds nothing.
    var text: String {
        let short = type.split(separator: ".").last.map(String.init) ?? type
        if short.isEmpty || short == "Error" || short == StateName.timedOut || message.hasPrefix("task '") || message.hasPrefix("subflow ") {
            return message
        }
        return "\(short): \(message)"
    }
}

/// How a body ended, from the engine's view.
enum BodyOutcome: Sendable {
    case finished(Int32, [UInt8])
    case timedOut
    /// The run was cancelled and the body did not stop within the grace period.
    case abandoned
}

/// A value set once by whichever of several racers comes first; later ones are ignored.
final class OneShot<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiter: CheckedContinuation<Value, Never>?
    }
    private let state = Locked(State())

    func resolve(_ value: Value) {
        let waiter: CheckedContinuation<Value, Never>? = state.withLock { state in
            guard state.value == nil else { return nil }
            state.value = value
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: value)
    }

    var value: Value {
        get async {
            await withCheckedContinuation { continuation in
                let ready: Value? = state.withLock { state in
                    if let value = state.value { return value }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}

/// Runs a flow run's task calls under its task concurrency: at most `limit` at once, the rest queued
/// in order, without a Swift task per queued job. A job starts its work synchronously and calls
/// `release()` when that work has finished; `release` starts the next queued job on the calling
/// thread. A caller that gets more than `maximumQueued` calls ahead of the slots waits until the
/// queue shortens: a 100,000-way map would otherwise hold every call it made in memory before the
/// first few finished. Callers are library threads, for which waiting is safe.
///
/// `@unchecked Sendable`: all mutable state is guarded by `mutex`.
final class TaskScheduler: @unchecked Sendable {
    typealias Job = @Sendable () -> Void
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let shorter = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var running = 0
    private var queue: [Job] = []
    private var head = 0
    private var waiting = 0
    let limit: Int
    let maximumQueued: Int

    init(limit: Int, maximumQueued: Int = 4096) {
        self.limit = max(1, limit)
        self.maximumQueued = max(1, maximumQueued)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(shorter, nil)
    }

    deinit {
        pthread_cond_destroy(shorter)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        shorter.deallocate()
    }

    /// Runs `job` now if a slot is free, else queues it, first waiting while the queue is full.
    func submit(_ job: @escaping Job) {
        pthread_mutex_lock(mutex)
        if queue.count - head >= maximumQueued {
            waiting += 1
            while queue.count - head > maximumQueued / 2 { pthread_cond_wait(shorter, mutex) }
            waiting -= 1
        }
        let start = running < limit
        if start { running += 1 } else { queue.append(job) }
        pthread_mutex_unlock(mutex)
        if start { job() }
    }

    /// Frees the slot of a finished job and starts the next queued one, if any, in that slot.
    func release() {
        pthread_mutex_lock(mutex)
        var next: Job?
        if head < queue.count {
            next = queue[head]
            queue[head] = {}
            head += 1
            // Callers wait until the queue is down to half, not for every slot: a wake-up per task
            // run would hand the processor back and forth between the caller and the bodies.
            if waiting > 0, queue.count - head <= maximumQueued / 2 { pthread_cond_broadcast(shorter) }
            if head == queue.count || head >= 4096 && head * 2 >= queue.count {
                queue.removeFirst(head)
                head = 0
            }
        } else {
            running -= 1
        }
        pthread_mutex_unlock(mutex)
        next?()
    }
}
