import FoundationEssentials
import Synchronization

/// A task run started with `submit`, whose result arrives later.
///
/// ```swift
/// let a = extract.submit("Oslo")
/// let b = extract.submit("Lima")
/// let merged = try await merge(try await a.value, try await b.value)
/// let report = summarise.submit(merged, waitFor: [a, b])   // an edge from each in the run graph
/// ```
public final class TaskFuture<Output: Codable & Sendable>: AnyTaskFuture {
    /// The task run's id.
    public let taskRunID: String
    /// The task's name.
    public let taskName: String

    private struct State {
        var outcome: Result<Output, any Error>?
        var waiters: [CheckedContinuation<Result<Output, any Error>, Never>] = []
    }
    private let state = Locked(State())

    init(taskRunID: String, taskName: String) {
        self.taskRunID = taskRunID
        self.taskName = taskName
    }

    func resolve(_ outcome: Result<Output, any Error>) {
        let waiters: [CheckedContinuation<Result<Output, any Error>, Never>] = state.withLock { state in
            guard state.outcome == nil else { return [] }
            state.outcome = outcome
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: outcome) }
    }

    /// The task run's result, once it has one; throws `TaskRunFailure` when the task run failed.
    public var value: Output {
        get async throws { try await result.get() }
    }

    /// The task run's outcome, once it has one.
    public var result: Result<Output, any Error> {
        get async {
            await withCheckedContinuation { continuation in
                let ready: Result<Output, any Error>? = state.withLock { state in
                    if let outcome = state.outcome { return outcome }
                    state.waiters.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    /// Waits for the task run to finish; throws when it failed.
    public func wait() async throws { _ = try await value }
}

/// Any task future, for `waitFor:`.
public protocol AnyTaskFuture: Sendable {
    /// The task run's id.
    var taskRunID: String { get }
    /// Waits for the task run to finish; throws when it failed.
    func wait() async throws
}

extension FlowTask {
    /// Starts a task run and returns at once with its future. Inside a flow run the task runs under
    /// the flow's task concurrency and the global limits of its tags. `waitFor:` futures must complete
    /// first, and each adds an edge to the run's graph.
    public func submit(_ input: Input, waitFor: [any AnyTaskFuture] = []) -> TaskFuture<Output> {
        let future = TaskFuture<Output>(taskRunID: TaskRunIDs.make(), taskName: name)
        guard let scope = RunScope.current else {
            Task {
                for upstream in waitFor { try? await upstream.wait() }
                do { future.resolve(.success(try await body(input))) } catch { future.resolve(.failure(error)) }
            }
            return future
        }
        if waitFor.isEmpty {
            start(input, future: future, scope: scope, upstream: [])
        } else {
            Task(executorPreference: BodyExecutor.shared) {
                for upstream in waitFor {
                    do {
                        try await upstream.wait()
                    } catch {
                        future.resolve(.failure(TaskRunFailure(
                            task: name, type: "UpstreamFailure",
                            message: "not started: upstream task run \(upstream.taskRunID.prefix(8)) did not complete (\(error))")))
                        return
                    }
                }
                start(input, future: future, scope: scope, upstream: waitFor.map { ($0.taskRunID, "wait") })
            }
        }
        return future
    }

    /// Starts a task run on the result of another, once that completes, with an edge between them.
    public func submit(_ upstream: TaskFuture<Input>) -> TaskFuture<Output> {
        let future = TaskFuture<Output>(taskRunID: TaskRunIDs.make(), taskName: name)
        let scope = RunScope.current
        Task(executorPreference: BodyExecutor.shared) {
            let input: Input
            do {
                input = try await upstream.value
            } catch {
                future.resolve(.failure(TaskRunFailure(
                    task: name, type: "UpstreamFailure",
                    message: "not started: upstream task run \(upstream.taskRunID.prefix(8)) did not complete (\(error))")))
                return
            }
            guard let scope else {
                do { future.resolve(.success(try await body(input))) } catch { future.resolve(.failure(error)) }
                return
            }
            start(input, future: future, scope: scope, upstream: [(upstream.taskRunID, "future")])
        }
        return future
    }

    /// Runs the task on the result of another, with an edge between them.
    @discardableResult
    public func callAsFunction(_ upstream: TaskFuture<Input>) async throws -> Output {
        try await submit(upstream).value
    }

    /// Runs the task once per element, as one task run each, and returns their results in input order.
    /// Throws the first failure (in input order) once all have finished; use `mapResults` to get each
    /// element's outcome instead.
    public func map<S: Sequence>(_ inputs: S, waitFor: [any AnyTaskFuture] = []) async throws -> [Output]
    where S.Element == Input {
        try await mapResults(inputs, waitFor: waitFor).map { try $0.get() }
    }

    /// Runs the task once per element and returns each element's outcome, in input order.
    public func mapResults<S: Sequence>(_ inputs: S, waitFor: [any AnyTaskFuture] = []) async -> [Result<Output, any Error>]
    where S.Element == Input {
        let futures = inputs.map { submit($0, waitFor: waitFor) }
        var results: [Result<Output, any Error>] = []
        results.reserveCapacity(futures.count)
        for future in futures { results.append(await future.result) }
        return results
    }

    private func start(_ input: Input, future: TaskFuture<Output>, scope: RunScope, upstream: [(id: String, kind: String)]) {
        let inputJSON: [UInt8]
        do {
            inputJSON = try BatonJSON.encode(input)
        } catch {
            future.resolve(.failure(error))
            return
        }
        scope.host.submitCall(
            caller: scope.caller, task: name, input: inputJSON, options: optionsJSON,
            call: callJSON(id: future.taskRunID, input: input, upstream: upstream)
        ) { status, output in
            do { future.resolve(.success(try outcome(status, output))) } catch { future.resolve(.failure(error)) }
        }
    }
}
