import BatonCore
@testable import BatonSchedule
import Testing

/// Expected instances are written out by hand and checked against python-dateutil's `rrule` with a
/// naive DTSTART, which the expansion follows.
@Suite struct RecurrenceRuleTests {
    /// The first `limit` instances of `rule` from `start` (`YYYY-MM-DDTHH:MM:SS`), as text.
    func expand(_ rule: String, from start: String, limit: Int = 10) throws -> [String] {
        try RecurrenceRule(rule).instances(from: civil(start), isPastUntil: { _ in false })
            .prefix(limit).map(\.description)
    }

    func civil(_ text: String) -> CivilTime {
        let n = text.split(whereSeparator: { "-T:".contains($0) }).map { Int($0)! }
        return CivilTime(year: n[0], month: n[1], day: n[2], hour: n[3], minute: n[4], second: n[5])
    }

    func parseError(_ rule: String) -> String? {
        do {
            _ = try RecurrenceRule(rule)
            return nil
        } catch let error as BatonError {
            #expect(error.code == .invalidInput)
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    // MARK: Parsing

    @Test func partsParseInAnyOrderAndCase() throws {
        let rule = try RecurrenceRule("rrule:byday=sa,-1su;Freq=Weekly;BYHOUR=9;byminute=0;interval=2;wkst=su")
        #expect(rule.frequency == .weekly)
        #expect(rule.interval == 2)
        #expect(rule.byDay == [.init(weekday: 5, ordinal: nil), .init(weekday: 6, ordinal: -1)])
        #expect(rule.byHour == [9] && rule.byMinute == [0])
        #expect(rule.weekStart == 6)
        #expect(rule.count == nil && rule.until == nil)
    }

    @Test func untilKeepsWallClockOrInstant() throws {
        #expect(try RecurrenceRule("FREQ=DAILY;UNTIL=20260105T090000").until == .local(civil("2026-01-05T09:00:00")))
        #expect(try RecurrenceRule("FREQ=DAILY;UNTIL=20260105").until == .local(civil("2026-01-05T00:00:00")))
        #expect(try RecurrenceRule("FREQ=DAILY;UNTIL=20260105T140000Z").until == .utc(1_767_621_600))
    }

    @Test func badRulesAreRefusedNamingThePart() {
        let bad = "rrule 'FREQ=WEEKLY;BYDAY=XX': BYDAY value 'XX' is not a weekday "
            + "(MO, TU, WE, TH, FR, SA, SU with an optional ordinal such as -1FR)"
        #expect(parseError("FREQ=WEEKLY;BYDAY=XX") == bad)
        #expect(parseError("BYDAY=MO") == "rrule 'BYDAY=MO': FREQ is missing "
            + "(one of SECONDLY, MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY)")
        #expect(parseError("FREQ=DAILY;COUNT=3;UNTIL=20260101")
            == "rrule 'FREQ=DAILY;COUNT=3;UNTIL=20260101': COUNT and UNTIL cannot both be given; keep one")
        #expect(parseError("FREQ=DAILY;INTERVAL=0")
            == "rrule 'FREQ=DAILY;INTERVAL=0': INTERVAL value '0' is out of range (1 or more)")
        #expect(parseError("FREQ=MONTHLY;BYMONTHDAY=0")
            == "rrule 'FREQ=MONTHLY;BYMONTHDAY=0': BYMONTHDAY value '0' is out of range (1 to 31 or -31 to -1)")
        #expect(parseError("FREQ=DAILY;BYSECOND=60")?.hasSuffix(
            "BYSECOND value '60' is out of range (0 to 59; leap seconds are not supported)") == true)
        #expect(parseError("FREQ=DAILY;BYEASTER=0")?.contains("unknown part 'BYEASTER'") == true)
        #expect(parseError("FREQ=FORTNIGHTLY")?.contains("FREQ value 'FORTNIGHTLY' is not one of") == true)
        #expect(parseError("FREQ=MONTHLY;BYDAY=0MO")?.contains("BYDAY value '0MO' has an ordinal outside") == true)
        #expect(parseError("FREQ=DAILY;UNTIL=2026-01-05")?.contains("UNTIL value '2026-01-05' is not a date") == true)
        #expect(parseError("FREQ=DAILY;COUNT") == "rrule 'FREQ=DAILY;COUNT': part 'COUNT' is not NAME=VALUE")
        #expect(parseError("FREQ=DAILY;FREQ=WEEKLY")?.hasSuffix("FREQ is given more than once") == true)
        for rule in ["FREQ=YEARLY;BYYEARDAY=367", "FREQ=YEARLY;BYWEEKNO=-54", "FREQ=DAILY;BYHOUR=24",
                     "FREQ=DAILY;BYMINUTE=60", "FREQ=YEARLY;BYMONTH=13", "FREQ=DAILY;BYSETPOS=0",
                     "FREQ=DAILY;BYHOUR=9,,10", "FREQ=DAILY;WKST=XX", "FREQ=DAILY;COUNT=-1"] {
            #expect(parseError(rule) != nil, "\(rule) should be refused")
        }
    }

    // MARK: Defaults from DTSTART

    @Test func startIsEmittedOnlyWhenTheRuleMatchesIt() throws {
        #expect(try expand("FREQ=MONTHLY;BYMONTHDAY=15", from: "2026-01-20T08:00:00", limit: 3)
            == ["2026-02-15T08:00:00", "2026-03-15T08:00:00", "2026-04-15T08:00:00"])
    }

    @Test func weeklyTakesTheStartWeekdayAndTime() throws {
        #expect(try expand("FREQ=WEEKLY", from: "2026-01-01T12:00:00", limit: 3)
            == ["2026-01-01T12:00:00", "2026-01-08T12:00:00", "2026-01-15T12:00:00"])
    }

    @Test func yearlyWithMonthsTakesTheStartDay() throws {
        #expect(try expand("FREQ=YEARLY;BYMONTH=3,9", from: "2026-01-20T12:00:00", limit: 3)
            == ["2026-03-20T12:00:00", "2026-09-20T12:00:00", "2027-03-20T12:00:00"])
    }

    @Test func weekendMorningsStartAfterThursdayEvening() throws {
        #expect(try expand("FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=9;BYMINUTE=0", from: "2026-01-01T17:30:00", limit: 4)
            == ["2026-01-03T09:00:00", "2026-01-04T09:00:00", "2026-01-10T09:00:00", "2026-01-11T09:00:00"])
    }

    @Test func hoursMinutesAndSecondsMultiplyOut() throws {
        #expect(try expand("FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0,30;BYSECOND=15", from: "2026-01-01T12:00:00", limit: 5)
            == ["2026-01-01T17:00:15", "2026-01-01T17:30:15", "2026-01-02T09:00:15", "2026-01-02T09:30:15",
                "2026-01-02T17:00:15"])
    }

    // MARK: Days of the month and year

    @Test func lastWeekdayOfTheMonthUsesSetPosition() throws {
        #expect(try expand("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", from: "2026-01-01T17:00:00", limit: 5)
            == ["2026-01-30T17:00:00", "2026-02-27T17:00:00", "2026-03-31T17:00:00", "2026-04-30T17:00:00",
                "2026-05-29T17:00:00"])
    }

    @Test func setPositionPicksAmongTimesOfADay() throws {
        #expect(try expand("FREQ=DAILY;BYHOUR=9,12,18;BYSETPOS=1,-1", from: "2026-01-01T10:00:00", limit: 3)
            == ["2026-01-01T18:00:00", "2026-01-02T09:00:00", "2026-01-02T18:00:00"])
    }

    @Test func weeklySetPositionCountsFromStartNotFromWeekStart() throws {
        // The first period runs Wednesday to Sunday, so its first match is Friday.
        #expect(try expand("FREQ=WEEKLY;BYDAY=MO,FR;BYSETPOS=1", from: "2026-01-07T10:00:00", limit: 3)
            == ["2026-01-09T10:00:00", "2026-01-12T10:00:00", "2026-01-19T10:00:00"])
    }

    @Test func monthlyOrdinalsCountWithinTheMonth() throws {
        #expect(try expand("FREQ=MONTHLY;BYDAY=1MO,-1FR", from: "2026-01-01T09:00:00", limit: 4)
            == ["2026-01-05T09:00:00", "2026-01-30T09:00:00", "2026-02-02T09:00:00", "2026-02-27T09:00:00"])
    }

    @Test func yearlyOrdinalsCountWithinTheYear() throws {
        #expect(try expand("FREQ=YEARLY;BYDAY=20MO", from: "2026-01-01T09:00:00", limit: 3)
            == ["2026-05-18T09:00:00", "2027-05-17T09:00:00", "2028-05-15T09:00:00"])
        #expect(try expand("FREQ=YEARLY;BYDAY=-1SU", from: "2026-01-01T09:00:00", limit: 3)
            == ["2026-12-27T09:00:00", "2027-12-26T09:00:00", "2028-12-31T09:00:00"])
    }

    @Test func yearlyOrdinalsWithMonthsCountWithinEachMonth() throws {
        #expect(try expand("FREQ=YEARLY;BYMONTH=11;BYDAY=4TH", from: "2026-01-01T09:00:00", limit: 3)
            == ["2026-11-26T09:00:00", "2027-11-25T09:00:00", "2028-11-23T09:00:00"])
        #expect(try expand("FREQ=YEARLY;BYMONTH=1,2;BYDAY=-1SU", from: "2026-01-01T09:00:00", limit: 4)
            == ["2026-01-25T09:00:00", "2026-02-22T09:00:00", "2027-01-31T09:00:00", "2027-02-28T09:00:00"])
    }

    @Test func ordinalsAreIgnoredBelowMonthly() throws {
        #expect(try expand("FREQ=DAILY;BYDAY=1MO", from: "2026-01-01T12:00:00", limit: 3)
            == ["2026-01-05T12:00:00", "2026-01-12T12:00:00", "2026-01-19T12:00:00"])
    }

    @Test func negativeMonthDayIsTheLastDayOfEachMonth() throws {
        #expect(try expand("FREQ=MONTHLY;BYMONTHDAY=-1", from: "2027-11-05T12:00:00", limit: 5)
            == ["2027-11-30T12:00:00", "2027-12-31T12:00:00", "2028-01-31T12:00:00", "2028-02-29T12:00:00",
                "2028-03-31T12:00:00"])
    }

    @Test func yearDaysCountFromBothEndsOfTheYear() throws {
        #expect(try expand("FREQ=YEARLY;BYYEARDAY=-1,100", from: "2024-01-01T00:00:00", limit: 4)
            == ["2024-04-09T00:00:00", "2024-12-31T00:00:00", "2025-04-10T00:00:00", "2025-12-31T00:00:00"])
    }

    @Test func weekNumbersFollowTheWeekStart() throws {
        #expect(try expand("FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", from: "1997-01-01T09:00:00", limit: 3)
            == ["1997-05-12T09:00:00", "1998-05-11T09:00:00", "1999-05-17T09:00:00"])
        // 2026 starts on a Thursday: with Monday weeks its week 1 began on 2025-12-29.
        #expect(try expand("FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO", from: "2026-01-01T09:00:00", limit: 3)
            == ["2027-01-04T09:00:00", "2028-01-03T09:00:00", "2029-01-01T09:00:00"])
        #expect(try expand("FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO;WKST=SU", from: "2026-01-01T09:00:00", limit: 3)
            == ["2026-01-05T09:00:00", "2027-01-04T09:00:00", "2028-01-03T09:00:00"])
        #expect(try expand("FREQ=YEARLY;BYWEEKNO=-1;BYDAY=SU", from: "2026-01-01T09:00:00", limit: 3)
            == ["2027-01-03T09:00:00", "2028-01-02T09:00:00", "2028-12-31T09:00:00"])
    }

    @Test func weekStartChangesWhichDaysShareAWeek() throws {
        // RFC 5545's own example.
        #expect(try expand("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO", from: "1997-08-05T09:00:00")
            == ["1997-08-05T09:00:00", "1997-08-10T09:00:00", "1997-08-19T09:00:00", "1997-08-24T09:00:00"])
        #expect(try expand("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU", from: "1997-08-05T09:00:00")
            == ["1997-08-05T09:00:00", "1997-08-17T09:00:00", "1997-08-19T09:00:00", "1997-08-31T09:00:00"])
    }

    // MARK: Missing days

    @Test func february29thRecursOnlyInLeapYears() throws {
        #expect(try expand("FREQ=YEARLY", from: "2024-02-29T12:00:00", limit: 3)
            == ["2024-02-29T12:00:00", "2028-02-29T12:00:00", "2032-02-29T12:00:00"])
        #expect(try expand("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=29,30", from: "2026-01-01T10:00:00", limit: 3)
            == ["2028-02-29T10:00:00", "2032-02-29T10:00:00", "2036-02-29T10:00:00"])
    }

    @Test func monthsWithoutThe31stAreSkipped() throws {
        #expect(try expand("FREQ=MONTHLY", from: "2026-01-31T12:00:00", limit: 5)
            == ["2026-01-31T12:00:00", "2026-03-31T12:00:00", "2026-05-31T12:00:00", "2026-07-31T12:00:00",
                "2026-08-31T12:00:00"])
    }

    // MARK: Ending and stepping

    @Test func countCountsFromTheStart() throws {
        #expect(try expand("FREQ=DAILY;COUNT=3", from: "2026-01-01T09:00:00")
            == ["2026-01-01T09:00:00", "2026-01-02T09:00:00", "2026-01-03T09:00:00"])
    }

    @Test func localUntilIsInclusive() throws {
        #expect(try expand("FREQ=DAILY;UNTIL=20260105T090000", from: "2026-01-01T09:00:00").count == 5)
        #expect(try expand("FREQ=DAILY;UNTIL=20260105", from: "2026-01-01T09:00:00").last == "2026-01-04T09:00:00")
    }

    @Test func utcUntilIsLeftToTheCaller() throws {
        let rule = try RecurrenceRule("FREQ=DAILY;UNTIL=20260105T140000Z")
        let cutoff = CivilTime(year: 2026, month: 1, day: 3, hour: 9)
        let instances = rule.instances(from: civil("2026-01-01T09:00:00"), isPastUntil: { $0 > cutoff })
        #expect(instances.map(\.description) == ["2026-01-01T09:00:00", "2026-01-02T09:00:00", "2026-01-03T09:00:00"])
    }

    @Test func intervalSkipsPeriods() throws {
        #expect(try expand("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=1", from: "2026-01-10T06:00:00", limit: 3)
            == ["2026-03-01T06:00:00", "2026-05-01T06:00:00", "2026-07-01T06:00:00"])
    }

    @Test func hourlyStepsSkipHoursOutsideByHour() throws {
        // Every 5 hours from 03:15 comes back to 03, 08 and 13 only after 5 days.
        #expect(try expand("FREQ=HOURLY;INTERVAL=5;BYHOUR=3,8,13", from: "2026-01-01T03:15:00", limit: 6)
            == ["2026-01-01T03:15:00", "2026-01-01T08:15:00", "2026-01-01T13:15:00", "2026-01-06T03:15:00",
                "2026-01-06T08:15:00", "2026-01-06T13:15:00"])
    }

    @Test func minutelyRuleKeepsToBusinessHours() throws {
        let rule = "FREQ=MINUTELY;INTERVAL=5;BYHOUR=9,10,11,12,13,14,15,16;BYDAY=MO,TU,WE,TH,FR"
        #expect(try expand(rule, from: "2026-01-02T16:50:00", limit: 4)
            == ["2026-01-02T16:50:00", "2026-01-02T16:55:00", "2026-01-05T09:00:00", "2026-01-05T09:05:00"])
    }

    @Test func secondlyStepsFilterByMinuteAndSecond() throws {
        #expect(try expand("FREQ=SECONDLY;INTERVAL=20;BYSECOND=0,40;BYMINUTE=0", from: "2026-01-01T12:00:00", limit: 4)
            == ["2026-01-01T12:00:00", "2026-01-01T12:00:40", "2026-01-01T13:00:00", "2026-01-01T13:00:40"])
    }

    @Test func unreachableHoursMakeAnEmptySequence() throws {
        #expect(try expand("FREQ=HOURLY;INTERVAL=2;BYHOUR=1", from: "2026-01-01T00:00:00").isEmpty)
        #expect(try expand("FREQ=SECONDLY;BYSETPOS=2", from: "2026-01-01T00:00:00").isEmpty)
    }

    @Test func iterationStopsAfterYear9999() throws {
        #expect(try expand("FREQ=YEARLY", from: "9998-06-01T00:00:00") == ["9998-06-01T00:00:00", "9999-06-01T00:00:00"])
    }
}
