import FoundationEssentials

/// Reads the shape of a flow's parameters: encodes the default value with an encoder that records,
/// for each property, its JSON type, whether it may be null, and its default. The result is a JSON
/// Schema object that the host validates run parameters against and the UI builds forms from.
enum ParameterSchema {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func schema<P: Encodable>(
        of value: P, descriptions: [String: String], constraints: [String: ParameterConstraint] = [:]
    ) throws -> JSONLiteral {
        let root = SchemaNode()
        try root.record(value, path: [])
        guard root.type == "object" else {
            throw Failure(description: "parameters of type \(P.self) must encode as an object with named properties")
        }
        let names = Set(root.properties.map(\.0))
        if let stray = constraints.keys.sorted().first(where: { !names.contains($0) }) {
            throw Failure(description: "parameterConstraints of \(P.self) names '\(stray)', which is not one of its parameters")
        }
        var properties: [(String, JSONLiteral)] = []
        for (position, (name, node)) in root.properties.enumerated() {
            var property = node.schema()
            if let constraint = constraints[name] {
                // The constraint's enum replaces one a CaseIterable type recorded.
                property.removeAll { key, _ in constraint.keywords.contains { $0.0 == key } }
                property += constraint.keywords.map { ($0.0, $0.1.literal) }
            }
            property.append(("title", .string(name)))
            property.append(("position", .int(Int64(position))))
            property.append(("default", node.value))
            if let text = descriptions[name] { property.append(("description", .string(text))) }
            properties.append((name, .object(property)))
        }
        return .object([("type", .string("object")), ("title", .string("Parameters")), ("properties", .object(properties))])
    }
}

/// One value met while encoding: its type and, through its children, its value.
final class SchemaNode {
    var type: String?
    var format: String?
    /// The raw values of a `CaseIterable` string enum: the only values it takes.
    var choices: [String]?
    var nullable = false
    var properties: [(String, SchemaNode)] = []
    var elements: [SchemaNode] = []
    var primitive: JSONLiteral = .null

    var value: JSONLiteral {
        switch type {
        case "object": .object(properties.map { ($0.0, $0.1.value) })
        case "array": .array(elements.map(\.value))
        default: primitive
        }
    }

    func schema() -> [(String, JSONLiteral)] {
        var out: [(String, JSONLiteral)] = []
        if let type {
            out.append(("type", nullable ? .array([.string(type), .string("null")]) : .string(type)))
        }
        if let format { out.append(("format", .string(format))) }
        if let choices { out.append(("enum", .array(choices.map(JSONLiteral.string) + (nullable ? [.null] : [])))) }
        if type == "object" {
            out.append(("properties", .object(properties.map { ($0.0, .object($0.1.schema())) })))
        }
        if type == "array", let first = elements.first { out.append(("items", .object(first.schema()))) }
        return out
    }

    func child(_ key: String) -> SchemaNode {
        let node = SchemaNode()
        properties.removeAll { $0.0 == key }
        properties.append((key, node))
        return node
    }

    func element() -> SchemaNode {
        let node = SchemaNode()
        elements.append(node)
        return node
    }

    func setPrimitive(_ value: Any) {
        switch value {
        case let v as Bool: (type, primitive) = ("boolean", .bool(v))
        case let v as String: (type, primitive) = ("string", .string(v))
        case let v as Double: (type, primitive) = ("number", .double(v))
        case let v as Float: (type, primitive) = ("number", .double(Double(v)))
        case let v as any BinaryInteger: (type, primitive) = ("integer", .int(Int64(clamping: v)))
        default: break
        }
    }

    func record<T: Encodable>(_ value: T, path: [any CodingKey]) throws {
        switch value {
        case let date as Date:
            (type, format, primitive) = ("string", "date-time", .string(date.formatted(.iso8601)))
        case let url as URL:
            (type, format, primitive) = ("string", "uri", .string(url.absoluteString))
        case is Bool, is String, is Double, is Float, is any BinaryInteger:
            setPrimitive(value)
        default:
            try value.encode(to: SchemaEncoder(node: self, codingPath: path))
            if type == "string", let iterable = T.self as? any CaseIterable.Type { choices = Self.rawValues(iterable) }
        }
    }

    private static func rawValues<C: CaseIterable>(_ type: C.Type) -> [String]? {
        let values = C.allCases.compactMap { ($0 as? any RawRepresentable)?.rawValue as? String }
        return values.isEmpty ? nil : values
    }
}

private struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

private struct SchemaEncoder: Encoder {
    let node: SchemaNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.type = "object"
        return KeyedEncodingContainer(KeyedSchemaContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.type = "array"
        return UnkeyedSchemaContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleSchemaContainer(node: node, codingPath: codingPath)
    }
}

