import Foundation

/// How large an input Baton reads into memory may be: JSON request bodies and parameter files share
/// one limit, set once per process (`--max-json-bytes` on `baton server start`, or the environment
/// variable `BATON_MAX_JSON_BYTES` for every command). Library uploads go to disk and have their own,
/// larger limit.
public enum InputLimits {
    /// The limit for JSON bodies and parameter files when nothing sets another: 1 MiB.
    public static let defaultMaxJSONBytes = 1 << 20
    /// The environment variable that sets the JSON limit, in bytes.
    public static let environmentVariable = "BATON_MAX_JSON_BYTES"
    /// The largest library a server accepts as an upload; it streams to a file, never to memory.
    public static let maxUploadBytes = 256 << 20
    /// The largest batch of run events a worker on another host sends in one request.
    public static let maxBatchBytes = 64 << 20

    /// The JSON limit the environment sets, or the default; a value that is not a positive whole
    /// number is refused naming the variable.
    public static func maxJSONBytes(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int {
        guard let text = environment[environmentVariable], !text.isEmpty else { return defaultMaxJSONBytes }
        return try parse(text, name: environmentVariable)
    }

    /// A byte count given by a person: a positive whole number.
    public static func parse(_ text: String, name: String) throws -> Int {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value > 0 else {
            throw BatonError(.invalidInput, "\(name) '\(text)' is not valid: expected a size in bytes such as \(defaultMaxJSONBytes)")
        }
        return value
    }

    /// "1048576 bytes (1.0 MB)": a limit in a message.
    public static func describe(_ limit: Int) -> String { "\(limit) bytes (\(LogText.bytes(limit)))" }
}
