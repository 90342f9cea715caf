import BatonCore
import Foundation

/// Where the engine reports what happens: the pipe to the parent process in a runner, the store
/// directly in tests and benchmarks.
public protocol RunEventSink: Sendable {
    func emit(_ event: RunEvent)
}

/// The engine's clock, injectable so that tests of delays need not sleep.
public protocol EngineClock: Sendable {
    func now() -> Date
    func sleep(seconds: Double) async throws
}

/// Wall-clock time and real sleeps.
public struct SystemClock: EngineClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return }
        try await Task.sleep(for: .seconds(seconds))
    }
}

/// What one flow run is: the engine runs exactly this.
public struct FlowRunSpec: Codable, Sendable {
    public var flowRunID: String
    public var flowRunName: String
    public var flow: String
    public var version: Int
    public var parameters: [String: JSONValue]
    public var attempt: Int

    public init(
        flowRunID: String, flowRunName: String, flow: String, version: Int, parameters: [String: JSONValue], attempt: Int
    ) {
        self.flowRunID = flowRunID
        self.flowRunName = flowRunName
        self.flow = flow
        self.version = version
        self.parameters = parameters
        self.attempt = attempt
    }
}

/// The run information handed to bodies (`RunInfo` in the SDK).
struct RunInfoDocument: Encodable {
    var flowRunID: String
    var flowRunName: String
    var flowName: String
    var flowVersion: Int
    var taskRunID: String?
    var taskRunName: String?
    var attempt: Int

    var bytes: [UInt8] { Array((try? BatonCoding.encoder().encode(self)) ?? Data("{}".utf8)) }
}

/// The ABI's error object.
struct ErrorObject: Codable {
    var type: String
    var message: String

    static func decode(_ bytes: [UInt8]) -> ErrorObject {
        (try? JSONDecoder().decode(ErrorObject.self, from: Data(bytes)))
            ?? ErrorObject(type: "Error", message: String(decoding: bytes, as: UTF8.self))
    }

    var bytes: [UInt8] { Array((try? JSONEncoder().encode(self)) ?? Data()) }

    /// "FetchError: station unreachable", or the message alone when the type adds nothing.
    var text: String {
        let short = type.split(separator: ".").last.map(String.init) ?? type
        if short.isEmpty || short == "Error" || message.hasPrefix("task '") { return message }
        return "\(short): \(message)"
    }
}
