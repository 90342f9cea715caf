import BatonCore
import BatonStore
import Foundation

/// What the supervisor keeps while it supervises one runner.
struct Session {
    let run: FlowRunRecord
    let store: any Store
    let child: ChildProcess
    let observer: (RunEvent) -> Void
    var finished = false
    var failure: String?
    var output = CrashOutput()
    var pending: [RunEvent] = []
    /// Watches the store's doorbells once a task waits for a concurrency slot, so that a slot freed
    /// by another process is retried at once; runs that never wait never watch (see `Nudge`).
    var doorbell: Doorbell?
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

    init(run: FlowRunRecord, store: any Store, child: ChildProcess, observer: @escaping (RunEvent) -> Void) {
        self.run = run
        self.store = store
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
                        pending.append(event)
                    }
                }
            case .request(let id, let request):
                // Answered after what the child reported before asking, which the answer may depend on.
                try applyPending()
                try answer(id, request)
            case .failure(_, let message):
                failure = message
            case .start, .response, .cancel, .manifest:
                break
            }
        }
        for line in lines where !line.isEmpty {
            output.add(line)
            let level: LogLevel = CrashOutput.isCrashLine(line) ? .error : .info
            pending.append(.log(LogRecord(flowRunID: run.id, taskRunID: nil, taskRunName: nil, timestamp: Date(), level: level, message: line)))
        }
        hold(until: now)
        try applyPending()
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
        try applyPending()
    }

    mutating func applyPending() throws {
        guard !pending.isEmpty else { return }
        try store.apply(pending)
        pending.forEach(observer)
        let ended = pending.contains {
            if case .flowRunState(let change) = $0 { return change.state.type.isFinal }
            return false
        }
        pending = []
        if ended { store.ring("finished") }
    }

    mutating func answer(_ id: UInt64, _ request: RunnerRequest) throws {
        switch request {
        case .cacheLookup(let key):
            try child.send(.response(id: id, .cache(try store.cachedResult(key: key, now: Date()))))
        case .acquireSlots(let tags, let taskRunID, let flowRunID):
            let granted = try store.acquireSlots(tags: tags, taskRunID: taskRunID, flowRunID: flowRunID, holder: .current)
            try child.send(.response(id: id, .slots(granted: granted)))
            if !granted {
                slotWaits.append((id, tags, taskRunID, flowRunID))
                if doorbell == nil {
                    doorbell = try? store.doorbell()
                    // A slot freed before the watch began rang no bell here: look once more.
                    try retrySlotWaits()
                }
            }
        case .releaseSlots(let taskRunID):
            if try store.releaseSlots(taskRunID: taskRunID) {
                store.ring("limits")
                try retrySlotWaits()
            }
        }
    }

    /// Tries again, in order, the slot requests that had to wait.
    mutating func retrySlotWaits() throws {
        var still: [(id: UInt64, tags: [String], taskRunID: String, flowRunID: String)] = []
        for wait in slotWaits {
            if try store.acquireSlots(tags: wait.tags, taskRunID: wait.taskRunID, flowRunID: wait.flowRunID, holder: .current) {
                try child.send(.response(id: wait.id, .slots(granted: true)))
            } else {
                still.append(wait)
            }
        }
        slotWaits = still
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
