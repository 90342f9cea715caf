import BatonCore
import Foundation

/// Parameters given on the command line: `--params-file FILE` (a JSON object), then each
/// `--param KEY=VALUE` on top, each read as its parameter's type.
enum ParameterInput {
    static func read(params: [String], file: String?, schema: ParameterSchema) throws -> [String: JSONValue] {
        var given: [String: JSONValue] = [:]
        if let file {
            // Checked before reading: a parameter file is held whole in memory and sent in one body.
            let limit = try InputLimits.maxJSONBytes()
            if let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int, size > limit {
                throw BatonError(
                    .invalidInput,
                    "params file '\(file)' is \(LogText.bytes(size)), over the limit of \(InputLimits.describe(limit)); pass large inputs as a path, or set \(InputLimits.environmentVariable)")
            }
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                throw BatonError(.invalidInput, "params file '\(file)' cannot be read: \(error.localizedDescription)")
            }
            let value: JSONValue
            do {
                value = try JSONValue(json: data)
            } catch {
                throw BatonError(.invalidInput, "params file '\(file)' is not valid JSON; expected an object of parameter names to values")
            }
            guard let object = value.objectValue else {
                throw BatonError(
                    .invalidInput, "params file '\(file)' holds \(value.kindDescription); expected an object of parameter names to values")
            }
            given = object
        }
        for param in params {
            guard let equals = param.firstIndex(of: "="), equals != param.startIndex else {
                throw BatonError(.invalidInput, "malformed --param '\(param)': expected KEY=VALUE, as in --param city=Boston")
            }
            let name = String(param[..<equals]).trimmingCharacters(in: .whitespaces)
            let text = String(param[param.index(after: equals)...])
            given[name] = try schema.value(fromArgument: text, for: name)
        }
        return given
    }
}
