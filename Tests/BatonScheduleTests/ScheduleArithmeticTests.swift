import BatonCore
@testable import BatonSchedule
import Testing

/// Cron and interval fire times, and ISO 8601 schedule times. Expected values were worked out by hand
/// and checked against Python's zoneinfo.
@Suite struct ScheduleArithmeticTests {
    private func fires(_ expression: String, in zoneName: String, after: String, count: Int) throws -> [String] {
        let zone = try ZoneRules.named(zoneName)
        let start = try ScheduleTime.parse(after, in: zone)
        return try CronSchedule(expression).fireTimes(after: start, in: zone, count: count)
            .map { ScheduleTime.format($0, in: zone) }
    }

    private func fires(every seconds: Int64, from anchor: String, in zoneName: String, after: String, count: Int) throws
        -> [String]
    {
        let zone = try ZoneRules.named(zoneName)
        let schedule = try IntervalSchedule(seconds: seconds, anchor: try ScheduleTime.parse(anchor, in: zone))
        return schedule.fireTimes(after: try ScheduleTime.parse(after, in: zone), in: zone, count: count)
            .map { ScheduleTime.format($0, in: zone) }
    }

    private func failure(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as BatonError {
            return error.code == .invalidInput ? error.message : "wrong code \(error.code)"
        } catch {
            return "\(error)"
        }
    }

    // MARK: Cron fields

