import Foundation

/// A flow's parameters as its manifest declares them: a JSON Schema object with one property per
/// parameter, each with a type, a default and a position. Checks the values given for a run and fills
/// in the defaults.
public struct ParameterSchema: Sendable, Hashable {
    /// One parameter.
    public struct Parameter: Sendable, Hashable {
        public var name: String
        public var type: ValueType
        public var defaultValue: JSONValue
        public var description: String?
    }

    /// The type of a value: the JSON types it may have (nil for any), a string format, and for arrays
    /// and objects the types of their items and properties.
    public struct ValueType: Sendable, Hashable {
        public var types: [String]?
        public var format: String?
        /// The only strings it takes, for an enum.
        public var choices: [String]?
        public var items: Box?
        public var properties: [String: ValueType]
        /// Its limits beyond the type: ranges, lengths, a pattern, the enum's values, item counts.
        public var constraints: ParameterConstraints

        public final class Box: Sendable, Hashable {
            public let type: ValueType
            init(_ type: ValueType) { self.type = type }
            public static func == (a: Box, b: Box) -> Bool { a.type == b.type }
            public func hash(into hasher: inout Hasher) { hasher.combine(type) }
        }

        init(schema: JSONValue) {
            switch schema["type"] {
            case .string(let t): types = [t]
            case .array(let list): types = list.compactMap(\.stringValue)
            default: types = nil
            }
            format = schema["format"]?.stringValue
            choices = schema["enum"]?.arrayValue?.compactMap(\.stringValue)
            items = schema["items"].map { Box(ValueType(schema: $0)) }
            properties = (schema["properties"]?.objectValue ?? [:]).mapValues { ValueType(schema: $0) }
            constraints = ParameterConstraints(schema: schema)
        }

        /// The JSON type a value of this type has when it is not null.
        public var base: String? { types?.first { $0 != "null" } }

        /// The type in words: "an integer", "an array of strings", "a string or null".
        public var description: String {
            guard let types, !types.isEmpty else { return "any JSON value" }
            let words = types.map { type -> String in
                switch type {
                case "string" where format == "date-time": "an ISO 8601 date-time string"
                case "string" where format == "uri": "a URL string"
                case "string" where choices != nil: "one of " + (choices ?? []).map { "\"\($0)\"" }.joined(separator: ", ")
                case "string": "a string"
                case "integer": "an integer"
                case "number": "a number"
                case "boolean": "a boolean (true or false)"
                case "array":
                    if let item = items?.type, let name = item.pluralName { "an array of \(name)" } else { "an array" }
                case "object": "an object"
                case "null": "null"
                default: type
                }
            }
            return words.joined(separator: " or ")
        }

        /// A short name for the type, as `flow inspect` shows it: "string", "integer?", "[string]".
        public var shortName: String {
            guard let types else { return "any" }
            let nullable = types.contains("null")
            let base = types.first { $0 != "null" } ?? "null"
            var name = base
            if base == "array" { name = "[\(items?.type.shortName ?? "any")]" }
            if base == "string", let format { name = format }
            return nullable ? name + "?" : name
        }

        var pluralName: String? {
            switch types?.first(where: { $0 != "null" }) {
            case "string": "strings"
            case "integer": "integers"
            case "number": "numbers"
            case "boolean": "booleans"
            case "object": "objects"
            case "array": "arrays"
            default: nil
            }
        }

        /// Whether `value` has this type and keeps to its constraints; for arrays and objects, whether
        /// their items and known properties do. Returns the path of the first value that does not, with
        /// what is wrong: the words after the parameter's name in a message.
        func check(_ value: JSONValue, path: String) -> (path: String, problem: String)? {
            guard let types else { return nil }
            let matches = types.contains { type in
                switch (type, value) {
                case ("null", .null), ("boolean", .bool), ("array", .array), ("object", .object): true
                case ("string", .string(let s)): format != "date-time" || Timestamps.parse(s) != nil
                case ("integer", _): value.intValue != nil && value != .null
                case ("number", .int), ("number", .double): true
                default: false
                }
            }
            guard matches else {
                return (path, "expects \(description), got \(value.kindDescription) (\(ParameterSchema.preview(value)))")
            }
            if value != .null, let violation = constraints.violation(of: value, base: base) {
                return (path, ": " + violation)
            }
            if case .array(let list) = value, let item = items?.type {
                for (index, element) in list.enumerated() {
                    if let problem = item.check(element, path: "\(path)[\(index)]") { return problem }
                }
            }
            if case .object(let object) = value {
                for (key, element) in object.sorted(by: { $0.key < $1.key }) {
                    if let type = properties[key], let problem = type.check(element, path: "\(path).\(key)") {
                        return problem
                    }
                }
            }
            return nil
        }

