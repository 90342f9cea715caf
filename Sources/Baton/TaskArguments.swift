import FoundationEssentials

/// The arguments of a two-argument task, carried as a JSON array.
public struct TaskArguments2<A: Codable & Sendable, B: Codable & Sendable>: Codable, Sendable {
    /// The first argument.
    public let a: A
    /// The second argument.
    public let b: B
    /// Arguments `a` and `b`.
    public init(_ a: A, _ b: B) { (self.a, self.b) = (a, b) }
    /// Reads the arguments from a JSON array of two.
    public init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        a = try c.decode(A.self)
        b = try c.decode(B.self)
    }
    /// Writes the arguments as a JSON array of two.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(a)
        try c.encode(b)
    }
}

/// The arguments of a three-argument task, carried as a JSON array.
public struct TaskArguments3<A: Codable & Sendable, B: Codable & Sendable, C: Codable & Sendable>: Codable, Sendable {
    /// The first argument.
    public let a: A
    /// The second argument.
    public let b: B
    /// The third argument.
    public let c: C
    /// Arguments `a`, `b` and `c`.
    public init(_ a: A, _ b: B, _ c: C) { (self.a, self.b, self.c) = (a, b, c) }
    /// Reads the arguments from a JSON array of three.
    public init(from decoder: any Decoder) throws {
        var u = try decoder.unkeyedContainer()
        a = try u.decode(A.self)
        b = try u.decode(B.self)
        c = try u.decode(C.self)
    }
    /// Writes the arguments as a JSON array of three.
    public func encode(to encoder: any Encoder) throws {
        var u = encoder.unkeyedContainer()
        try u.encode(a)
        try u.encode(b)
        try u.encode(c)
    }
}
