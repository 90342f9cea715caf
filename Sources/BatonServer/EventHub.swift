import BatonCore
import BatonHTTP
import BatonRunner
import BatonServices
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One live event as it goes out over SSE.
struct LiveEvent: Sendable {
    var id: Int
    var type: String
    /// The flow run it is about, for subscribers that follow one run.
    var flowRunID: String?
    /// The runs above it when it is a subflow run's: a client following a run sees its subflows too.
    var ancestors: [String] = []
    /// The project it belongs to; nil for what every project shares (workers).
    var project: String?
    var data: String
}

/// Live events for `/api/events`: a thread that wakes when any process commits a write to the store
/// (the store's change bell) or rings a topic (deployments, workers), reads what changed past its
/// position in the store's append-only tables, and hands the events to every subscriber.
///
/// Nothing polls: between changes the thread sleeps in `poll(2)` on the bells. A burst of writes is
/// read at most every `minimumInterval`, so a 100,000-task run costs a few passes a second.
public final class EventHub: @unchecked Sendable {
    // @unchecked: the subscribers and counters are guarded by `lock`; the feed state is touched by
    // the hub's own thread only.
    private let store: any Store
    private let log: @Sendable (String) -> Void
    private let minimumInterval: TimeInterval
    private let lock = NSLock()
    private var subscribers: [ObjectIdentifier: Subscription] = [:]
    private var nextID = 1
    private var stopped = false
    private let wakeup: WakeupPipe
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    // Feed state (hub thread only).
    private var position = FeedPosition(stateID: 0, logID: 0, versionID: 0)
    private var watermarks: [String: Date] = [:]
    private var seen: [String: [String: String]] = [:]
    /// Each run's parent (nil for a top-level run) and project, remembered: neither ever changes.
    private var lineage: [String: (parent: String?, project: String)] = [:]
    private var bell: (any StoreDoorbell)?

    /// A hub over the store of `services`.
    public init(services: Services, minimumInterval: TimeInterval = 0.1, log: @escaping @Sendable (String) -> Void) throws {
        store = services.store
        self.log = log
        self.minimumInterval = minimumInterval
        wakeup = try WakeupPipe()
    }

    /// Starts reading changes from now on.
    public func start() throws {
        position = try store.feedPosition()
        bell = try store.changeDoorbell()
        let thread = Thread { [self] in
            run(bell: bell!)
            finished.signal()
        }
        thread.name = "baton-events"
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
    }

    /// Ends every stream and the hub's thread.
    public func stop() {
        let subscribers = lock.withLock {
            stopped = true
            return Array(self.subscribers.values)
        }
        for subscriber in subscribers { subscriber.close() }
        if thread != nil {
            wakeup.ring(1)
            finished.wait()
            thread = nil
        }
    }

