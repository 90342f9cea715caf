import BatonCore
import BatonEngine
import Foundation

/// What parent and runner child say to each other over their pipes: frames of a four-byte big-endian
/// length and a binary body (BinaryCoding.swift). The child sends on its fd 3, the parent on the
/// child's fd 4.
enum RunnerMessage: Sendable {
    /// Parent → child: run this flow run of this library.
    case start(RunnerStart)
    /// Parent → child: the answer to the child's request `id`.
    case response(id: UInt64, RunnerResponse)
    /// Parent → child: stop the run (`baton run cancel`, Ctrl-C).
    case cancel(reason: String)
    /// Child → parent: what the engine reported, in order.
    case events([RunEvent])
    /// Child → parent: a question only the store can answer.
    case request(id: UInt64, RunnerRequest)
    /// Child → parent: the library's manifest, as JSON text.
    case manifest(String)
    /// Child → parent: the child could not do what it was asked.
    case failure(code: BatonError.Code, message: String)

    static let maximumLength = 1 << 30
    /// The tag of `events`, which the child's writer frames itself.
    static let eventsTag: UInt8 = 4

    func frame() -> [UInt8] {
        var w = BinaryWriter()
        w.bytes = [0, 0, 0, 0]
        encode(into: &w)
        let n = UInt32(w.bytes.count - 4)
        w.bytes[0] = UInt8(n >> 24)
        w.bytes[1] = UInt8(n >> 16 & 0xFF)
        w.bytes[2] = UInt8(n >> 8 & 0xFF)
        w.bytes[3] = UInt8(n & 0xFF)
        return w.bytes
    }

    /// Removes and decodes every complete frame at the start of `buffer`.
    static func unframe(_ buffer: inout [UInt8]) throws -> [RunnerMessage] {
        var messages: [RunnerMessage] = []
        var offset = 0
        while buffer.count - offset >= 4 {
            let n = Int(buffer[offset]) << 24 | Int(buffer[offset + 1]) << 16 | Int(buffer[offset + 2]) << 8 | Int(buffer[offset + 3])
            guard n <= maximumLength else {
                throw BatonError(.runner, "the runner sent a message of \(n) bytes, more than the \(maximumLength) allowed")
            }
            guard buffer.count - offset - 4 >= n else { break }
            var reader = BinaryReader(buffer, offset: offset + 4)
            do {
                messages.append(try RunnerMessage(from: &reader))
            } catch {
                throw BatonError(.runner, "the runner sent a message that does not decode")
            }
            offset += 4 + n
        }
        if offset > 0 { buffer.removeFirst(offset) }
        return messages
    }

    private func encode(into w: inout BinaryWriter) {
        switch self {
        case .start(let start):
            w.u8(1)
            start.encode(into: &w)
        case .response(let id, let response):
            w.u8(2)
            w.u64(id)
            response.encode(into: &w)
        case .cancel(let reason):
            w.u8(3)
            w.string(reason)
        case .events(let events):
            w.u8(Self.eventsTag)
            w.u32(UInt32(events.count))
            for event in events { event.encode(into: &w) }
        case .request(let id, let request):
            w.u8(5)
            w.u64(id)
            request.encode(into: &w)
        case .manifest(let text):
            w.u8(6)
            w.string(text)
        case .failure(let code, let message):
            w.u8(7)
            w.string(code.rawValue)
            w.string(message)
        }
    }

    private init(from r: inout BinaryReader) throws {
        switch try r.u8() {
        case 1: self = .start(try RunnerStart(from: &r))
        case 2: self = .response(id: try r.u64(), try RunnerResponse(from: &r))
        case 3: self = .cancel(reason: try r.string())
        case 4:
            let count = Int(try r.u32())
            var events: [RunEvent] = []
            events.reserveCapacity(count)
            for _ in 0..<count { events.append(try RunEvent(from: &r)) }
            self = .events(events)
        case 5: self = .request(id: try r.u64(), try RunnerRequest(from: &r))
        case 6: self = .manifest(try r.string())
        case 7: self = .failure(code: BatonError.Code(rawValue: try r.string()) ?? .runner, message: try r.string())
        default: throw BinaryReader.Truncated()
        }
    }
}

