import BatonCore
import BatonSchedule
import Foundation

/// `baton schedule preview`, and the schedule options that `baton deployment create` shares.
enum ScheduleCommands {
    static let scheduleOptions: [OptionSpec] = [
        .value("cron", "EXPR", "A 5-field cron expression or nickname (@daily), in --timezone"),
        .value("interval", "SECONDS", "Every SECONDS, counted from --anchor"),
        .value("rrule", "RULE", "An RFC 5545 RRULE value, with --anchor as DTSTART"),
        .value("anchor", "ISO", "The first fire time of an interval, or DTSTART of an RRULE"),
        .value("timezone", "TZ", "An IANA time zone such as America/New_York (default UTC)"),
    ]

    static let preview = CommandSpec(
        path: ["schedule", "preview"], summary: "Print the next fire times of a cron, interval or RRULE schedule",
        details: """
            Prints the next --count fire times strictly after --after, one per line, as ISO 8601 local time
            in the schedule's time zone with its offset. --after and --anchor take an offset (Z allowed) or,
            without one, are wall-clock times in --timezone. A schedule with no fire time within
            \(CompiledSchedule.horizonYears) years after --after (31 February, an RRULE that has ended) is refused,
            as `baton deployment create` refuses it.

            EXAMPLES:
              baton schedule preview --cron "0 2 * * *" --timezone Europe/London --after 2026-03-28T00:00:00Z --count 3
              baton schedule preview --interval 86400 --anchor 2026-03-07T02:30:00 --timezone America/New_York --after 2026-03-07 --count 3
              baton schedule preview --rrule "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1" --anchor 2026-01-01T17:00:00 --after 2026-01-01 --count 6
            """,
        options: scheduleOptions + [
            .value("after", "ISO", "Print fire times after this (default now)"),
            .value("count", "N", "How many fire times (default 5)"),
        ]
    ) { args, context in
        guard let spec = try schedule(from: args, required: true) else { return 2 }
        let compiled = try CompiledSchedule(spec, defaultStart: Date())
        let after = try args.value("after").map { try ScheduleTime.parse($0, in: compiled.zone) } ?? Int64(Date().timeIntervalSince1970)
        let count = try args.integer("count", minimum: 0) ?? 5
        try compiled.requireFireTime(after: after)
        var lines: [String] = []
        lines.reserveCapacity(count)
        for time in compiled.fireTimes(after: after, count: count) { lines.append(compiled.format(time)) }
        if !lines.isEmpty { context.out.line(lines.joined(separator: "\n")) }
        return 0
    }

    /// The schedule the options describe; nil when none is given and none is required.
    static func schedule(from args: ParsedArguments, required: Bool) throws -> ScheduleSpec? {
        try ScheduleSpec.from(
            cron: args.value("cron"), interval: args.value("interval"), rrule: args.value("rrule"), anchor: args.value("anchor"),
            timeZone: args.value("timezone"), required: required, naming: { "--" + $0 })
    }
}
