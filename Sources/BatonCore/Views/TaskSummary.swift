import Foundation

/// A task of a version's library as the API summarises it.
public struct TaskSummary: Codable, Sendable, Hashable {
    public var name: String
    public var description: String?
    public var retries: Int
    public var timeoutSeconds: Double?
    public var tags: [String]

    public init(_ task: TaskManifest) {
        name = task.name
        description = task.options.description
        retries = task.options.retries
        timeoutSeconds = task.options.timeoutSeconds
        tags = task.options.tags
    }
}
