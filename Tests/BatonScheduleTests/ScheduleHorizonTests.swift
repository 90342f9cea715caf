import BatonCore
import BatonSchedule
import Foundation
import Testing

/// A schedule must fire within `CompiledSchedule.horizonYears` years: cron, interval and RRULE alike.
@Suite struct ScheduleHorizonTests {
    /// 2026-12-05T08:00:00Z.
    let now: Int64 = 1_796_457_600

    private func refusal(_ spec: ScheduleSpec, after instant: Int64? = nil) throws -> String? {
        let schedule = try CompiledSchedule(spec, defaultStart: Date(timeIntervalSince1970: Double(now)))
        do {
            try schedule.requireFireTime(after: instant ?? now)
            return nil
        } catch let error as BatonError {
            #expect(error.code == .invalidInput)
            #expect(error.field == spec.kind)
            #expect(!error.message.contains("\n"))
            return error.message
        }
    }

    private func date(_ text: String) throws -> Date {
        Date(timeIntervalSince1970: Double(try ScheduleTime.parse(text, in: .utc)))
    }

    @Test func thirtyFirstOfFebruaryNeverFiresAndSaysTheRule() throws {
        let message = try #require(try refusal(ScheduleSpec(kind: "cron", cron: "0 0 31 2 *")))
        #expect(message == "schedule 'cron 0 0 31 2 *' never fires after 2026-12-05T08:00:00+00:00: a schedule must fire within 5 years")
    }

    @Test func leapDaysAndOrdinaryCronsFireSoonEnough() throws {
        #expect(try refusal(ScheduleSpec(kind: "cron", cron: "0 0 29 2 *")) == nil)
        #expect(try refusal(ScheduleSpec(kind: "cron", cron: "*/5 * * * *", timeZone: "Europe/Berlin")) == nil)
        #expect(try refusal(ScheduleSpec(kind: "cron", cron: "@yearly")) == nil)
    }

    @Test func anRRuleThatHasEndedIsRefusedUnlessAskedFromBeforeItsEnd() throws {
        let ended = ScheduleSpec(kind: "rrule", rrule: "FREQ=DAILY;COUNT=3", anchor: try date("2020-01-01T00:00:00Z"))
        let message = try #require(try refusal(ended))
        #expect(message.contains("never fires after 2026-12-05T08:00:00+00:00"), "\(message)")
        #expect(try refusal(ended, after: try ScheduleTime.parse("2019-12-31T00:00:00Z", in: .utc)) == nil)
        let until = ScheduleSpec(kind: "rrule", rrule: "FREQ=WEEKLY;UNTIL=20250101T000000Z", anchor: try date("2024-01-01T09:00:00Z"))
        #expect(try refusal(until) != nil)
    }

    @Test func anRRuleWhoseNextFireIsDecadesAheadNamesIt() throws {
        // 29 February on a Monday: 2044 is the next.
        let rare = ScheduleSpec(kind: "rrule", rrule: "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0")
        let message = try #require(try refusal(rare))
        #expect(message.contains("first fires at 2044-02-29T09:00:00+00:00, more than 5 years after"), "\(message)")
        #expect(message.hasSuffix("a schedule must fire within 5 years"))
        #expect(try refusal(ScheduleSpec(kind: "rrule", rrule: "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1")) == nil)
    }

    @Test func anIntervalAnchoredTooFarAheadIsRefusedAndOneAnchoredWithinTheHorizonIsNot() throws {
        let late = try #require(try refusal(ScheduleSpec(kind: "interval", intervalSeconds: 60, anchor: try date("2040-01-01T00:00:00Z"))))
        #expect(late.contains("first fires at 2040-01-01T00:00:00+00:00"), "\(late)")
        #expect(try refusal(ScheduleSpec(kind: "interval", intervalSeconds: 60, anchor: try date("2031-05-01T09:00:00Z"))) == nil)
        #expect(try refusal(ScheduleSpec(kind: "interval", intervalSeconds: 3600)) == nil)
        // Every ten years from 2020: the next, 2030, is within five.
        #expect(try refusal(ScheduleSpec(kind: "interval", intervalSeconds: 315_360_000)) == nil)
    }
}

/// The "did you mean" of unknown commands, options and names.
@Suite struct SpellingTests {
    @Test func distanceCountsAddedRemovedChangedAndSwappedLetters() {
        #expect(Spelling.distance("ls", "ls") == 0)
        #expect(Spelling.distance("lss", "ls") == 1)
        #expect(Spelling.distance("rnu", "run") == 1, "a swap is one edit")
        #expect(Spelling.distance("kitten", "sitting") == 3)
        #expect(Spelling.distance("", "abc") == 3)
    }

    @Test func closestSuggestsOnlyWhatIsNearEnough() {
        #expect(Spelling.closest(to: "lss", among: ["ls", "versions", "inspect"]) == "ls")
        #expect(Spelling.closest(to: "rnu", among: ["register", "flow", "run", "rerun"]) == "run")
        #expect(Spelling.closest(to: "deploymnet", among: ["deployment", "worker"]) == "deployment")
        #expect(Spelling.closest(to: "JSN", among: ["json", "api"]) == "json")
        #expect(Spelling.closest(to: "xyz", among: ["ls", "run", "flow"]) == nil)
        #expect(Spelling.closest(to: "ls", among: ["ls"]) == nil, "the word itself is no suggestion")
    }
}
