import Foundation

/// What changed between two versions of a flow: every JSON path whose value differs, from the
/// registration facts (hash, label) down to a parameter's default.
public struct VersionDiff: Codable, Sendable, Hashable {
    public struct Change: Codable, Sendable, Hashable {
        public var path: String
        public var from: JSONValue?
        public var to: JSONValue?
    }

    public var flow: String
    public var from: Int
    public var to: Int
    public var changes: [Change]

    public init(_ a: VersionView, _ b: VersionView) throws {
        flow = a.flow
        from = a.version
        to = b.version
        let encoder = BatonCoding.encoder()
        var left = try JSONValue(json: encoder.encode(a)).objectValue ?? [:]
        var right = try JSONValue(json: encoder.encode(b)).objectValue ?? [:]
        // Facts every registration has of its own, which say nothing about what changed.
        for key in ["version", "registeredAt", "library"] {
            left[key] = nil
            right[key] = nil
        }
        var changes: [Change] = []
        Self.compare(.object(left), .object(right), path: "", into: &changes)
        self.changes = changes
    }

    private static func compare(_ a: JSONValue?, _ b: JSONValue?, path: String, into changes: inout [Change]) {
        if a == b { return }
        if case .object(let x)? = a, case .object(let y)? = b {
            for key in Set(x.keys).union(y.keys).sorted() {
                compare(x[key], y[key], path: path.isEmpty ? key : path + "." + key, into: &changes)
            }
            return
        }
        changes.append(Change(path: path, from: a, to: b))
    }
}
