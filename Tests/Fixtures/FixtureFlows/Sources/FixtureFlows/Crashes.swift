import Baton
import Foundation

struct CrashParams: FlowParameters {
    var how = "fatal"
}

let crashStep = task("crash-step") { (how: String) -> String in
    logger.info("about to crash (\(how))")
    switch how {
    case "fatal":
        fatalError("the fixture crashes on purpose")
    case "segv":
        UnsafeMutablePointer<Int>(bitPattern: 8)!.pointee = 42
    case "exit":
        exit(7)
    default:
        break
    }
    return "did not crash"
}

/// Crashes its runner: `how` is `fatal` (fatalError), `segv` (a bad pointer) or `exit` (exit(7)).
let crash = Flow("crash", description: "Takes its runner process down") { (params: CrashParams) -> String in
    try await crashStep(params.how)
}
