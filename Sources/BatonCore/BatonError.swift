/// An error the host reports to a person: a code for programs, a one-line message that says what was
/// wrong and what was expected, and the underlying cause when there is one.
public struct BatonError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// Input from outside (an argument, a parameter, a file) is not what was expected.
        case invalidInput
        /// A flow run's parameter is unknown or not of its declared type (`field` names it).
        case invalidParameter
        /// What was asked for clashes with what exists, such as a name already taken.
        case conflict
        /// A flow, version, run or file named by the user does not exist.
        case notFound
        /// The credentials given (an API key) are not valid: unknown, revoked or expired.
        case unauthorized
        /// The caller is known, and their role does not allow what they asked.
        case forbidden
        /// Too many attempts (failed logins) in a short time: try again later.
        case throttled
        /// A file is not a shared library.
        case notALibrary
        /// A shared library has no Baton entry point.
        case noEntryPoint
        /// A library was built for another ABI, SDK or Swift compiler.
        case incompatibleLibrary
        /// Loading a library or reading its manifest failed, crashed or timed out.
        case registrationFailed
        /// Building a flow package failed.
        case buildFailed
        /// The store cannot be opened or written.
        case store
        /// The disk holding the store is full or refused a write: unlike damage, a writer may wait
        /// it out until space is freed.
        case storeFull
        /// The store's database server cannot be reached for now (it restarted, the network went
        /// away): like a full disk, a writer may wait it out.
        case storeUnavailable
        /// A file or directory cannot be read or written.
        case io
        /// A runner process could not be started or talked to.
        case runner
    }

    public let code: Code
    public let message: String
    public let underlying: String?
    /// The input at fault, when one can be named: a parameter (`count`, `window.from`), an option.
    public let field: String?

    public init(_ code: Code, _ message: String, underlying: String? = nil, field: String? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.field = field
    }

    public var description: String { message }

    /// The refusal of a `kind` ("channel", "secret") named `name` that `project` does not have,
    /// naming those it has, or, when it has none, the command that `makes` one.
    public static func unknown(_ kind: String, _ name: String, project: String, has names: [String], makes: String) -> BatonError {
        BatonError(
            .notFound,
            "no \(kind) '\(name)' in project '\(project)'"
                + (names.isEmpty ? "; it has none (`\(makes)` makes one)" : "; it has: \(names.sorted().joined(separator: ", "))"))
    }
}
