import CBatonABI
import Foundation
import Testing

@testable import Baton

@Suite struct MagicTests {
    @Test func theSectionRecordMatchesTheHeader() {
        #expect(
            BatonSDKMagic.fields == [
                UInt32(MemoryLayout<baton_magic>.size), BATON_ABI_MAJOR, BATON_ABI_MINOR, UInt32(BATON_SWIFT_COMPILER),
                BATON_SDK_VERSION_MAJOR, BATON_SDK_VERSION_MINOR, BATON_SDK_VERSION_PATCH, 0,
            ],
            "update Sources/Baton/Export/Magic.swift for this toolchain or ABI")
        #expect(MemoryLayout<baton_magic>.size == 32)
    }
}

enum Colour: String, Codable, Sendable { case red, green }

struct Nested: Codable, Sendable {
    var from = 1
    var label = "x"
}

struct SampleParams: FlowParameters {
    var city = "Boston"
    var days = 7
    var ratio = 0.5
    var verbose = false
    var tags = ["a"]
    var empty: [Int] = []
    var limit: Int? = nil
    var note: String? = "hi"
    var colour = Colour.green
    var nested = Nested()
    var since = Date(timeIntervalSince1970: 0)
    static let parameterDescriptions = ["city": "Where to look"]
}

@Suite struct ParameterSchemaTests {
    func property(_ schema: JSONLiteral, _ name: String) -> [(String, JSONLiteral)] {
        guard case .object(let top) = schema, case .object(let properties)? = top.first(where: { $0.0 == "properties" })?.1,
            case .object(let property)? = properties.first(where: { $0.0 == name })?.1
        else { return [] }
        return property
    }

    func value(_ pairs: [(String, JSONLiteral)], _ key: String) -> JSONLiteral? { pairs.first { $0.0 == key }?.1 }

    @Test func eachPropertyRecordsItsTypeDefaultAndPosition() throws {
        let schema = try ParameterSchema.schema(of: SampleParams(), descriptions: SampleParams.parameterDescriptions)
        let expectations: [(String, JSONLiteral, JSONLiteral)] = [
            ("city", .string("string"), .string("Boston")),
            ("days", .string("integer"), .int(7)),
            ("ratio", .string("number"), .double(0.5)),
            ("verbose", .string("boolean"), .bool(false)),
            ("tags", .string("array"), .array([.string("a")])),
            ("empty", .string("array"), .array([])),
            ("limit", .array([.string("integer"), .string("null")]), .null),
            ("note", .array([.string("string"), .string("null")]), .string("hi")),
            ("colour", .string("string"), .string("green")),
            ("nested", .string("object"), .object([("from", .int(1)), ("label", .string("x"))])),
            ("since", .string("string"), .string("1970-01-01T00:00:00Z")),
        ]
        for (index, (name, type, defaultValue)) in expectations.enumerated() {
            let p = property(schema, name)
            #expect(value(p, "type") == type, "\(name)")
            #expect(value(p, "default") == defaultValue, "\(name)")
            #expect(value(p, "position") == .int(Int64(index)), "\(name)")
        }
        #expect(value(property(schema, "since"), "format") == .string("date-time"))
        #expect(value(property(schema, "city"), "description") == .string("Where to look"))
        #expect(value(property(schema, "tags"), "items") == .object([("type", .string("string"))]))
    }

    @Test func constraintsBecomeJSONSchemaKeywordsOfTheirParameter() throws {
        let constraints: [String: ParameterConstraint] = [
            "ratio": .range(0.0...1.0), "days": .range(1...30), "city": .length(1...20).and(.pattern("^[A-Z]")),
            "colour": .oneOf(["green", "blue"]), "tags": .items(0...3),
        ]
        let schema = try ParameterSchema.schema(of: SampleParams(), descriptions: [:], constraints: constraints)
        #expect(value(property(schema, "ratio"), "minimum") == .double(0))
        #expect(value(property(schema, "ratio"), "maximum") == .double(1))
        #expect(value(property(schema, "days"), "maximum") == .int(30))
        #expect(value(property(schema, "city"), "maxLength") == .int(20))
        #expect(value(property(schema, "city"), "pattern") == .string("^[A-Z]"))
        #expect(value(property(schema, "colour"), "enum") == .array([.string("green"), .string("blue")]))
        #expect(value(property(schema, "tags"), "maxItems") == .int(3))
        #expect(value(property(schema, "verbose"), "minimum") == nil)
        #expect(throws: ParameterSchema.Failure.self) {
            try ParameterSchema.schema(of: SampleParams(), descriptions: [:], constraints: ["cty": .maxLength(3)])
        }
    }

    @Test func parametersThatAreNotAnObjectAreRefused() {
        #expect(throws: ParameterSchema.Failure.self) { try ParameterSchema.schema(of: 5, descriptions: [:]) }
    }
}

let double = task("sdk-test-double", retries: 2, retryDelay: .milliseconds(5), tags: ["t"]) { (x: Int) in x * 2 }
let add = task("sdk-test-add") { (a: Int, b: Int) in a + b }
let sdkFlow = Flow("sdk-test-flow", description: "doubles", schedule: .every(minutes: 1)) { (params: SampleParams) -> Int in
    try await add(try await double(params.days), 1)
}

