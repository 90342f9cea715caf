import BatonCore
import Foundation

// Look-ups every backend shares: the store answers with records or nothing, and the messages that
// refuse an unknown flow or version are written here once, not per backend.

extension RegistryStore {
    /// The versions of a flow, oldest first; throws `notFound` naming the registered flows.
    public func versions(of flow: String, project: String) throws -> [VersionRecord] {
        let versions = try versionRecords(of: flow, project: project)
        guard !versions.isEmpty else { throw try unknownFlow(flow, project: project) }
        return versions
    }

    /// A version of a flow (`nil`: the latest); throws `notFound` naming what exists.
    public func version(of flow: String, number: Int?, project: String) throws -> VersionRecord {
        if let found = try versionRecord(of: flow, number: number, project: project) { return found }
        let numbers = try versionRecords(of: flow, project: project).map(\.number)
        guard !numbers.isEmpty else { throw try unknownFlow(flow, project: project) }
        throw BatonError(.notFound, "flow '\(flow)' has no version \(number ?? 0); its versions are \(Self.describeRange(numbers))")
    }

    /// The refusal of a flow that is not registered, naming those that are.
    func unknownFlow(_ flow: String, project: String) throws -> BatonError {
        let names = try flowNames(project: project)
        let place = project == ProjectNames.default ? "" : " in project '\(project)'"
        return BatonError(
            .notFound,
            "unknown flow '\(flow)'\(place); "
                + (names.isEmpty
                    ? "no flows are registered\(place) yet (register one with `baton register <package-or-library>`)"
                    : "registered flows: \(names.joined(separator: ", "))"))
    }

    /// "1–3" or "1, 2 and 5".
    static func describeRange(_ numbers: [Int]) -> String {
        guard let first = numbers.first, let last = numbers.last else { return "none" }
        if numbers.count > 2 && last - first + 1 == numbers.count { return "\(first)–\(last)" }
        return numbers.map(String.init).joined(separator: ", ")
    }
}