        /// Why this type's own constraints cannot be used (a bad pattern, a minimum above the maximum).
        func schemaProblem(path: String) -> (path: String, problem: String)? {
            if let problem = constraints.problem() { return (path, problem) }
            if let item = items?.type, let problem = item.schemaProblem(path: path + "[]") { return problem }
            for (key, type) in properties.sorted(by: { $0.key < $1.key }) {
                if let problem = type.schemaProblem(path: "\(path).\(key)") { return problem }
            }
            return nil
        }
    }

    /// The flow these parameters belong to, for messages.
    public let flow: String
    /// The parameters in their declared order.
    public let parameters: [Parameter]

    public init(jsonSchema: JSONValue, flow: String) throws {
        self.flow = flow
        guard let properties = jsonSchema["properties"]?.objectValue else {
            throw BatonError(.registrationFailed, "the parameter schema of flow '\(flow)' has no properties object")
        }
        parameters = properties.map { name, schema in
            Parameter(
                name: name, type: ValueType(schema: schema), defaultValue: schema["default"] ?? .null,
                description: schema["description"]?.stringValue)
        }
        .sorted { a, b in
            let pa = properties[a.name]?["position"]?.intValue ?? 0
            let pb = properties[b.name]?["position"]?.intValue ?? 0
            return pa != pb ? pa < pb : a.name < b.name
        }
    }

    /// Refuses a schema whose constraints cannot be used, or whose defaults break them: a run that
    /// gives no value would be refused, so the library is refused when it is registered.
    public func checkDefaults(in library: String) throws {
        for parameter in parameters {
            if let found = parameter.type.schemaProblem(path: parameter.name) {
                throw BatonError(
                    .registrationFailed, "\(library): parameter '\(found.path)' of flow '\(flow)' cannot be checked: \(found.problem)")
            }
            if let found = parameter.type.check(parameter.defaultValue, path: parameter.name) {
                let separator = found.problem.hasPrefix(":") ? "" : " "
                throw BatonError(
                    .registrationFailed,
                    "\(library): the default of parameter '\(found.path)' of flow '\(flow)'\(separator)\(found.problem)")
            }
        }
    }

    public func parameter(named name: String) -> Parameter? { parameters.first { $0.name == name } }

    private func unknown(_ name: String) -> BatonError {
        let known = parameters.map(\.name).joined(separator: ", ")
        return BatonError(
            .invalidParameter,
            "unknown parameter '\(name)' for flow '\(flow)'; "
                + (parameters.isEmpty ? "it takes no parameters" : "its parameters are: \(known)"), field: name)
    }

    /// The complete parameters of a run: every given value checked against its type, every missing
    /// one taken from its default. Unknown names are refused.
    public func resolve(_ given: [String: JSONValue]) throws -> [String: JSONValue] {
        for name in given.keys.sorted() where parameter(named: name) == nil { throw unknown(name) }
        var resolved: [String: JSONValue] = [:]
        for parameter in parameters {
            let value = given[parameter.name] ?? parameter.defaultValue
            if let found = parameter.type.check(value, path: parameter.name) {
                let separator = found.problem.hasPrefix(":") ? "" : " "
                throw BatonError(
                    .invalidParameter, "parameter '\(found.path)' of flow '\(flow)'\(separator)\(found.problem)", field: found.path)
            }
            resolved[parameter.name] = value
        }
        return resolved
    }

    /// Reads `--param name=text`: the text as the parameter's type (a string as is, numbers and
    /// booleans parsed, arrays and objects as JSON).
    public func value(fromArgument text: String, for name: String) throws -> JSONValue {
        guard let parameter = parameter(named: name) else { throw unknown(name) }
        let type = parameter.type
        let types = type.types ?? []
        if types.contains("null") && text == "null" { return .null }
        let refuse = { (detail: String) in
            BatonError(
                .invalidParameter,
                "parameter '\(name)' of flow '\(flow)' expects \(type.description), got '\(text)'\(detail)", field: name)
        }
        switch types.first(where: { $0 != "null" }) {
        case "string"?:
            if type.format == "date-time", Timestamps.parse(text) == nil { throw refuse(" (not ISO 8601)") }
            return .string(text)
        case "integer"?:
            guard let value = Int64(text.trimmingCharacters(in: .whitespaces)) else { throw refuse("") }
            return .int(value)
        case "number"?:
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else { throw refuse("") }
            return value.rounded() == value && abs(value) < 9e15 && !text.contains(".") ? .int(Int64(value)) : .double(value)
        case "boolean"?:
            switch text.lowercased() {
            case "true", "yes", "1", "on": return .bool(true)
            case "false", "no", "0", "off": return .bool(false)
            default: throw refuse("")
            }
        case "array"?, "object"?:
            let value: JSONValue
            do { value = try JSONValue(json: text) } catch { throw refuse(" (not valid JSON)") }
            return value
        default:
            return (try? JSONValue(json: text)) ?? .string(text)
        }
    }

    static func preview(_ value: JSONValue) -> String {
        let text = value.jsonText
        return text.count > 40 ? String(text.prefix(37)) + "..." : text
    }
}
