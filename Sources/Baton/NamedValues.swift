import CBatonABI

#if canImport(Glibc)
import Glibc
#endif

/// The secrets of the project a run belongs to: passwords, tokens and keys that flows must not take
/// as parameters, where they would be stored and shown in clear. They are set with
/// `baton secret set NAME` and stored encrypted; a run reads them here, through the host.
///
/// ```swift
/// let token = try await Secret.value("warehouse-token")
/// logger.info("connecting with \(token)")    // stored as "connecting with ****"
/// ```
///
/// From the moment a run reads a secret, everything it records shows the value as `****`: log lines,
/// task inputs and results, artifacts and error messages. Outside a run (a unit test calling the flow
/// as a function), the value comes from the environment variable `BATON_SECRET_<NAME>` (the name in
/// upper case, '-' and '.' as '_'), so tests need no server.
public enum Secret {
    /// The value of the secret `name`; throws ``NamedValueError`` when there is none or the run may
    /// not read it.
    public static func value(_ name: String) async throws -> String {
        try await NamedValueReader.read(kind: "secret", name: name)
    }
}

/// The variables of the project a run belongs to: settings that are not secret, set with
/// `baton variable set NAME VALUE` and shown in the UI, read by flows at run time.
///
/// ```swift
/// let bucket = try await Variable.get("landing-bucket")
/// let batch = Int(try await Variable.get("batch-size", default: "500")) ?? 500
/// ```
///
/// Outside a run the value comes from the environment variable `BATON_VARIABLE_<NAME>`.
public enum Variable {
    /// The value of the variable `name`; throws ``NamedValueError`` when there is none.
    public static func get(_ name: String) async throws -> String {
        try await NamedValueReader.read(kind: "variable", name: name)
    }

    /// The value of the variable `name`, or `default` when the project has none of that name.
    public static func get(_ name: String, default value: String) async throws -> String {
        do {
            return try await get(name)
        } catch let error as NamedValueError where error.missing {
            return value
        }
    }
}

/// A secret or variable that could not be read: none of that name, or the run may not read it.
public struct NamedValueError: Error, CustomStringConvertible, Sendable {
    public let message: String
    /// Whether there is simply no value of that name.
    public let missing: Bool
    public var description: String { message }
}

enum NamedValueReader {
    static func read(kind: String, name: String) async throws -> String {
        guard let scope = RunScope.current else {
            let variable = "BATON_\(kind.uppercased())_" + String(name.uppercased().map { $0 == "-" || $0 == "." ? "_" : $0 })
            guard let value = getenv(variable).map({ String(cString: $0) }) else {
                throw NamedValueError(message: "no \(kind) '\(name)' outside a run: set \(variable) to give one", missing: true)
            }
            return value
        }
        let (status, output) = await scope.host.readValue(caller: scope.caller, kind: kind, name: name)
        guard status == BATON_STATUS_OK else {
            let info = ErrorInfo.decode(output)
            throw NamedValueError(message: info.message, missing: info.type == "notFound")
        }
        return String(decoding: output, as: UTF8.self)
    }
}