/// What a runner child is to run.
struct RunnerStart: Sendable {
    var libraryPath: String
    var libraryHash: String
    var spec: FlowRunSpec

    func encode(into w: inout BinaryWriter) {
        w.string(libraryPath)
        w.string(libraryHash)
        w.string(String(decoding: (try? BatonCoding.encoder().encode(spec)) ?? Data(), as: UTF8.self))
    }

    init(libraryPath: String, libraryHash: String, spec: FlowRunSpec) {
        self.libraryPath = libraryPath
        self.libraryHash = libraryHash
        self.spec = spec
    }

    init(from r: inout BinaryReader) throws {
        libraryPath = try r.string()
        libraryHash = try r.string()
        spec = try BatonCoding.decoder().decode(FlowRunSpec.self, from: Data(try r.string().utf8))
    }
}

extension RunnerRequest {
    func encode(into w: inout BinaryWriter) {
        switch self {
        case .cacheLookup(let key):
            w.u8(1)
            w.string(key)
        case .acquireSlots(let tags, let taskRunID, let flowRunID):
            w.u8(2)
            w.strings(tags)
            w.string(taskRunID)
            w.string(flowRunID)
        case .releaseSlots(let taskRunID):
            w.u8(3)
            w.string(taskRunID)
        case .readValue(let kind, let name, let flowRunID):
            w.u8(4)
            w.string(kind.rawValue)
            w.string(name)
            w.string(flowRunID)
        }
    }

    init(from r: inout BinaryReader) throws {
        switch try r.u8() {
        case 1: self = .cacheLookup(key: try r.string())
        case 2: self = .acquireSlots(tags: try r.strings(), taskRunID: try r.string(), flowRunID: try r.string())
        case 3: self = .releaseSlots(taskRunID: try r.string())
        case 4:
            guard let kind = NamedValueKind(rawValue: try r.string()) else { throw BinaryReader.Truncated() }
            self = .readValue(kind: kind, name: try r.string(), flowRunID: try r.string())
        default: throw BinaryReader.Truncated()
        }
    }
}

extension RunnerResponse {
    func encode(into w: inout BinaryWriter) {
        switch self {
        case .cache(let hit):
            w.u8(1)
            if let hit {
                w.u8(1)
                w.string(hit.result)
                w.string(hit.taskRunID)
                w.optional(hit.taskRunName)
                w.string(hit.flowRunID)
                w.date(hit.createdAt)
            } else {
                w.u8(0)
            }
        case .slots(let granted):
            w.u8(2)
            w.bool(granted)
        case .done:
            w.u8(3)
        case .value(let value):
            w.u8(4)
            w.string(value)
        case .refused(let code, let message):
            w.u8(5)
            w.string(code.rawValue)
            w.string(message)
        }
    }

    init(from r: inout BinaryReader) throws {
        switch try r.u8() {
        case 1:
            if try r.u8() == 0 {
                self = .cache(nil)
            } else {
                self = .cache(CacheHit(
                    result: try r.string(), taskRunID: try r.string(), taskRunName: try r.optionalString(),
                    flowRunID: try r.string(), createdAt: try r.date()))
            }
        case 2: self = .slots(granted: try r.bool())
        case 3: self = .done
        case 4: self = .value(try r.string())
        case 5: self = .refused(BatonError.Code(rawValue: try r.string()) ?? .runner, message: try r.string())
        default: throw BinaryReader.Truncated()
        }
    }
}

/// Questions a runner child asks its parent, which owns the store.
enum RunnerRequest: Sendable {
    case cacheLookup(key: String)
    case acquireSlots(tags: [String], taskRunID: String, flowRunID: String)
    case releaseSlots(taskRunID: String)
    /// A secret or variable of the run's project.
    case readValue(kind: NamedValueKind, name: String, flowRunID: String)
}

/// The parent's answers. For `acquireSlots`, `slots(granted: false)` means "wait": a second answer
/// with the same id grants the slots later.
enum RunnerResponse: Sendable {
    case cache(CacheHit?)
    case slots(granted: Bool)
    case done
    /// A secret's or variable's value.
    case value(String)
    /// A read the store or the server refused (none of that name, not allowed), with why.
    case refused(BatonError.Code, message: String)
}
