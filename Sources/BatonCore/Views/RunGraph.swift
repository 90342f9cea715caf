import Foundation

/// A run's task-run graph for the UI: nodes and the engine's recorded edges between them.
public struct RunGraph: Encodable, Sendable {
    public struct Node: Encodable, Sendable {
        public var id: String
        public var name: String
        public var taskName: String
        public var kind: String
        public var state: String
        public var stateName: String
        public var startTime: Date?
        public var endTime: Date?
        public var childFlowRunID: String?

        public init(_ t: TaskRunView) {
            id = t.id
            name = t.name
            taskName = t.taskName
            kind = t.kind
            state = t.state
            stateName = t.stateName
            startTime = t.startTime
            endTime = t.endTime
            childFlowRunID = t.childFlowRunID
        }
    }

    public struct Edge: Encodable, Sendable {
        public var from: String
        public var to: String
        public var kind: String

        public init(from: String, to: String, kind: String) {
            self.from = from
            self.to = to
            self.kind = kind
        }
    }

    public var nodes: [Node]
    public var edges: [Edge]
    /// Whether the run has more task runs than the graph shows.
    public var truncated: Bool

    /// The graph of `nodes`: only the edges between two of them are kept.
    public init(nodes: [TaskRunView], edges: [TaskRunEdge], truncated: Bool) {
        let ids = Set(nodes.map(\.id))
        self.nodes = nodes.map(Node.init)
        self.edges = edges.filter { ids.contains($0.upstream) && ids.contains($0.downstream) }
            .map { Edge(from: $0.upstream, to: $0.downstream, kind: $0.kind) }
        self.truncated = truncated
    }
}
