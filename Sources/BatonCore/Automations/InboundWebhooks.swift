import Foundation

// Inbound webhooks, and the paths into their payloads that give a run its parameters.

/// An inbound webhook: `POST /api/webhooks/NAME` starts a run of `deployment`, its parameters taken
/// from the JSON payload by `mapping` (parameter → `$.path.in[0].payload`).
public struct WebhookRecord: Codable, Sendable, Hashable {
    public var id: Int64
    public var project: String
    public var name: String
    public var deployment: String
    /// The token, sealed with the host's secret key: it is both the bearer token and the HMAC key.
    public var sealedToken: String
    public var mapping: [String: String]
    public var createdBy: String?
    public var createdAt: Date

    public init(
        id: Int64, project: String, name: String, deployment: String, sealedToken: String, mapping: [String: String], createdBy: String?,
        createdAt: Date
    ) {
        self.id = id
        self.project = project
        self.name = name
        self.deployment = deployment
        self.sealedToken = sealedToken
        self.mapping = mapping
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}

/// `$.a.b[0].c`: a path into a JSON payload, as inbound webhooks map parameters.
public struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    public enum Step: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public let steps: [Step]
    public let description: String

    /// Reads `$`, `$.name`, `$.a.b`, `$.list[2]`, `$["odd key"]`; throws naming the path otherwise.
    public init(_ text: String) throws {
        description = text
        func bad(_ why: String) -> BatonError {
            BatonError(.invalidInput, "path '\(text)' is not valid: \(why) (expected $.field.sub[0], as in $.pull_request.number)", field: "mapping")
        }
        var chars = Array(text)
        guard chars.first == "$" else { throw bad("it must start with $") }
        chars.removeFirst()
        var steps: [Step] = []
        var i = 0
        while i < chars.count {
            if chars[i] == "." {
                i += 1
                var name = ""
                while i < chars.count, chars[i] != ".", chars[i] != "[" {
                    name.append(chars[i])
                    i += 1
                }
                guard !name.isEmpty else { throw bad("a '.' names nothing") }
                steps.append(.key(name))
            } else if chars[i] == "[" {
                guard let close = chars[i...].firstIndex(of: "]") else { throw bad("a '[' is not closed") }
                let inside = String(chars[(i + 1)..<close])
                if let index = Int(inside), index >= 0 {
                    steps.append(.index(index))
                } else if inside.count >= 2, inside.first == "\"" || inside.first == "'", inside.last == inside.first {
                    steps.append(.key(String(inside.dropFirst().dropLast())))
                } else {
                    throw bad("[\(inside)] is neither an index nor a quoted key")
                }
                i = close + 1
            } else {
                throw bad("unexpected '\(chars[i])'")
            }
            guard steps.count <= 32 else { throw bad("more than 32 steps") }
        }
        self.steps = steps
    }

    /// The value at this path in `value`, or nil when the payload has none there.
    public func value(in value: JSONValue) -> JSONValue? {
        var current = value
        for step in steps {
            switch (step, current) {
            case (.key(let key), .object(let fields)):
                guard let next = fields[key] else { return nil }
                current = next
            case (.index(let index), .array(let items)):
                guard index < items.count else { return nil }
                current = items[index]
            default: return nil
            }
        }
        return current
    }
}
