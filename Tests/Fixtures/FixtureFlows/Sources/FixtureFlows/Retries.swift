import Baton
import Foundation
import Synchronization

struct TransientError: Error, CustomStringConvertible {
    let description = "the service is busy"
}

struct PermanentError: Error, CustomStringConvertible {
    let description = "the input is invalid"
}

/// Attempts so far of the current task run (retries run in one process).
func attemptNumber() -> Int {
    let id = RunInfo.current?.taskRunID ?? "local"
    return attemptsByTaskRun.withLock { state in
        state[id, default: 0] += 1
        return state[id]!
    }
}

struct RetryParams: FlowParameters {
    var failures = 3
    var kind = "transient"
}

/// Fails `failures` times; retried with exponential backoff from 1 s, at most 3 s, ±50%.
let backoffStep = task("backoff-step", retries: 4) { (failures: Int) -> Int in
    let attempt = attemptNumber()
    if attempt <= failures { throw TransientError() }
    return attempt
}
.retry(delays: .exponential(base: .seconds(1), cap: .seconds(3)), jitter: 0.5)

/// Fails `failures` times; retried after 0.1 s, then 0.2 s, then 0.2 s.
let listStep = task("list-step", retries: 3) { (failures: Int) -> Int in
    let attempt = attemptNumber()
    if attempt <= failures { throw TransientError() }
    return attempt
}
.retry(delays: .list([.milliseconds(100), .milliseconds(200)]))

/// Retries transient errors only.
let conditionalStep = task("conditional-step", retries: 5) { (kind: String) -> Int in
    let attempt = attemptNumber()
    if attempt <= 2 { throw kind == "permanent" ? PermanentError() as any Error : TransientError() }
    return attempt
}
.retry(when: { $0 is TransientError })

let retrying = Flow("retrying", description: "Retry policies: backoff with jitter, a list of delays, a condition") {
    (params: RetryParams) -> [Int] in
    [try await backoffStep(params.failures), try await listStep(min(params.failures, 3)), try await conditionalStep(params.kind)]
}

/// A flow whose body fails on its first attempt and is retried.
let flakyFlow = Flow("flaky-flow", retries: 2, retryDelay: .milliseconds(10)) { () -> Int in
    let attempt = RunInfo.current?.attempt ?? 0
    if attempt < 2 { throw TransientError() }
    return attempt
}