@Suite struct OutsideARunTests {
    @Test func tasksAndFlowsCalledOutsideARunRunTheirBodies() async throws {
        #expect(try await double(21) == 42)
        #expect(try await add(2, 3) == 5)
        #expect(try await sdkFlow() == 15)
        #expect(RunInfo.current == nil)
    }

    @Test func optionsAreRecordedForTheManifest() {
        #expect(double.options.retries == 2)
        #expect(double.options.retryDelaySeconds == [0.005])
        #expect(double.options.tags == ["t"])
        #expect(double.options.sourceLocation?.hasPrefix("BatonSDKTests/SDKTests.swift:") == true)
        #expect(double.with(retries: 5).options.retries == 5)
        #expect(double.with(retries: 5).name == double.name)
    }

    @Test func theManifestListsFlowsAndTasksWithTheSDKsVersions() throws {
        _ = (double, add, sdkFlow)
        let json = try JSONSerialization.jsonObject(with: Data(ManifestBuilder.build())) as? [String: Any]
        #expect(json?["abiMajor"] as? Int == Int(BATON_ABI_MAJOR))
        #expect(json?["sdkVersion"] as? String == "0.2.1")
        let flows = json?["flows"] as? [[String: Any]] ?? []
        let flow = flows.first { $0["name"] as? String == "sdk-test-flow" }
        #expect(flow?["description"] as? String == "doubles")
        #expect(flow?["resultType"] as? String == "Int")
        #expect((flow?["schedule"] as? [String: Any])?["intervalSeconds"] as? Double == 60)
        let tasks = json?["tasks"] as? [[String: Any]] ?? []
        let adder = tasks.first { $0["name"] as? String == "sdk-test-add" }
        #expect(adder?["inputType"] as? String == "(Int, Int)")
    }

    @Test func twoDeclarationsOfOneNameAreReported() throws {
        _ = task("sdk-test-twice") { (x: Int) in x }
        _ = task("sdk-test-twice") { (x: Int) in x + 1 }
        let json = try JSONSerialization.jsonObject(with: Data(ManifestBuilder.build())) as? [String: Any]
        #expect((json?["error"] as? String)?.contains("task 'sdk-test-twice' is declared twice") == true)
    }
}

@Suite struct TypeNameTests {
    @Test func genericSpellingsReadAsSwiftCodeWritesThem() {
        #expect(typeName([String].self) == "[String]")
        #expect(typeName(Int?.self) == "Int?")
        #expect(typeName([String: [Int]].self) == "[String: [Int]]")
        #expect(typeName(TaskArguments2<String, [Int]>.self) == "(String, [Int])")
        #expect(typeName(Nested.self) == "Nested")
    }
}

/// The hand-written coding of scalars must give exactly JSONEncoder's bytes (cache keys and resume
/// match inputs by their bytes) and read back what JSONEncoder writes.
@Suite struct ScalarJSONTests {
    func foundation<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    @Test func integersBooleansAndPlainStringsMatchJSONEncoder() throws {
        for value in [0, 7, -7, 42, Int.max, Int.min, 1_000_000] {
            #expect(BatonJSON.Scalars.encode(value) == (try foundation(value)))
            #expect(try BatonJSON.decode(Int.self, from: foundation(value)) == value)
        }
        for value in [true, false] {
            #expect(BatonJSON.Scalars.encode(value) == (try foundation(value)))
            #expect(try BatonJSON.decode(Bool.self, from: foundation(value)) == value)
        }
        for value in ["", "Boston", "São Paulo", "a/b", "日本語 ok", "x y z"] {
            #expect(BatonJSON.Scalars.encode(value) == (try foundation(value)))
            #expect(try BatonJSON.decode(String.self, from: foundation(value)) == value)
        }
        #expect(BatonJSON.Scalars.encode(NoResult()) == (try foundation(NoResult())))
    }

    @Test func textsThatNeedEscapingAndOtherTypesGoToFoundation() throws {
        for value in ["say \"hi\"", "back\\slash", "line\nbreak", "tab\there", "\u{7F}"] {
            #expect(BatonJSON.Scalars.encode(value) == nil)
            #expect(try BatonJSON.encode(value) == (try foundation(value)))
            #expect(try BatonJSON.decode(String.self, from: foundation(value)) == value)
        }
        #expect(BatonJSON.Scalars.encode(2.5) == nil)
        #expect(BatonJSON.Scalars.encode([1, 2]) == nil)
        // Non-canonical numbers are read by Foundation, which also refuses what is not an Int.
        #expect(try BatonJSON.decode(Int.self, from: Array(" 5".utf8)) == 5)
        #expect(BatonJSON.Scalars.decode(Int.self, from: Array("05".utf8)) == nil)
        #expect(BatonJSON.Scalars.decode(Int.self, from: Array("99999999999999999999".utf8)) == nil)
        #expect(throws: (any Error).self) { try BatonJSON.decode(Int.self, from: Array("\"5\"".utf8)) }
        #expect(throws: (any Error).self) { try BatonJSON.decode(Int.self, from: Array("99999999999999999999".utf8)) }
    }
}