    private func run(bell: any StoreDoorbell) {
        var lastPass = Date.distantPast
        var pendingChanges = false
        var pendingTopics: Set<String> = []
        while !lock.withLock({ stopped }) {
            var timeout: Int32 = -1
            if pendingChanges || !pendingTopics.isEmpty {
                let wait = minimumInterval - Date().timeIntervalSince(lastPass)
                if wait <= 0 {
                    lastPass = Date()
                    do {
                        if pendingChanges { try readChanges() }
                        try readTopics(pendingTopics)
                    } catch {
                        log("live events: reading the store failed: \(error)")
                    }
                    pendingChanges = false
                    pendingTopics = []
                    continue
                }
                timeout = Int32((wait * 1000).rounded(.up))
            }
            var fds = [pollfd(fd: bell.fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeup.fd, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, timeout)
            let rang = bell.drain()
            if rang.contains("changes") { pendingChanges = true }
            pendingTopics.formUnion(rang.intersection(["deployments", "workers", "runs", "finished", "limits", AutomationService.historyTopic]))
            if !pendingTopics.isEmpty { pendingChanges = true }
            _ = wakeup.drain()
        }
    }

    /// Reads the store past the feed position and publishes what changed.
    private func readChanges() throws {
        let started = Date()
        var changedRuns: [String] = []
        while true {
            let changes = try store.changes(after: position, limit: 2000)
            position = changes.position
            changedRuns += changes.flowRunIDs
            for id in changes.flowRunIDs {
                if let run = try? store.flowRun(id, project: nil) { publish("flow_run", flowRunID: id, RunView(run)) }
            }
            for line in changes.logs { publish("log", flowRunID: line.flowRunID, LogView(line)) }
            for version in changes.versions { publish("version", flowRunID: nil, project: version.project, VersionView(version)) }
            if !changes.more { break }
        }
        // Task runs of runs under way, and of runs that just changed (their last task states): the
        // first `followedTaskRuns` of each, so that a huge run costs each pass a bounded index range.
        let active = Set(try store.activeFlowRunIDs()).union(changedRuns)
        for id in active { try readTaskRuns(of: id, at: started) }
        for id in Array(watermarks.keys) where !active.contains(id) {
            watermarks[id] = nil
            seen[id] = nil
        }
    }

    /// Task runs whose state changed since the run's watermark, less those already sent.
    private func readTaskRuns(of flowRunID: String, at now: Date) throws {
        // Runners hold new task runs back for up to 250 ms and supervisors write in batches, so a
        // state may be stored a while after its time: read back a few seconds, and send only changes.
        let since = watermarks[flowRunID] ?? .distantPast
        let views = try store.taskRunViews(flowRunID: flowRunID, changedSince: since, limit: Self.followedTaskRuns, withValues: false)
        watermarks[flowRunID] = now.addingTimeInterval(-5)
        var known = seen[flowRunID] ?? [:]
        var changed: [TaskRunView] = []
        for view in views {
            let fingerprint = "\(view.state)|\(view.stateName)|\(view.attempts)|\(view.history.count)"
            if known[view.id] != fingerprint {
                known[view.id] = fingerprint
                changed.append(view)
            }
        }
        seen[flowRunID] = known
        var start = 0
        while start < changed.count {
            let chunk = Array(changed[start..<min(changed.count, start + 500)])
            publish("task_runs", flowRunID: flowRunID, TaskRunBatch(flowRunID: flowRunID, taskRuns: chunk))
            start += 500
        }
    }

    /// How many task runs of a followed run are streamed: the first ones, as many as a run's page
    /// draws (its graph shows at most 2,000).
    static let followedTaskRuns = 2_000

    private func readTopics(_ topics: Set<String>) throws {
        if topics.contains("deployments") {
            for deployment in try store.deployments(flow: nil, project: nil) {
                publish("deployment", flowRunID: nil, project: deployment.project, try DeploymentService.view(deployment, in: store))
            }
        }
        if topics.contains("workers") {
            for worker in try store.workers(includeStopped: false, limit: 50) { publish("worker", flowRunID: nil, WorkerView(worker)) }
        }
        // Concurrency slots were given back somewhere: workers on other hosts with tasks waiting for
        // one ask again (no data: which tags is the store's to say when they ask).
        if topics.contains("limits") { publish("limits", flowRunID: nil, JSONValue.object([:])) }
        // Firings and deliveries recorded: pages showing an automation's history read it again.
        if topics.contains(AutomationService.historyTopic) { publish("automations", flowRunID: nil, JSONValue.object([:])) }
    }

    /// Hands an event to the subscribers that want it: one about a run goes to its project's
    /// subscribers only (its project read from the run), any other to `project`'s, or to every
    /// subscriber when it has none.
    private func publish(_ type: String, flowRunID: String?, project: String? = nil, _ value: some Encodable) {
        guard let data = try? BatonCoding.encoder().encode(value) else { return }
        var ancestors: [String] = []
        var project = project
        if let flowRunID {
            guard let found = self.ancestors(of: flowRunID) else { return }
            (ancestors, project) = (found.ancestors, found.project)
        }
        let targets = lock.withLock { () -> [(Subscription, LiveEvent)] in
            guard !subscribers.isEmpty else { return [] }
            let event = LiveEvent(
                id: nextID, type: type, flowRunID: flowRunID, ancestors: ancestors, project: project,
                data: String(decoding: data, as: UTF8.self))
            nextID += 1
            return subscribers.values.filter { $0.wants(event) }.map { ($0, event) }
        }
        for (subscriber, event) in targets { subscriber.push(event) }
    }

    /// The flow runs above a run, nearest first, and its project (hub thread only; remembered,
    /// since neither ever changes); nil when the run is gone.
    private func ancestors(of flowRunID: String) -> (ancestors: [String], project: String)? {
        func known(_ id: String) -> (parent: String?, project: String)? {
            if let found = lineage[id] { return found }
            guard let run = try? store.flowRun(id, project: nil) else { return nil }
            if lineage.count > 100_000 { lineage.removeAll() }
            lineage[id] = (run.parentFlowRunID, run.project)
            return lineage[id]
        }
        guard let own = known(flowRunID) else { return nil }
        var chain: [String] = []
        var parent = own.parent
        while let current = parent, chain.count < 16 {
            chain.append(current)
            parent = known(current)?.parent
        }
        return (chain, own.project)
    }

    // MARK: Subscribers

    /// The SSE response for one client: events as they happen, a comment every 15 s so that proxies
    /// keep the connection and a client that went away is noticed.
    public func stream(project: String, flowRun: String?) -> HTTPResponse {
        .eventStream { [self] writer in
            let subscription = Subscription(project: project, flowRun: flowRun)
            let admitted = lock.withLock { () -> Bool in
                guard !stopped else { return false }
                subscribers[ObjectIdentifier(subscription)] = subscription
                return true
            }
            guard admitted else { return }
            defer { _ = lock.withLock { subscribers.removeValue(forKey: ObjectIdentifier(subscription)) } }
            try writer.send(event: "hello", id: nil, data: "{}")
            while let events = subscription.next(timeout: 15) {
                if events.isEmpty {
                    try writer.comment("keep-alive")
                    continue
                }
                for event in events { try writer.send(event: event.type, id: String(event.id), data: event.data) }
            }
        }
    }

    /// How many clients are streaming.
    public var subscriberCount: Int { lock.withLock { subscribers.count } }
}

/// One client's queue of events: those of one project (the one its caller was allowed to read).
final class Subscription: @unchecked Sendable {
    // @unchecked: every field is guarded by `condition`.
    private let project: String
    private let flowRun: String?
    private let condition = NSCondition()
    private var queue: [LiveEvent] = []
    private var closed = false
    /// A client that stops reading cannot grow the server without bound: past this, its queue is
    /// dropped for a `resync` event telling it to fetch afresh.
    private static let capacity = 10_000

    init(project: String, flowRun: String?) {
        self.project = project
        self.flowRun = flowRun
    }

    func wants(_ event: LiveEvent) -> Bool {
        if let owner = event.project, owner != project { return false }
        guard let flowRun, let subject = event.flowRunID else { return true }
        return event.type == "flow_run" || subject == flowRun || event.ancestors.contains(flowRun)
    }

    func push(_ event: LiveEvent) {
        condition.lock()
        if queue.count >= Self.capacity {
            queue = [LiveEvent(id: event.id, type: "resync", flowRunID: nil, data: "{}")]
        } else {
            queue.append(event)
        }
        condition.signal()
        condition.unlock()
    }

    /// The events queued so far, waiting up to `timeout` seconds for one: empty on timeout, nil once closed.
    func next(timeout: TimeInterval) -> [LiveEvent]? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while queue.isEmpty && !closed {
            if !condition.wait(until: deadline) { break }
        }
        if closed { return nil }
        let events = queue
        queue = []
        return events
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
