import Baton
import Foundation

struct SecretParams: FlowParameters {
    var secret = "token"
    var variable = "greeting"
    /// Fail at the end, with the secret in the error's message.
    var fail = false
}

struct Leaked: Codable, Sendable {
    var token: String
    var echoed: String
}

/// Returns what it is given: a secret passed in comes back as the task's result.
let echoSecret = task("echo-secret") { (text: String) -> String in
    print("the task got \(text)")
    return text
}

/// Reads a secret and a variable, then does every careless thing with the secret: logs it, prints it,
/// passes it to a task, publishes it in an artifact, returns it, and (with `fail`) throws it. What is
/// stored must show **** in its place every time.
let secretReader = Flow("secret-reader", description: "Reads a secret and a variable and leaks the secret everywhere") { (params: SecretParams) -> Leaked in
    let greeting = try await Variable.get(params.variable, default: "hello")
    let token = try await Secret.value(params.secret)
    logger.info("\(greeting): the token is \(token)")
    print("printed token \(token)")
    // Straight to the runner's standard error, past the engine: the supervisor hides it.
    FileHandle.standardError.write(Data("stderr token \(token)\n".utf8))
    let echoed = try await echoSecret(token)
    Artifact.markdown("# Token\n\n\(token)", key: "token-report", description: "has \(token)")
    if params.fail {
        struct Leak: Error, CustomStringConvertible { var description: String }
        throw Leak(description: "failed holding \(token)")
    }
    return Leaked(token: token, echoed: echoed)
}
