import BatonCore
import Foundation

extension RunEvent {
    func encode(into w: inout BinaryWriter) {
        switch self {
        case .flowRunState(let c):
            w.u8(1)
            w.string(c.flowRunID)
            w.state(c.state)
            w.optional(c.result)
            w.optional(c.attempt)
        case .flowRunCreated(let run):
            w.u8(2)
            w.string(run.id)
            w.string(run.name)
            w.string(run.flow)
            w.int(run.version)
            w.string(JSONValue.object(run.parameters).jsonText)
            w.state(run.state)
            w.optional(run.rerunOf)
            w.optional(run.parentFlowRunID)
            w.optional(run.parentTaskRunID)
        case .taskRunCreated(let s):
            w.u8(3)
            w.string(s.id)
            w.string(s.flowRunID)
            w.int(s.flowRunAttempt)
            w.int(s.position)
            w.string(s.name)
            w.string(s.taskName)
            w.string(s.kind)
            w.optional(s.childFlowRunID)
            w.optional(s.parentTaskRunID)
            w.optional(s.input)
            w.optional(s.inputKey)
            w.optional(s.cacheKey)
            w.strings(s.tags)
            w.date(s.createdAt)
        case .taskRunState(let c):
            w.u8(4)
            w.string(c.taskRunID)
            w.string(c.flowRunID)
            w.state(c.state)
            w.int(c.attempt)
            w.optional(c.result)
            w.optional(c.cachedFrom)
        case .edges(let flowRunID, let edges):
            w.u8(5)
            w.string(flowRunID)
            w.u32(UInt32(edges.count))
            for edge in edges {
                w.string(edge.upstream)
                w.string(edge.downstream)
                w.string(edge.kind)
            }
        case .log(let l):
            w.u8(6)
            w.string(l.flowRunID)
            w.optional(l.taskRunID)
            w.optional(l.taskRunName)
            w.date(l.timestamp)
            w.u8(UInt8(l.level.rawValue))
            w.string(l.message)
        case .artifact(let a):
            w.u8(7)
            w.string(a.key)
            w.string(a.kind)
            w.string(a.data)
            w.optional(a.description)
            w.string(a.flowRunID)
            w.optional(a.taskRunID)
            w.date(a.createdAt)
        case .cacheStore(let e):
            w.u8(8)
            w.string(e.key)
            w.string(e.taskName)
            w.string(e.result)
            w.string(e.flowRunID)
            w.string(e.taskRunID)
            w.optional(e.taskRunName)
            w.date(e.createdAt)
            w.optional(e.expiresAt)
        }
    }

    init(from r: inout BinaryReader) throws {
        switch try r.u8() {
        case 1:
            self = .flowRunState(
                FlowRunStateChange(flowRunID: try r.string(), state: try r.state(), result: try r.optionalString(), attempt: try r.optionalInt()))
        case 2:
            let id = try r.string()
            let name = try r.string()
            let flow = try r.string()
            let version = try r.int()
            let parameters = (try? JSONValue(json: try r.string()))?.objectValue ?? [:]
            self = .flowRunCreated(
                NewFlowRun(
                    flow: flow, version: version, parameters: parameters, state: try r.state(), rerunOf: try r.optionalString(),
                    parentFlowRunID: try r.optionalString(), parentTaskRunID: try r.optionalString(), id: id, name: name))
        case 3:
            self = .taskRunCreated(
                TaskRunStart(
                    id: try r.string(), flowRunID: try r.string(), flowRunAttempt: try r.int(), position: try r.int(),
                    name: try r.string(), taskName: try r.string(), kind: try r.string(), childFlowRunID: try r.optionalString(),
                    parentTaskRunID: try r.optionalString(), input: try r.optionalString(), inputKey: try r.optionalString(),
                    cacheKey: try r.optionalString(), tags: try r.strings(), createdAt: try r.date()))
        case 4:
            self = .taskRunState(
                TaskRunStateChange(
                    taskRunID: try r.string(), flowRunID: try r.string(), state: try r.state(), attempt: try r.int(),
                    result: try r.optionalString(), cachedFrom: try r.optionalString()))
        case 5:
            let flowRunID = try r.string()
            let count = Int(try r.u32())
            var edges: [TaskRunEdge] = []
            for _ in 0..<count { edges.append(TaskRunEdge(upstream: try r.string(), downstream: try r.string(), kind: try r.string())) }
            self = .edges(flowRunID: flowRunID, edges)
        case 6:
            self = .log(
                LogRecord(
                    flowRunID: try r.string(), taskRunID: try r.optionalString(), taskRunName: try r.optionalString(),
                    timestamp: try r.date(), level: LogLevel(clamping: Int(try r.u8())), message: try r.string()))
        case 7:
            self = .artifact(
                ArtifactRecord(
                    key: try r.string(), kind: try r.string(), data: try r.string(), description: try r.optionalString(),
                    flowRunID: try r.string(), taskRunID: try r.optionalString(), createdAt: try r.date()))
        case 8:
            self = .cacheStore(
                CacheEntry(
                    key: try r.string(), taskName: try r.string(), result: try r.string(), flowRunID: try r.string(),
                    taskRunID: try r.string(), taskRunName: try r.optionalString(), createdAt: try r.date(),
                    expiresAt: try r.optionalDate()))
        default:
            throw BinaryReader.Truncated()
        }
    }
}

/// A batch of run events as a worker on another host sends it to the server (`POST
/// /api/workers/{id}/runs/{run}/events`): the runner pipe's encoding after a format byte, since the
/// worker's baton and the server's may differ.
public enum RunEventBatch {
    /// The format of the encoding; a change to `RunEvent`'s binary form bumps it.
    public static let format: UInt8 = 1

    public static func encode(_ events: [RunEvent]) -> [UInt8] {
        var w = BinaryWriter(capacity: 64 * events.count + 8)
        w.u8(format)
        w.u32(UInt32(events.count))
        for event in events { event.encode(into: &w) }
        return w.bytes
    }

    /// The events of a batch; refuses, naming what is wrong, bytes of another format or cut short.
    public static func decode(_ bytes: [UInt8]) throws -> [RunEvent] {
        var r = BinaryReader(bytes)
        do {
            let version = try r.u8()
            guard version == format else {
                throw BatonError(
                    .invalidInput,
                    "the event batch is in format \(version), and this server reads format \(format): run the same baton version on the worker and the server")
            }
            let count = Int(try r.u32())
            // Each event takes at least a byte: a count past the bytes is a lie, not an allocation.
            guard count <= bytes.count else { throw BinaryReader.Truncated() }
            var events: [RunEvent] = []
            events.reserveCapacity(count)
            for _ in 0..<count { events.append(try RunEvent(from: &r)) }
            guard r.offset == bytes.count else { throw BinaryReader.Truncated() }
            return events
        } catch is BinaryReader.Truncated {
            throw BatonError(.invalidInput, "the event batch is not valid: expected \(format)-format run events, as `baton worker start --api` sends")
        }
    }
}
