import Foundation
import BatonCore
import Testing

@Suite struct ParameterSchemaTests {
    let schema = try! ParameterSchema(
        jsonSchema: try! JSONValue(
            json: """
                {"type": "object", "properties": {
                  "city": {"type": "string", "default": "Boston", "position": 0, "description": "Where"},
                  "days": {"type": "integer", "default": 7, "position": 1},
                  "ratio": {"type": "number", "default": 0.5, "position": 2},
                  "verbose": {"type": "boolean", "default": false, "position": 3},
                  "tags": {"type": "array", "items": {"type": "string"}, "default": [], "position": 4},
                  "limit": {"type": ["integer", "null"], "default": null, "position": 5},
                  "since": {"type": "string", "format": "date-time", "default": "2026-01-01T00:00:00Z", "position": 6}
                }}
                """), flow: "demo")

    @Test func parametersKeepTheirDeclaredOrder() {
        #expect(schema.parameters.map(\.name) == ["city", "days", "ratio", "verbose", "tags", "limit", "since"])
        #expect(schema.parameter(named: "city")?.description == "Where")
        #expect(schema.parameter(named: "tags")?.type.shortName == "[string]")
        #expect(schema.parameter(named: "limit")?.type.shortName == "integer?")
    }

    @Test func missingParametersTakeTheirDefaults() throws {
        let resolved = try schema.resolve(["days": .int(3)])
        #expect(resolved["city"] == .string("Boston"))
        #expect(resolved["days"] == .int(3))
        #expect(resolved["limit"] == .null)
        #expect(resolved.count == 7)
    }

    @Test func unknownNamesAreRefusedNamingTheKnownOnes() {
        #expect(throws: BatonError.self) { try schema.resolve(["cty": .string("x")]) }
        do {
            _ = try schema.resolve(["cty": .string("x")])
        } catch let error as BatonError {
            #expect(error.message == "unknown parameter 'cty' for flow 'demo'; its parameters are: city, days, ratio, verbose, tags, limit, since")
        } catch {}
    }

    @Test func valuesAreCheckedAgainstTheirTypes() {
        #expect(throws: BatonError.self) { try schema.resolve(["days": .string("3")]) }
        #expect(throws: BatonError.self) { try schema.resolve(["days": .double(2.5)]) }
        #expect(throws: BatonError.self) { try schema.resolve(["tags": .array([.int(1)])]) }
        #expect(throws: BatonError.self) { try schema.resolve(["since": .string("not a date")]) }
        #expect(throws: BatonError.self) { try schema.resolve(["city": .null]) }
        #expect((try? schema.resolve(["days": .double(4)])) != nil, "an integral number is an integer")
        #expect((try? schema.resolve(["ratio": .int(1)])) != nil, "an integer is a number")
        #expect((try? schema.resolve(["limit": .int(9)])) != nil)
    }

    @Test func commandLineTextIsReadAsTheParametersType() throws {
        #expect(try schema.value(fromArgument: "Paris", for: "city") == .string("Paris"))
        #expect(try schema.value(fromArgument: "12", for: "days") == .int(12))
        #expect(try schema.value(fromArgument: "0.25", for: "ratio") == .double(0.25))
        #expect(try schema.value(fromArgument: "yes", for: "verbose") == .bool(true))
        #expect(try schema.value(fromArgument: #"["a","b"]"#, for: "tags") == .array([.string("a"), .string("b")]))
        #expect(try schema.value(fromArgument: "null", for: "limit") == .null)
        #expect(throws: BatonError.self) { try schema.value(fromArgument: "twelve", for: "days") }
        #expect(throws: BatonError.self) { try schema.value(fromArgument: "[", for: "tags") }
        #expect(throws: BatonError.self) { try schema.value(fromArgument: "1", for: "nope") }
    }
}

@Suite struct TimestampTests {
    @Test func formatsUTCWithMilliseconds() {
        #expect(Timestamps.iso(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamps.iso(Date(timeIntervalSince1970: 1_763_733_802.101)) == "2025-11-21T14:03:22.101Z")
        #expect(Timestamps.iso(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59.000Z")
        #expect(Timestamps.iso(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000Z")
    }

    @Test func parsesOffsetsAndFractions() {
        #expect(abs((Timestamps.parse("2025-11-21T14:03:22.101Z")?.timeIntervalSince1970 ?? 0) - 1_763_733_802.101) < 1e-6)
        #expect(Timestamps.parse("2025-11-21T09:03:22-05:00")?.timeIntervalSince1970 == 1_763_733_802)
        #expect(Timestamps.parse("2025-11-21T15:03:22+0100")?.timeIntervalSince1970 == 1_763_733_802)
        #expect(Timestamps.parse("2025-11-21") == nil)
        #expect(Timestamps.parse("2025-13-01T00:00:00Z") == nil)
        #expect(Timestamps.parse("2025-11-21T14:03:22") == nil, "a time without an offset is ambiguous")
        #expect(Timestamps.parse("2025-11-21T14:03:22Zjunk") == nil)
    }

    @Test func roundTripsAcrossCenturies() {
        for seconds in stride(from: -2_000_000_000.0, to: 4_000_000_000.0, by: 123_456_789.0) {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Timestamps.parse(Timestamps.iso(date)) == date)
        }
    }
}

@Suite struct FlowNameTests {
    @Test func namesAreLettersDigitsAndSeparators() {
        for name in ["windspeed", "bike-share", "etl_v2", "a.b"] { #expect((try? FlowName.validate(name, in: "lib")) != nil) }
        for name in ["", "has space", "-dash", ".dot", "ünïcode", String(repeating: "x", count: 101)] {
            #expect(throws: BatonError.self) { try FlowName.validate(name, in: "lib") }
        }
    }
}
