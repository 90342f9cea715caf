import Foundation

/// An artifact with its data decoded: markdown text, table rows, or a link.
public struct ArtifactView: Codable, Sendable, Hashable {
    public var id: Int64
    public var key: String
    public var kind: String
    public var data: JSONValue
    public var description: String?
    public var flowRunID: String
    public var taskRunID: String?
    public var createdAt: Date

    public init(_ a: ArtifactRecord) {
        id = a.id
        key = a.key
        kind = a.kind
        data = a.kind == "markdown" ? .string(a.data) : ((try? JSONValue(json: a.data)) ?? .string(a.data))
        description = a.description
        flowRunID = a.flowRunID
        taskRunID = a.taskRunID
        createdAt = Timestamps.wholeMilliseconds(a.createdAt)
    }
}
