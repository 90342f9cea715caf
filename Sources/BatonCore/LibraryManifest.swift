import Foundation

/// A library's manifest as the host reads it (the SDK writes it; the JSON is the contract).
public struct LibraryManifest: Codable, Sendable, Hashable {
    public var abiMajor: UInt32
    public var abiMinor: UInt32
    public var swiftCompiler: UInt32
    public var sdkVersion: String
    public var flows: [FlowManifest]
    public var tasks: [TaskManifest]
    /// Set when the library could not describe itself, for example two flows of one name.
    public var error: String?

    public init(
        abiMajor: UInt32, abiMinor: UInt32, swiftCompiler: UInt32, sdkVersion: String, flows: [FlowManifest],
        tasks: [TaskManifest], error: String? = nil
    ) {
        self.abiMajor = abiMajor
        self.abiMinor = abiMinor
        self.swiftCompiler = swiftCompiler
        self.sdkVersion = sdkVersion
        self.flows = flows
        self.tasks = tasks
        self.error = error
    }

    /// Decodes a manifest and checks what the host relies on: valid, unique flow names and readable
    /// parameter schemas.
    public static func decode(_ data: Data, library: String) throws -> LibraryManifest {
        let manifest: LibraryManifest
        do {
            manifest = try BatonCoding.decoder().decode(LibraryManifest.self, from: data)
        } catch {
            throw BatonError(.registrationFailed, "the manifest of \(library) is not valid: \(error)")
        }
        if let problem = manifest.error {
            throw BatonError(.registrationFailed, "\(library) cannot describe its flows: \(problem)")
        }
        guard !manifest.flows.isEmpty else {
            throw BatonError(.registrationFailed, "\(library) exports no flows")
        }
        for flow in manifest.flows {
            try FlowName.validate(flow.name, in: library)
            _ = try flow.parameterSchema()
        }
        return manifest
    }
}

/// One flow of a manifest.
public struct FlowManifest: Codable, Sendable, Hashable {
    public var name: String
    public var description: String?
    /// A JSON Schema object with one property per parameter; see ``ParameterSchema``.
    public var parameters: JSONValue
    public var resultType: String
    public var schedule: ScheduleSpec?
    public var sourceLocation: String?

    public init(
        name: String, description: String? = nil, parameters: JSONValue, resultType: String,
        schedule: ScheduleSpec? = nil, sourceLocation: String? = nil
    ) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.resultType = resultType
        self.schedule = schedule
        self.sourceLocation = sourceLocation
    }

    public func parameterSchema() throws -> ParameterSchema {
        try ParameterSchema(jsonSchema: parameters, flow: name)
    }
}

/// One task of a manifest.
public struct TaskManifest: Codable, Sendable, Hashable {
    public var name: String
    public var inputType: String
    public var outputType: String
    public var options: TaskOptionsSpec
}

/// A task's options, as the SDK records them and sends with each call.
public struct TaskOptionsSpec: Codable, Sendable, Hashable {
    public var description: String?
    public var retries: Int
    public var retryDelaySeconds: [Double]
    public var timeoutSeconds: Double?
    public var tags: [String]
    public var sourceLocation: String?

    public init(
        description: String? = nil, retries: Int = 0, retryDelaySeconds: [Double] = [], timeoutSeconds: Double? = nil,
        tags: [String] = [], sourceLocation: String? = nil
    ) {
        self.description = description
        self.retries = retries
        self.retryDelaySeconds = retryDelaySeconds
        self.timeoutSeconds = timeoutSeconds
        self.tags = tags
        self.sourceLocation = sourceLocation
    }

    /// The delay before retry number `retry` (1 for the first retry): the list's entry, the last one
    /// repeating, or none.
    public func delay(beforeRetry retry: Int) -> Double {
        guard let last = retryDelaySeconds.last else { return 0 }
        return retry - 1 < retryDelaySeconds.count ? retryDelaySeconds[retry - 1] : last
    }
}

/// A schedule a flow declares in code.
public struct ScheduleSpec: Codable, Sendable, Hashable {
    public var kind: String
    public var intervalSeconds: Double?
    public var cron: String?
    public var rrule: String?
    public var anchor: Date?
    public var timeZone: String?

    /// The schedule in a few words: "every 1 minute", "cron 0 2 * * * (Europe/Berlin)".
    public var summary: String {
        let zone = timeZone.map { " (\($0))" } ?? ""
        switch kind {
        case "interval":
            let seconds = intervalSeconds ?? 0
            return "every " + Self.describe(seconds: seconds) + zone
        case "cron": return "cron \(cron ?? "?")" + zone
        default: return "rrule \(rrule ?? "?")" + zone
        }
    }

    static func describe(seconds: Double) -> String {
        let units: [(Double, String)] = [(86_400, "day"), (3600, "hour"), (60, "minute"), (1, "second")]
        for (size, name) in units where seconds >= size && seconds.truncatingRemainder(dividingBy: size) == 0 {
            let n = Int(seconds / size)
            return "\(n) \(name)\(n == 1 ? "" : "s")"
        }
        return "\(seconds) seconds"
    }
}

/// Flow names: what `baton run <flow>` takes and URLs carry.
public enum FlowName {
    public static func validate(_ name: String, in library: String) throws {
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)
        }
        guard !name.isEmpty, name.count <= 100, allowed, name.first != "-", name.first != "." else {
            throw BatonError(
                .registrationFailed,
                "flow name '\(name)' in \(library) is not valid: use 1 to 100 letters, digits, '-', '_' and '.', "
                    + "not starting with '-' or '.'")
        }
    }
}

/// The JSON coding of host records: ISO 8601 dates with fractional seconds, sorted keys.
public enum BatonCoding {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(Timestamps.iso(date))
        }
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            guard let date = Timestamps.parse(text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an ISO 8601 date: \(text)")
            }
            return date
        }
        return decoder
    }
}

