import BatonCore
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// What every backend does with what engines report: task runs, state histories, logs, results,
/// subflows, edges and artifacts.
@Suite struct TaskRunStoreConformance {
    func started(_ backend: StoreBackend) throws -> (StoreUnderTest, FlowRunRecord) {
        let subject = try backend.make()
        _ = try subject.store.register(sampleRegistration("aaaa"))
        let run = try subject.store.createFlowRun(NewFlowRun(flow: "etl", version: 1, parameters: [:]))
        try subject.store.apply([.flowRunState(FlowRunStateChange(flowRunID: run.id, state: RunState(.running)))])
        return (subject, run)
    }

    func created(_ id: String, _ run: FlowRunRecord, position: Int, input: String? = nil, at time: Date = Date()) -> RunEvent {
        .taskRunCreated(TaskRunStart(
            id: id, flowRunID: run.id, flowRunAttempt: 1, position: position, name: "extract-\(position)", taskName: "extract",
            input: input, createdAt: time))
    }

    func state(_ id: String, _ run: FlowRunRecord, _ state: RunState, attempt: Int = 1, result: String? = nil) -> RunEvent {
        .taskRunState(TaskRunStateChange(taskRunID: id, flowRunID: run.id, state: state, attempt: attempt, result: result))
    }

    @Test(arguments: StoreBackend.all)
    func eventsBuildHistoryTaskRunsAndLogsInOrder(_ backend: StoreBackend) throws {
        let (subject, run) = try started(backend)
        let store = subject.store
        let t = Date()
        var events: [RunEvent] = []
        for position in 1...3 {
            events.append(created("t\(position)", run, position: position, input: "[\(position)]", at: t))
            events.append(state("t\(position)", run, RunState(.running, at: t)))
        }
        events.append(state("t2", run, RunState(.scheduled, name: StateName.awaitingRetry, message: "boom", at: t)))
        events.append(state("t2", run, RunState(.running, name: StateName.retrying, at: t), attempt: 2))
        for position in 1...3 { events.append(state("t\(position)", run, RunState(.completed, at: t), attempt: position == 2 ? 2 : 1, result: "\(position * 10)")) }
        for line in 1...5 {
            events.append(.log(LogRecord(flowRunID: run.id, taskRunID: nil, taskRunName: nil, timestamp: t, level: .info, message: "line \(line)")))
        }
        try store.apply(events)

        let taskRuns = try store.taskRuns(flowRunID: run.id)
        #expect(taskRuns.map(\.id) == ["t1", "t2", "t3"])
        #expect(taskRuns.map(\.attempts) == [1, 2, 1])
        #expect(taskRuns.map(\.result) == [.int(10), .int(20), .int(30)])
        let views = try store.taskRunViews(flowRunID: run.id, changedSince: nil, limit: 100, withValues: true)
        #expect(views.map(\.id) == ["t1", "t2", "t3"])
        #expect(views[1].history.map(\.name) == ["Pending", "Running", StateName.awaitingRetry, StateName.retrying, "Completed"])
        #expect(views[0].input == .array([.int(1)]))
        #expect(try store.taskRunViews(flowRunID: run.id, changedSince: nil, limit: 2, withValues: false).map(\.id) == ["t1", "t2"])
        #expect(try store.taskRunViews(flowRunID: run.id, changedSince: nil, limit: 100, withValues: false).allSatisfy { $0.input == nil })
        let one = try store.taskRunView("t2")
        #expect(one.result == .int(20))
        #expect(one.attempts == 2)
        #expect(throws: BatonError.self) { try store.taskRunView("nope") }

        let lines = try store.logs(flowRunID: run.id, afterID: 0, limit: 3)
        #expect(lines.map(\.message) == ["line 1", "line 2", "line 3"])
        #expect(try store.logs(flowRunID: run.id, afterID: lines[2].id, limit: 10).map(\.message) == ["line 4", "line 5"])
        #expect(try store.countTaskRuns(flowRunID: run.id) == 3)
        #expect(try store.states(flowRunID: run.id).filter { $0.taskRunID == nil }.map(\.state.name) == ["Pending", "Running"])
    }

    @Test(arguments: StoreBackend.all)
    func aQuickTaskRunIsStoredOnceWithItsFinalState(_ backend: StoreBackend) throws {
        let (subject, run) = try started(backend)
        let t = Date()
        try subject.store.apply([
            created("quick", run, position: 1, at: t), state("quick", run, RunState(.running, at: t)),
            state("quick", run, RunState(.completed, at: t), result: "1"),
        ])
        let taskRuns = try subject.store.taskRuns(flowRunID: run.id)
        #expect(taskRuns.count == 1)
        #expect(taskRuns.first?.state.type == .completed)
        #expect(try subject.store.states(flowRunID: run.id).filter { $0.taskRunID == "quick" }.map(\.state.name) == ["Pending", "Running", "Completed"])
        #expect(try subject.store.countTaskRuns(flowRunID: nil) == 1)
    }

    @Test(arguments: StoreBackend.all)
    func largeResultsReadBackEqual(_ backend: StoreBackend) throws {
        let (subject, run) = try started(backend)
        let big = JSONValue.array((0..<20_000).map { .string("value \($0)") })
        try subject.store.apply([
            created("big", run, position: 1), state("big", run, RunState(.running)),
            state("big", run, RunState(.completed), result: big.jsonText),
            .flowRunState(FlowRunStateChange(flowRunID: run.id, state: RunState(.completed), result: big.jsonText)),
        ])
        #expect(try subject.store.taskRuns(flowRunID: run.id).first?.result == big)
        #expect(try subject.store.taskRunView("big").result == big)
        #expect(try subject.store.flowRun(run.id).result == big)
        #expect(try subject.connect().taskRunView("big").result == big)
    }

    @Test(arguments: StoreBackend.all)
    func subflowsAndEdgesAndArtifactsComeInTheirOrder(_ backend: StoreBackend) throws {
        let (subject, run) = try started(backend)
        let store = subject.store
        let t = Date()
        let children = (1...3).map { NewFlowRun(flow: "etl", version: 1, parameters: [:], parentFlowRunID: run.id, parentTaskRunID: "t\($0)") }
        var events: [RunEvent] = (1...3).map { created("t\($0)", run, position: $0, at: t) }
        events += children.map { .flowRunCreated($0) }
        events.append(.edges(flowRunID: run.id, [
            TaskRunEdge(upstream: "t1", downstream: "t2", kind: "future"), TaskRunEdge(upstream: "t1", downstream: "t3", kind: "data"),
            TaskRunEdge(upstream: "t2", downstream: "t3", kind: "wait"),
        ]))
        for (index, key) in ["first", "second", "third"].enumerated() {
            events.append(.artifact(ArtifactRecord(
                key: key, kind: "markdown", data: "# \(key)", description: nil, flowRunID: run.id, taskRunID: "t1",
                createdAt: t.addingTimeInterval(Double(index)))))
        }
        try store.apply(events)
        #expect(try store.subflowRuns(of: run.id).map(\.id) == children.map(\.id))
        #expect(try store.edges(flowRunID: run.id).map { "\($0.upstream)>\($0.downstream):\($0.kind)" } == ["t1>t2:future", "t1>t3:data", "t2>t3:wait"])
        #expect(try store.artifacts(flowRunID: run.id, key: nil, limit: 10).map(\.key) == ["third", "second", "first"])
        #expect(try store.artifacts(flowRunID: nil, key: "second", limit: 10).map(\.data) == ["# second"])
        #expect(try store.artifacts(flowRunID: run.id, key: nil, limit: 2).count == 2)
    }
}
