import Baton
import Foundation

struct TimeoutParams: FlowParameters {
    var seconds = 60.0
    var cooperative = true
}

/// Waits `seconds`, cooperatively (Task.sleep) or not (a blocking sleep that ignores cancellation).
let slowStep = task("slow-step", retries: 1, timeout: .milliseconds(300)) { (seconds: Double, cooperative: Bool) -> String in
    if cooperative {
        try await Task.sleep(for: .seconds(seconds))
    } else {
        usleep(UInt32(min(seconds, 4000) * 1_000_000))
    }
    return "finished"
}

let timeouts = Flow("timeouts", description: "A task that outlives its timeout") { (params: TimeoutParams) -> String in
    try await slowStep(params.seconds, params.cooperative)
}

/// A flow whose body blocks past its timeout, ignoring cancellation: the runner must still end.
let stuckFlow = Flow("stuck-flow", timeout: .milliseconds(500)) { () -> String in
    usleep(3_600_000_000)
    return "never"
}
