/// Which task run fed which, inferred by value: when a task's input (or one of its arguments, or one
/// element of an array argument) is byte for byte the JSON result of an earlier task run of the same
/// flow run, that run fed this one. Small scalars are not matched: `3` or `true` say nothing about
/// where a value came from. Each element of an array result counts as produced by its task run too,
/// so a task that lists inputs feeds each task run given one of them (`discover` → `validate-3`).
struct Lineage {
    private var producers: [Int: String] = [:]

    mutating func record(result: [UInt8], taskRunID: String) {
        guard Self.isDistinctive(result[...]) else { return }
        producers[Self.fingerprint(result[...])] = taskRunID
        // A whole result recorded before keeps its producer: an element is weaker evidence.
        for element in Self.elements(of: result[...]) where Self.isDistinctive(element) {
            let key = Self.fingerprint(element)
            if producers[key] == nil { producers[key] = taskRunID }
        }
    }

    func producers(of input: [UInt8]) -> [String] {
        guard !producers.isEmpty, !input.isEmpty else { return [] }
        var found: [String] = []
        var candidates: [ArraySlice<UInt8>] = [input[...]]
        for argument in Self.elements(of: input[...]) {
            candidates.append(argument)
            candidates += Self.elements(of: argument)
        }
        for candidate in candidates where Self.isDistinctive(candidate) {
            if let id = producers[Self.fingerprint(candidate)], !found.contains(id) { found.append(id) }
        }
        return found
    }

    static func isDistinctive(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first else { return false }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") { return bytes.count > 2 }
        return bytes.count >= 8
    }

    static func fingerprint(_ bytes: ArraySlice<UInt8>) -> Int {
        var hasher = Hasher()
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
    }

    /// The top-level elements of a JSON array, or none when `json` is not an array.
    static func elements(of json: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        guard json.first == UInt8(ascii: "["), json.last == UInt8(ascii: "]") else { return [] }
        var elements: [ArraySlice<UInt8>] = []
        var depth = 0
        var inString = false
        var escaped = false
        var start = json.startIndex + 1
        for index in (json.startIndex + 1)..<(json.endIndex - 1) {
            let byte = json[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            case UInt8(ascii: ",") where depth == 0:
                elements.append(json[start..<index])
                start = index + 1
            default: break
            }
        }
        if start < json.endIndex - 1 { elements.append(json[start..<(json.endIndex - 1)]) }
        return elements
    }
}
