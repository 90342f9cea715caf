import Baton
import Foundation
import Synchronization

/// Attempts so far, by task run: a task run's retries happen in one runner process.
let attemptsByTaskRun = Mutex<[String: Int]>([:])

struct FlakyParams: FlowParameters {
    var failures = 1
}

let flakyStep = task("flaky-step", retries: 2, retryDelay: .milliseconds(10)) { (failures: Int) -> Int in
    let id = RunInfo.current?.taskRunID ?? "local"
    let attempt = attemptsByTaskRun.withLock { state in
        state[id, default: 0] += 1
        return state[id]!
    }
    if attempt <= failures {
        throw FixtureError(description: "planned failure \(attempt) of \(failures)")
    }
    logger.info("succeeded on attempt \(attempt) (RunInfo says \(RunInfo.current?.attempt ?? 0))")
    return attempt
}

/// Fails `failures` times, then succeeds; with more than two failures it runs out of retries.
let flaky = Flow("flaky", description: "A task that fails, then succeeds under retries") { (params: FlakyParams) -> Int in
    try await flakyStep(params.failures)
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
}