    @Test func stepsRangesAndListsPickTheirMinutes() throws {
        #expect(
            try fires("*/15 * * * *", in: "UTC", after: "2026-01-01T00:00:00Z", count: 3)
                == ["2026-01-01T00:15:00+00:00", "2026-01-01T00:30:00+00:00", "2026-01-01T00:45:00+00:00"])
        #expect(
            try fires("1-30/10 * * * *", in: "UTC", after: "2026-01-01T00:00:00Z", count: 4)
                == ["2026-01-01T00:01:00+00:00", "2026-01-01T00:11:00+00:00", "2026-01-01T00:21:00+00:00",
                    "2026-01-01T01:01:00+00:00"])
        // `50/5` runs from 50 to the end of the field, as in Vixie cron.
        #expect(
            try fires("50/5 0 * * *", in: "UTC", after: "2026-01-01T00:00:00Z", count: 3)
                == ["2026-01-01T00:50:00+00:00", "2026-01-01T00:55:00+00:00", "2026-01-02T00:50:00+00:00"])
    }

    @Test func monthAndWeekdayNamesWorkInAnyCaseAndInRanges() throws {
        #expect(
            try fires("0 0 1 jan-Mar,DEC *", in: "UTC", after: "2026-01-01T00:00:00Z", count: 4)
                == ["2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00", "2026-12-01T00:00:00+00:00",
                    "2027-01-01T00:00:00+00:00"])
        #expect(
            try fires("0 9 * * MON-FRI", in: "Asia/Tokyo", after: "2026-03-06T12:00:00+09:00", count: 3)
                == ["2026-03-09T09:00:00+09:00", "2026-03-10T09:00:00+09:00", "2026-03-11T09:00:00+09:00"])
    }

    @Test func sundayIsZeroSevenOrSun() throws {
        let sundays = ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"]
        for expression in ["0 0 * * 0", "0 0 * * 7", "0 0 * * sun"] {
            #expect(try fires(expression, in: "UTC", after: "2026-01-01T00:00:00Z", count: 2) == sundays)
        }
        #expect(
            try fires("0 0 * * FRI-7", in: "UTC", after: "2026-01-01T00:00:00Z", count: 4)
                == ["2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00", "2026-01-04T00:00:00+00:00",
                    "2026-01-09T00:00:00+00:00"])
    }

    @Test func restrictedDayFieldsMatchEitherOtherwiseBoth() throws {
        // Both restricted: the 13th or any Friday.
        #expect(
            try fires("0 12 13 * FRI", in: "UTC", after: "2026-02-01T00:00:00Z", count: 4)
                == ["2026-02-06T12:00:00+00:00", "2026-02-13T12:00:00+00:00", "2026-02-20T12:00:00+00:00",
                    "2026-02-27T12:00:00+00:00"])
        // A day-of-month starting with `*` counts as unrestricted: Mondays that are the 1st, 11th, 21st or 31st.
        #expect(
            try fires("0 12 */10 * MON", in: "UTC", after: "2026-01-01T00:00:00Z", count: 3)
                == ["2026-05-11T12:00:00+00:00", "2026-06-01T12:00:00+00:00", "2026-08-31T12:00:00+00:00"])
        #expect(
            try fires("0 0 29 2 *", in: "UTC", after: "2026-01-01T00:00:00Z", count: 2)
                == ["2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00"])
        #expect(try fires("0 0 30 2 *", in: "UTC", after: "2026-01-01T00:00:00Z", count: 2).isEmpty)
    }

    @Test func nicknamesMeanWhatVixieCronMeans() throws {
        let expansions = [
            "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
            "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
        ]
        for (nickname, expansion) in expansions {
            let after = "2026-01-01T00:00:00Z"
            #expect(try fires(nickname, in: "UTC", after: after, count: 3) == fires(expansion, in: "UTC", after: after, count: 3))
            #expect(try CronSchedule(nickname).isFixed == (nickname != "@hourly"))
        }
        #expect(try fires("@weekly", in: "UTC", after: "2026-01-01T00:00:00Z", count: 1) == ["2026-01-04T00:00:00+00:00"])
    }

    @Test func fixedMeansNeitherMinuteNorHourStartsWithAStar() throws {
        #expect(try CronSchedule("30 2 * * *").isFixed)
        #expect(try CronSchedule("0-59/15 0-23 * * *").isFixed)
        #expect(try !CronSchedule("*/30 2 * * *").isFixed)
        #expect(try !CronSchedule("0 */2 * * *").isFixed)
    }

    @Test func fireTimesAreStrictlyAfterTheInstant() throws {
        #expect(try fires("5 4 * * *", in: "UTC", after: "2026-01-01T04:05:00Z", count: 1) == ["2026-01-02T04:05:00+00:00"])
        #expect(try CronSchedule("* * * * *").fireTimes(after: 0, in: .utc, count: 0).isEmpty)
    }

    // MARK: Cron across offset changes

    @Test func fixedJobsFireAtTheEndOfASpringForwardGap() throws {
        #expect(
            try fires("30 2 * * *", in: "America/New_York", after: "2026-03-07T12:00:00-05:00", count: 2)
                == ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"])
        // Several times inside one gap fire once.
        #expect(
            try fires("0,15,30,45 2 * * *", in: "America/New_York", after: "2026-03-08T00:00:00-05:00", count: 2)
                == ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"])
        #expect(
            try fires("30 1 * * *", in: "Europe/London", after: "2026-03-28T12:00:00Z", count: 2)
                == ["2026-03-29T02:00:00+01:00", "2026-03-30T01:30:00+01:00"])
        #expect(
            try fires("15 2 * * *", in: "Australia/Lord_Howe", after: "2026-10-03T12:00:00+10:30", count: 2)
                == ["2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"])
        #expect(
            try fires("0 3 * * *", in: "Pacific/Chatham", after: "2026-09-26T12:00:00+12:45", count: 2)
                == ["2026-09-27T03:45:00+13:45", "2026-09-28T03:00:00+13:45"])
        // Samoa skipped 2011-12-30 entirely.
        #expect(
            try fires("0 9 * * *", in: "Pacific/Apia", after: "2011-12-28T12:00:00-10:00", count: 3)
                == ["2011-12-29T09:00:00-10:00", "2011-12-31T00:00:00+14:00", "2011-12-31T09:00:00+14:00"])
    }

    @Test func fixedJobsFireOnceInAFallBackOverlap() throws {
        #expect(
            try fires("30 1 * * *", in: "America/New_York", after: "2026-10-31T12:00:00-04:00", count: 2)
                == ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"])
        #expect(
            try fires("45 1 * * *", in: "Australia/Lord_Howe", after: "2026-04-04T12:00:00+11:00", count: 2)
                == ["2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"])
        #expect(
            try fires("0 3 * * *", in: "Pacific/Chatham", after: "2026-04-04T12:00:00+13:45", count: 2)
                == ["2026-04-05T03:00:00+13:45", "2026-04-06T03:00:00+12:45"])
    }

    @Test func wildcardJobsFireOnBothPassesAndNeverInAGap() throws {
        #expect(
            try fires("*/30 1 * * *", in: "America/New_York", after: "2026-11-01T00:00:00-04:00", count: 5)
                == ["2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T01:00:00-05:00",
                    "2026-11-01T01:30:00-05:00", "2026-11-02T01:00:00-05:00"])
        #expect(
            try fires("0 * * * *", in: "America/New_York", after: "2026-11-01T00:30:00-04:00", count: 4)
                == ["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00",
                    "2026-11-01T03:00:00-05:00"])
        #expect(
            try fires("*/30 2 * * *", in: "America/New_York", after: "2026-03-08T00:00:00-05:00", count: 2)
                == ["2026-03-09T02:00:00-04:00", "2026-03-09T02:30:00-04:00"])
        #expect(
            try fires("*/20 1 * * *", in: "Europe/London", after: "2026-10-25T00:00:00+01:00", count: 7)
                == ["2026-10-25T01:00:00+01:00", "2026-10-25T01:20:00+01:00", "2026-10-25T01:40:00+01:00",
                    "2026-10-25T01:00:00+00:00", "2026-10-25T01:20:00+00:00", "2026-10-25T01:40:00+00:00",
                    "2026-10-26T01:00:00+00:00"])
        #expect(
            try fires("*/15 2 * * *", in: "Australia/Lord_Howe", after: "2026-10-04T00:00:00+10:30", count: 3)
                == ["2026-10-04T02:30:00+11:00", "2026-10-04T02:45:00+11:00", "2026-10-05T02:00:00+11:00"])
        #expect(
            try fires("*/15 1 * * *", in: "Australia/Lord_Howe", after: "2026-04-05T00:00:00+11:00", count: 7)
                == ["2026-04-05T01:00:00+11:00", "2026-04-05T01:15:00+11:00", "2026-04-05T01:30:00+11:00",
                    "2026-04-05T01:45:00+11:00", "2026-04-05T01:30:00+10:30", "2026-04-05T01:45:00+10:30",
                    "2026-04-06T01:00:00+10:30"])
        #expect(
            try fires("*/30 3 * * *", in: "Pacific/Chatham", after: "2026-04-05T00:00:00+13:45", count: 5)
                == ["2026-04-05T03:00:00+13:45", "2026-04-05T03:30:00+13:45", "2026-04-05T03:00:00+12:45",
                    "2026-04-05T03:30:00+12:45", "2026-04-06T03:00:00+12:45"])
        #expect(
            try fires("0 * * * *", in: "Pacific/Apia", after: "2011-12-29T22:30:00-10:00", count: 3)
                == ["2011-12-29T23:00:00-10:00", "2011-12-31T00:00:00+14:00", "2011-12-31T01:00:00+14:00"])
    }

    // MARK: Cron errors

    @Test func badExpressionsAreRefusedNamingTheBadPart() {
        let cases = [
            "61 * * * *": "cron expression '61 * * * *': minute '61' is out of range 0-59",
            "* * *": "cron expression '* * *': expected 5 fields (minute hour day-of-month month day-of-week) or a nickname such as @daily",
            "*/0 * * * *": "cron expression '*/0 * * * *': minute '*/0' has a step of 0: expected a step of 1 or more",
            "0 17-9 * * *": "cron expression '0 17-9 * * *': hour '17-9' is a reversed range: expected the low end first, as in 9-17",
            "0 0 * * FOO": "cron expression '0 0 * * FOO': day-of-week 'FOO' is not a number or a known name: expected 0-7 or SUN-SAT",
            "0 0 * JANUARY *": "cron expression '0 0 * JANUARY *': month 'JANUARY' is not a number or a known name: expected 1-12 or JAN-DEC",
            "0 0 0 * *": "cron expression '0 0 0 * *': day-of-month '0' is out of range 1-31",
            "0 0 * * 8": "cron expression '0 0 * * 8': day-of-week '8' is out of range 0-7",
            "1,,2 * * * *": "cron expression '1,,2 * * * *': minute '1,,2' is not valid: expected a number, a range (1-5), a list (1,3) or a step (*/15)",
            "*/x * * * *": "cron expression '*/x * * * *': minute '*/x' has a step that is not a number: expected e.g. */15",
            "@reboot": "cron expression '@reboot': unknown nickname '@reboot': expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly",
        ]
        for (expression, message) in cases {
            #expect(failure { _ = try CronSchedule(expression) } == message)
        }
        #expect(failure { _ = try CronSchedule("0 0 L * *") } != nil)
        #expect(failure { _ = try CronSchedule("0 0 ? * *") } != nil)
    }

    // MARK: Intervals

    @Test func dailyIntervalsKeepTheWallClockTimeAcrossOffsetChanges() throws {
        #expect(
            try fires(every: 86_400, from: "2026-03-07T09:00:00-05:00", in: "America/New_York",
                after: "2026-03-07T09:00:00-05:00", count: 2)
                == ["2026-03-08T09:00:00-04:00", "2026-03-09T09:00:00-04:00"])
        #expect(
            try fires(every: 604_800, from: "2026-03-02T09:00:00-05:00", in: "America/New_York",
                after: "2026-03-03T00:00:00-05:00", count: 2)
                == ["2026-03-09T09:00:00-04:00", "2026-03-16T09:00:00-04:00"])
        #expect(
            try fires(every: 172_800, from: "2026-10-24T01:30:00+01:00", in: "Europe/London",
                after: "2026-10-24T01:30:00+01:00", count: 2)
                == ["2026-10-26T01:30:00+00:00", "2026-10-28T01:30:00+00:00"])
        #expect(
            try fires(every: 86_400, from: "2026-01-01T09:00:00+09:00", in: "Asia/Tokyo",
                after: "2025-01-01T00:00:00+09:00", count: 2)
                == ["2026-01-01T09:00:00+09:00", "2026-01-02T09:00:00+09:00"])
    }

    @Test func dailyTimesInAGapTakeTheOffsetBeforeItAndInAnOverlapTheFirstPass() throws {
        #expect(
            try fires(every: 86_400, from: "2026-03-07T02:30:00-05:00", in: "America/New_York",
                after: "2026-03-07T00:00:00-05:00", count: 3)
                == ["2026-03-07T02:30:00-05:00", "2026-03-08T03:30:00-04:00", "2026-03-09T02:30:00-04:00"])
        #expect(
            try fires(every: 86_400, from: "2026-10-31T01:30:00-04:00", in: "America/New_York",
                after: "2026-10-31T01:30:00-04:00", count: 2)
                == ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"])
        #expect(
            try fires(every: 86_400, from: "2026-10-03T02:15:00+10:30", in: "Australia/Lord_Howe",
                after: "2026-10-03T02:15:00+10:30", count: 2)
                == ["2026-10-04T02:45:00+11:00", "2026-10-05T02:15:00+11:00"])
        #expect(
            try fires(every: 86_400, from: "2026-04-04T03:00:00+13:45", in: "Pacific/Chatham",
                after: "2026-04-04T03:00:00+13:45", count: 2)
                == ["2026-04-05T03:00:00+13:45", "2026-04-06T03:00:00+12:45"])
        // The skipped 2011-12-30 names the same instant as 2011-12-31; it fires once.
        #expect(
            try fires(every: 86_400, from: "2011-12-28T09:00:00-10:00", in: "Pacific/Apia",
                after: "2011-12-28T09:00:00-10:00", count: 3)
                == ["2011-12-29T09:00:00-10:00", "2011-12-31T09:00:00+14:00", "2012-01-01T09:00:00+14:00"])
    }

    @Test func otherIntervalsCountElapsedSeconds() throws {
        #expect(
            try fires(every: 3600, from: "2026-03-08T00:00:00-05:00", in: "America/New_York",
                after: "2026-03-08T00:00:00-05:00", count: 3)
                == ["2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"])
        #expect(
            try fires(every: 90_000, from: "2026-03-07T09:00:00-05:00", in: "America/New_York",
                after: "2026-03-07T09:00:00-05:00", count: 2)
                == ["2026-03-08T11:00:00-04:00", "2026-03-09T12:00:00-04:00"])
        #expect(
            try fires(every: 1, from: "2026-01-01T00:00:00Z", in: "UTC", after: "2026-01-01T00:00:00.5Z", count: 2)
                == ["2026-01-01T00:00:01+00:00", "2026-01-01T00:00:02+00:00"])
    }

    @Test func theAnchorIsTheFirstFireTime() throws {
        let schedule = try IntervalSchedule(seconds: 1800, anchor: 1_767_225_600)
        #expect(schedule.fireTimes(after: 0, in: .utc, count: 2) == [1_767_225_600, 1_767_227_400])
        #expect(schedule.fireTimes(after: 1_767_225_600, in: .utc, count: 1) == [1_767_227_400])
        #expect(schedule.fireTimes(after: 1_767_225_599, in: .utc, count: 1) == [1_767_225_600])
    }

    @Test func nonPositiveIntervalsAreRefusedNamingTheValue() {
        #expect(
            failure { _ = try IntervalSchedule(seconds: 0, anchor: 0) }
                == "interval of 0 seconds is not allowed: expected 1 second or more")
        #expect(
            failure { _ = try IntervalSchedule(seconds: -60, anchor: 0) }
                == "interval of -60 seconds is not allowed: expected 1 second or more")
    }
}
