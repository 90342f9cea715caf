import Foundation

// The value rules of deployments, in one place: what a new deployment must satisfy, which version
// its runs use, where its scheduler resumes, and what a backfill's range must be. The application
// layer and the scheduler call these; the store only persists what they decide. (How a schedule is
// settled for storing is schedule arithmetic: `BatonSchedule`.)

extension NewDeployment {
    /// How many of its runs a deployment may have active at once, when it sets a most.
    public static let maxActiveRange = 1...Int.max

    /// Checks what can be checked without the store: names, the working directory and maxActive.
    /// Throws `invalidInput` naming the input at fault.
    public func validate() throws {
        try DeploymentNames.validate(name, what: "deployment name")
        try DeploymentNames.validate(pool, what: "pool name")
        if let directory = workingDirectory, !directory.hasPrefix("/") {
            throw BatonError(.invalidInput, "working directory '\(directory)' is not valid: expected an absolute path")
        }
        if let maxActive, !Self.maxActiveRange.contains(maxActive) {
            throw BatonError(.invalidInput, "--max-active \(maxActive) is not valid: expected a whole number of at least 1")
        }
    }
}

extension DeploymentRecord {
    /// The version its next run uses: the pinned one, else the flow's latest.
    public func versionToRun(latest: Int) -> Int { version ?? latest }

    /// The fire time (whole seconds) up to which every slot is recorded: the scheduler goes on after
    /// it. A scheduling batch written from another cursor is stale.
    public var cursor: Int64 { Int64(floor((scheduledThrough ?? createdAt).timeIntervalSince1970)) }
}

extension ScheduleSpec {
    /// Whether this stored schedule fires like `declared` (an RRULE's settled DTSTART aside), so
    /// that registering the same declaration again changes nothing.
    public func firesLike(_ declared: ScheduleSpec) -> Bool {
        var a = self
        var b = declared
        if a.kind == "rrule" && b.kind == "rrule" && (a.anchor == nil || b.anchor == nil || a.rrule == b.rrule) {
            a.anchor = nil
            b.anchor = nil
        }
        return a == b
    }
}

/// The range of fire times a backfill covers, checked once for every front end: `from` must not be
/// after `through`. The names are the inputs as the caller knows them (`--from` on the command line,
/// `'from'` in the API), so the one message names what to change.
public struct BackfillRange: Sendable, Hashable {
    public var from: Date
    public var through: Date

    public init(from: Date, through: Date, naming names: (from: String, through: String) = ("'from'", "'to'")) throws {
        guard from <= through else {
            throw BatonError(
                .invalidInput,
                "\(names.from) \(Timestamps.iso(from)) is after \(names.through) \(Timestamps.iso(through)): expected a range that moves forward",
                field: "from")
        }
        self.from = from
        self.through = through
    }
}