private struct KeyedSchemaContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: SchemaNode
    let codingPath: [any CodingKey]

    private func encodeValue<T: Encodable>(_ value: T, _ key: Key) throws {
        try node.child(key.stringValue).record(value, path: codingPath + [key])
    }

    private func encodeOptional<T: Encodable>(_ value: T?, _ type: String?, _ key: Key) throws {
        let child = node.child(key.stringValue)
        child.nullable = true
        if let value {
            try child.record(value, path: codingPath + [key])
        } else {
            child.type = type
        }
    }

    mutating func encodeNil(forKey key: Key) throws { node.child(key.stringValue).nullable = true }
    mutating func encode(_ value: Bool, forKey key: Key) throws { try encodeValue(value, key) }
    mutating func encode(_ value: String, forKey key: Key) throws { try encodeValue(value, key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try encodeValue(value, key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try encodeValue(value, key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try encodeValue(value, key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try encodeValue(value, key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try encodeValue(value, key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try encodeValue(value, key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try encodeValue(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try encodeValue(value, key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try encodeValue(value, key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try encodeValue(value, key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try encodeValue(value, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try encodeValue(value, key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try encodeValue(value, key) }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeOptional(value, "boolean", key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeOptional(value, "string", key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeOptional(value, "number", key) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try encodeOptional(value, "number", key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeOptional(value, "integer", key) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try encodeOptional(value, "integer", key) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try encodeOptional(value, "integer", key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try encodeOptional(value, "integer", key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodeOptional(value, "integer", key) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try encodeOptional(value, "integer", key) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try encodeOptional(value, "integer", key) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try encodeOptional(value, "integer", key) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try encodeOptional(value, "integer", key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try encodeOptional(value, "integer", key) }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        try encodeOptional(value, nil, key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        let child = node.child(key.stringValue)
        child.type = "object"
        return KeyedEncodingContainer(KeyedSchemaContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = node.child(key.stringValue)
        child.type = "array"
        return UnkeyedSchemaContainer(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { SchemaEncoder(node: node.child("super"), codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        SchemaEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key])
    }
}

private struct UnkeyedSchemaContainer: UnkeyedEncodingContainer {
    let node: SchemaNode
    let codingPath: [any CodingKey]
    var count: Int { node.elements.count }

    mutating func encodeNil() throws { node.element().nullable = true }
    mutating func encode(_ value: Bool) throws { try encode(AnyEncodable(value)) }
    mutating func encode(_ value: String) throws { try encode(AnyEncodable(value)) }
    mutating func encode(_ value: Double) throws { try encode(AnyEncodable(value)) }
    mutating func encode(_ value: Float) throws { try encode(AnyEncodable(value)) }
    mutating func encode(_ value: Int) throws { try encode(AnyEncodable(value)) }
    mutating func encode(_ value: Int8) throws { try encode(AnyEncodable(value)) }
    mutating func encode(_ value: Int16) throws { try encode(AnyEncodable(value)) }
    mutating func encode(_ value: Int32) throws { try encode(AnyEncodable(value)) }
    mutating func encode(_ value: Int64) throws { try encode(AnyEncodable(value)) }
    mutating func encode(_ value: UInt) throws { try encode(AnyEncodable(value)) }
    mutating func encode(_ value: UInt8) throws { try encode(AnyEncodable(value)) }
    mutating func encode(_ value: UInt16) throws { try encode(AnyEncodable(value)) }
    mutating func encode(_ value: UInt32) throws { try encode(AnyEncodable(value)) }
    mutating func encode(_ value: UInt64) throws { try encode(AnyEncodable(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let key = IndexKey(intValue: count)
        try node.element().record(value, path: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let child = node.element()
        child.type = "object"
        return KeyedEncodingContainer(KeyedSchemaContainer<NestedKey>(node: child, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = node.element()
        child.type = "array"
        return UnkeyedSchemaContainer(node: child, codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder { SchemaEncoder(node: node.element(), codingPath: codingPath) }
}

private struct SingleSchemaContainer: SingleValueEncodingContainer {
    let node: SchemaNode
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.nullable = true }
    mutating func encode(_ value: Bool) throws { node.setPrimitive(value) }
    mutating func encode(_ value: String) throws { node.setPrimitive(value) }
    mutating func encode(_ value: Double) throws { node.setPrimitive(value) }
    mutating func encode(_ value: Float) throws { node.setPrimitive(value) }
    mutating func encode(_ value: Int) throws { node.setPrimitive(value) }
    mutating func encode(_ value: Int8) throws { node.setPrimitive(value) }
    mutating func encode(_ value: Int16) throws { node.setPrimitive(value) }
    mutating func encode(_ value: Int32) throws { node.setPrimitive(value) }
    mutating func encode(_ value: Int64) throws { node.setPrimitive(value) }
    mutating func encode(_ value: UInt) throws { node.setPrimitive(value) }
    mutating func encode(_ value: UInt8) throws { node.setPrimitive(value) }
    mutating func encode(_ value: UInt16) throws { node.setPrimitive(value) }
    mutating func encode(_ value: UInt32) throws { node.setPrimitive(value) }
    mutating func encode(_ value: UInt64) throws { node.setPrimitive(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try node.record(value, path: codingPath) }
}
