import BatonCore
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What the supervisor keeps while it supervises one runner.
struct Session {
    let run: FlowRunRecord
    let store: any RunRecorder
    /// Where the run's secrets and variables come from; nil: nowhere (a run that reads one fails).
    let values: (any RunValueReader)?
    /// The secrets handed to the runner, hidden in what the session records of its output.
    let secrets = SecretMask()
    let child: ChildProcess
    let observer: (RunEvent) -> Void
    var finished = false
    var failure: String?
    var output = CrashOutput()
    /// Events not written yet, in order: written after each batch the child sends, or, while the
    /// store cannot be written (see `StoreOutage`), kept until it can be.
    var pending: [RunEvent] = []
    /// The child's questions not answered yet, answered in order after the events before them.
    var requests: [(id: UInt64, request: RunnerRequest)] = []
    /// The store refusing writes now, if it does.
    var outage: StoreOutage?
    /// The outages this run lived through, summed, for its final state's message.
    var outages: OutageRecord?
    /// Whether the runner was stopped because too many events waited for the store.
    var overflowed = false
    /// Whether the slot requests that wait must be tried again once the store can be written.
    var slotRetryOwed = false
    /// Watches the store's doorbells once a task waits for a concurrency slot, so that a slot freed
    /// by another process is retried at once; runs that never wait never watch (see `Nudge`).
    var doorbell: (any StoreDoorbell)?
    /// The events of task runs created in the last `holdWindow` seconds and not finished yet, kept
    /// back so that a task run that finishes soon is written once, with its final state, rather than
    /// inserted and then updated for each state: in a 100,000-way map most task runs wait in the
    /// flow's queue for a while between their creation and their start. Held events are written when
    /// their task run finishes, when the window ends, or when the run ends.
    private var held: [String: [RunEvent]] = [:]
    private var heldOrder: [(id: String, until: Date)] = []
    private var heldHead = 0
    static let holdWindow: TimeInterval = 0.25
    var slotWaits: [(id: UInt64, tags: [String], taskRunID: String, flowRunID: String)] = []
    var flowRuns: Set<String>
    var cancelReason: String?
    var killAt: Date?
    var killed = false

    init(run: FlowRunRecord, store: any RunRecorder, values: (any RunValueReader)?, child: ChildProcess, observer: @escaping (RunEvent) -> Void) {
        self.run = run
        self.store = store
        self.values = values
        self.child = child
        self.observer = observer
        flowRuns = [run.id]
    }

    mutating func handle(_ messages: [RunnerMessage], _ lines: [String]) throws {
        let now = Date()
        for message in messages {
            switch message {
            case .events(let events):
                for event in events {
                    switch event {
                    case .taskRunCreated(let start):
                        held[start.id] = [event]
                        heldOrder.append((start.id, now.addingTimeInterval(Self.holdWindow)))
                    case .taskRunState(let change) where held[change.taskRunID] != nil:
                        held[change.taskRunID]!.append(event)
                        if change.state.type.isFinal { pending += held.removeValue(forKey: change.taskRunID)! }
                    case .flowRunState(let change) where change.flowRunID == run.id && change.state.type.isFinal:
                        finished = true
                        hold(until: .distantFuture)
                        pending.append(event)
                    case .flowRunCreated(let subflow):
                        flowRuns.insert(subflow.id)
                        pending.append(event)
                    default:
                        queue(event)
                    }
                }
            case .request(let id, let request):
                // Answered after what the child reported before asking, which the answer may depend on;
                // while the store cannot be written, the question waits with those events.
                requests.append((id, request))
                try flush()
            case .failure(_, let message):
                failure = secrets.apply(message)
            case .start, .response, .cancel, .manifest:
                break
            }
        }
        // What the runner wrote to its standard output and error bypasses its engine's mask: the
        // secrets this session handed it are hidden here.
        for line in lines.map({ secrets.apply($0) }) where !line.isEmpty {
            output.add(line)
            let level: LogLevel = CrashOutput.isCrashLine(line) ? .error : .info
            queue(.log(LogRecord(flowRunID: run.id, taskRunID: nil, taskRunName: nil, timestamp: Date(), level: level, message: line)))
        }
        hold(until: now)
        try flush()
        if outage != nil, pending.count >= StoreOutage.eventLimit, !overflowed {
            overflowed = true
            child.kill(SIGKILL)
        }
    }

    /// When the oldest held task run's window ends.
    var heldUntil: Date? { heldHead < heldOrder.count ? heldOrder[heldHead].until : nil }

    /// Moves the events of task runs held since before `time` to `pending`, oldest first.
    private mutating func hold(until time: Date) {
        while heldHead < heldOrder.count, heldOrder[heldHead].until <= time {
            if let events = held.removeValue(forKey: heldOrder[heldHead].id) { pending += events }
            heldHead += 1
        }
        if heldHead == heldOrder.count || heldHead >= 4096 && heldHead * 2 >= heldOrder.count {
            heldOrder.removeFirst(heldHead)
            heldHead = 0
        }
    }

    /// Writes the events of task runs held since before `time`.
    mutating func releaseHeld(before time: Date) throws {
        hold(until: time)
        try flush()
    }

