import FoundationEssentials

/// What a flow or task body can learn about the run it is part of.
///
/// `nil` outside a run, for example when a test calls a flow or task directly.
///
/// ```swift
/// let save = task("save") { (rows: [Row]) in
///     let name = "stations-\(RunInfo.current?.flowRunName ?? "local").csv"
///     …
/// }
/// ```
public struct RunInfo: Codable, Sendable, Hashable {
    /// The flow run's id (a UUID).
    public let flowRunID: String
    /// The flow run's generated name, such as `brave-otter`.
    public let flowRunName: String
    /// The flow's name.
    public let flowName: String
    /// The version of the flow that is running.
    public let flowVersion: Int
    /// The task run's id, inside a task body.
    public let taskRunID: String?
    /// The task run's name, such as `extract-0`, inside a task body.
    public let taskRunName: String?
    /// The attempt of the flow run, or inside a task body of the task run, counting from 1.
    public let attempt: Int

    /// The run of the current flow or task body, if any.
    public static var current: RunInfo? { RunScope.current?.info }
}
