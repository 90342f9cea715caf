/// Which version of a flow a request names: the latest registered one, or a number.
public enum VersionChoice: Sendable, Hashable {
    case latest
    case number(Int)

    /// What a version is expected to look like, for every message that refuses one.
    public static let expected = "a version number such as 2, or latest"
    /// The numbers a version may have.
    public static let numbers = 1...Int(Int32.max)

    /// Reads `latest` or a whole number in ``numbers``; nil for anything else.
    public init?(_ text: String) {
        if text == "latest" {
            self = .latest
        } else if let number = Int(text), Self.numbers.contains(number) {
            self = .number(number)
        } else {
            return nil
        }
    }

    /// Reads `text` as ``init(_:)`` does, refusing anything else with a message that names the input
    /// (`naming`, such as `--version`) and what was expected.
    public init(parsing text: String, naming: String) throws {
        guard let choice = VersionChoice(text) else { throw BatonError(.invalidInput, Self.refusal(text, naming: naming)) }
        self = choice
    }

    /// The one message refusing `text` as a version.
    public static func refusal(_ text: String, naming: String) -> String {
        "\(naming) '\(text)' is not valid: expected \(expected)"
    }

    /// The number chosen, or nil for `latest` (as the store's version look-ups take it).
    public var number: Int? {
        switch self {
        case .latest: nil
        case .number(let number): number
        }
    }
}
