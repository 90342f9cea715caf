import FoundationEssentials

/// The manifest a library hands the host: its flows and tasks and what it was built with.
/// The host's reading of it is `LibraryManifest` in BatonCore; the JSON is the contract.
struct LibraryManifestDocument: Encodable {
    var abiMajor: UInt32
    var abiMinor: UInt32
    var swiftCompiler: UInt32
    var sdkVersion: String
    var flows: [FlowManifestDocument]
    var tasks: [TaskManifestDocument]
    /// Set when the library cannot describe itself, for example two flows of one name.
    var error: String?
}

struct FlowManifestDocument: Encodable {
    var name: String
    var description: String?
    /// A JSON Schema object: one property per parameter with its type, default and position.
    var parameters: JSONLiteral
    var resultType: String
    var schedule: Schedule?
    var sourceLocation: String
    var options: FlowOptions
}

struct TaskManifestDocument: Encodable {
    var name: String
    var inputType: String
    var outputType: String
    var options: TaskOptions
}