    /// Adds an event to those waiting to be written; past `StoreOutage.logLimit` of them while the
    /// store cannot be written, a log line is counted instead.
    mutating func queue(_ event: RunEvent) {
        if case .log = event, outage != nil, pending.count >= StoreOutage.logLimit {
            outage!.droppedLogs += 1
        } else {
            pending.append(event)
        }
    }

    /// Writes the waiting events, then answers the waiting questions, in order. While the store
    /// refuses writes for want of space, they wait (see `StoreOutage`) until `retryAt`.
    mutating func flush() throws {
        if let outage, outage.nextTry > Date() { return }
        do {
            try writePending()
            while let next = requests.first {
                try answer(next.id, next.request)
                requests.removeFirst()
            }
            if slotRetryOwed {
                try retrySlotWaits()
                slotRetryOwed = false
            }
        } catch where StoreOutage.canWaitOut(error) {
            noteOutage(error)
            return
        }
        if endOutage() { try flush() }
    }

    /// When the store refusing writes should be tried again.
    var retryAt: Date? { outage?.nextTry }

    /// Writes the waiting events in one transaction and passes them to the observer.
    mutating func writePending() throws {
        guard !pending.isEmpty else { return }
        var batch = pending
        // A run that lived through an outage says so in its final state.
        if let index = batch.firstIndex(where: isFinalState), let sentence = outageSentence, case .flowRunState(var change) = batch[index] {
            change.state.message = [change.state.message, sentence].compactMap { $0 }.joined(separator: "; ")
            batch[index] = .flowRunState(change)
        }
        try store.apply(batch)
        pending = []
        batch.forEach(observer)
        if batch.contains(where: isFinalState) { store.ring("finished") }
    }

    private func isFinalState(_ event: RunEvent) -> Bool {
        if case .flowRunState(let change) = event { return change.flowRunID == run.id && change.state.type.isFinal }
        return false
    }

    /// After the runner ended: writes every waiting event, whatever the pause; throws the store's
    /// error while it cannot (the caller notes the outage and tries again).
    mutating func drain() throws {
        hold(until: .distantFuture)
        // Nobody waits for answers any more; the run's slots are given back as a whole.
        requests = []
        slotWaits = []
        try writePending()
        if endOutage() { try writePending() }
    }

    mutating func answer(_ id: UInt64, _ request: RunnerRequest) throws {
        switch request {
        case .cacheLookup(let key):
            try child.send(.response(id: id, .cache(try store.cachedResult(key: key, forRun: run.id, now: Date()))))
        case .acquireSlots(let tags, let taskRunID, let flowRunID):
            let granted = try store.acquireSlots(tags: tags, taskRunID: taskRunID, flowRunID: flowRunID, holder: .current)
            try child.send(.response(id: id, .slots(granted: granted)))
            if !granted {
                slotWaits.append((id, tags, taskRunID, flowRunID))
                if doorbell == nil {
                    doorbell = try? store.doorbell()
                    // A slot freed before the watch began rang no bell here: look once more.
                    slotRetryOwed = true
                }
            }
        case .readValue(let kind, let name, let flowRunID):
            // Only for the runs of this runner, and every refusal as the child's error, never the session's.
            do {
                guard flowRuns.contains(flowRunID) else { throw BatonError(.forbidden, "flow run '\(flowRunID)' is not this runner's") }
                guard let values else { throw BatonError(.notFound, "no \(kind.rawValue) '\(name)': this run has nowhere to read \(kind.rawValue)s from") }
                let value = try values.readValue(kind, name: name, flowRunID: flowRunID)
                if kind == .secret { secrets.add(value) }
                try child.send(.response(id: id, .value(value)))
            } catch let error as BatonError {
                try child.send(.response(id: id, .refused(error.code, message: error.message)))
            } catch {
                try child.send(.response(id: id, .refused(.runner, message: "\(error)")))
            }
        case .releaseSlots(let taskRunID):
            if try store.releaseSlots(taskRunID: taskRunID) {
                store.ring("limits")
                slotRetryOwed = true
            }
        }
    }

    /// Tries again, in order, the slot requests that had to wait. One granted is answered at once,
    /// so a failure part way answers none twice.
    mutating func retrySlotWaits() throws {
        var index = 0
        while index < slotWaits.count {
            let wait = slotWaits[index]
            if try store.acquireSlots(tags: wait.tags, taskRunID: wait.taskRunID, flowRunID: wait.flowRunID, holder: .current) {
                slotWaits.remove(at: index)
                try child.send(.response(id: wait.id, .slots(granted: true)))
            } else {
                index += 1
            }
        }
    }

    /// `retrySlotWaits` when a slot was freed elsewhere; while the store cannot be written, they are
    /// tried once it can.
    mutating func slotsFreed() throws {
        slotRetryOwed = true
        try flush()
    }

    mutating func requestCancel(reason: String, grace: Double) {
        guard cancelReason == nil else { return }
        cancelReason = reason
        slotWaits = []
        try? child.send(.cancel(reason: reason))
        killAt = Date().addingTimeInterval(grace)
    }

    func releaseSlots() throws {
        var any = false
        for id in flowRuns { any = try store.releaseSlots(flowRunID: id) || any }
        if any { store.ring("limits") }
    }
}
