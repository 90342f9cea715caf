import BatonCore
import Foundation
import Testing

/// The limits a parameter schema states beyond types, as `resolve` enforces them for the CLI, the API,
/// deployments and the scheduler alike.
@Suite struct ParameterConstraintsTests {
    let schema = try! ParameterSchema(
        jsonSchema: try! JSONValue(
            json: """
                {"type": "object", "properties": {
                  "threshold": {"type": "number", "default": 0.5, "position": 0, "minimum": 0, "maximum": 1},
                  "parts": {"type": "integer", "default": 3, "position": 1, "minimum": 1, "maximum": 10},
                  "region": {"type": "string", "default": "eu", "position": 2, "enum": ["eu", "us"]},
                  "label": {"type": "string", "default": "run", "position": 3, "minLength": 1, "maxLength": 8, "pattern": "^[a-z]+$"},
                  "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}, "default": [], "position": 4, "maxItems": 3},
                  "limit": {"type": ["integer", "null"], "default": null, "position": 5, "exclusiveMinimum": 0},
                  "free": {"type": "number", "default": 2, "position": 6}
                }}
                """), flow: "demo")

    private func message(_ given: [String: JSONValue]) -> String? {
        do {
            _ = try schema.resolve(given)
            return nil
        } catch let error as BatonError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func aNumberOutOfRangeNamesTheParameterAndTheRange() {
        #expect(message(["threshold": .double(1.5)]) == "parameter 'threshold' of flow 'demo': 1.5 is out of range; expected a number from 0 to 1")
        #expect(message(["threshold": .int(-1)]) == "parameter 'threshold' of flow 'demo': -1 is out of range; expected a number from 0 to 1")
        #expect(message(["parts": .int(11)]) == "parameter 'parts' of flow 'demo': 11 is out of range; expected an integer from 1 to 10")
        #expect(message(["limit": .int(0)]) == "parameter 'limit' of flow 'demo': 0 is out of range; expected an integer greater than 0")
    }

    @Test func boundsThemselvesAreAllowed() {
        #expect(message(["threshold": .int(0)]) == nil)
        #expect(message(["threshold": .double(1)]) == nil)
        #expect(message(["parts": .int(1), "label": .string("abcdefgh"), "tags": .array([.string("a"), .string("b"), .string("c")])]) == nil)
        #expect(message(["limit": .null]) == nil, "null is not held to the bounds of a nullable integer")
        #expect(message(["limit": .int(1), "free": .double(-1e9)]) == nil)
    }

    @Test func aValueOutsideTheEnumListsTheAllowedOnes() {
        #expect(message(["region": .string("mars")]) == "parameter 'region' of flow 'demo': \"mars\" is not allowed; expected one of \"eu\", \"us\"")
    }

    @Test func lengthsAndPatternsSayWhatIsExpected() {
        #expect(message(["label": .string("")]) == "parameter 'label' of flow 'demo': \"\" is too short (0 characters); expected a string of 1 to 8 characters")
        #expect(message(["label": .string("abcdefghi")]) == "parameter 'label' of flow 'demo': \"abcdefghi\" is too long (9 characters); expected a string of 1 to 8 characters")
        #expect(message(["label": .string("Abc")]) == "parameter 'label' of flow 'demo': \"Abc\" does not match the pattern; expected a string matching ^[a-z]+$")
    }

    @Test func itemCountsAndItemsAreChecked() {
        let four = JSONValue.array(["a", "b", "c", "d"].map(JSONValue.string))
        #expect(message(["tags": four]) == "parameter 'tags' of flow 'demo': 4 items is too many; expected an array of at most 3 items")
        #expect(message(["tags": .array([.string("long")])]) == "parameter 'tags[0]' of flow 'demo': \"long\" is too long (4 characters); expected a string of at most 3 characters")
    }

    @Test func theLimitsReadTheSameInWordsAsFlowInspectShowsThem() {
        let allowed = schema.parameters.map { $0.type.constraints.summary(base: $0.type.base) ?? "-" }
        #expect(allowed == [
            "from 0 to 1", "from 1 to 10", "one of \"eu\", \"us\"", "1 to 8 characters, matching ^[a-z]+$", "at most 3 items",
            "greater than 0", "-",
        ])
    }

    @Test func aSchemaWhoseDefaultsBreakItsLimitsIsRefusedAtRegistration() throws {
        let broken = try ParameterSchema(
            jsonSchema: try JSONValue(json: #"{"type": "object", "properties": {"x": {"type": "number", "default": 5, "maximum": 1}}}"#), flow: "f")
        #expect(throws: BatonError.self) { try broken.checkDefaults(in: "libF.so") }
        let badPattern = try ParameterSchema(
            jsonSchema: try JSONValue(json: #"{"type": "object", "properties": {"x": {"type": "string", "default": "a", "pattern": "(["}}}"#), flow: "f")
        do {
            try badPattern.checkDefaults(in: "libF.so")
            Issue.record("a pattern that is no regular expression was accepted")
        } catch let error as BatonError {
            #expect(error.message == "libF.so: parameter 'x' of flow 'f' cannot be checked: its pattern ([ is not a valid regular expression")
        }
        try schema.checkDefaults(in: "libDemo.so")
    }

    @Test func typeErrorsKeepTheirWords() {
        #expect(message(["parts": .string("x")]) == "parameter 'parts' of flow 'demo' expects an integer, got a string (\"x\")")
    }
}
