import BatonCore
@testable import BatonSchedule
import Testing

/// Zone offsets and wall-time resolution from the system's TZif files, TZif and POSIX TZ string parsing,
/// and ISO 8601 schedule times. Expected values were worked out by hand and checked against Python's
/// zoneinfo.
@Suite struct ZoneRulesTests {
    private func instant(_ text: String) throws -> Int64 { try ScheduleTime.parse(text, in: .utc) }

    private func wall(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int) -> CivilTime {
        CivilTime(year: year, month: month, day: day, hour: hour, minute: minute)
    }

    /// A TZif file: a version 1 block, then for later versions a 64-bit block and the footer.
    private func tzif(version: UInt8, transitions: [Int64], typeIndexes: [UInt8], types: [(Int32, Bool)], footer: String)
        -> [UInt8]
    {
        func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
        func block(timeSize: Int) -> [UInt8] {
            var bytes = Array("TZif".utf8) + [version] + [UInt8](repeating: 0, count: 15)
            for count in [0, 0, 0, transitions.count, types.count, 4] { bytes += bigEndian(Int32(count)) }
            for time in transitions { bytes += timeSize == 4 ? bigEndian(Int32(truncatingIfNeeded: time)) : bigEndian(time) }
            bytes += typeIndexes
            for (offset, isDaylight) in types { bytes += bigEndian(offset) + [isDaylight ? 1 : 0, 0] }
            return bytes + Array("ABC\0".utf8)
        }
        return version == 0 ? block(timeSize: 4) : block(timeSize: 4) + block(timeSize: 8) + Array("\n\(footer)\n".utf8)
    }

    // MARK: Loading

    @Test func utcHasNoOffsetUnderEachOfItsNames() throws {
        for name in ["UTC", "Etc/UTC", "Z"] {
            let zone = try ZoneRules.named(name)
            #expect(zone == .utc)
            #expect(zone.offset(at: 1_772_953_200) == 0)
        }
        #expect(ZoneRules.utc.name == "UTC")
    }

    @Test func unknownAndPathLikeNamesAreRefused() {
        do {
            _ = try ZoneRules.named("Mars/Base")
            Issue.record("Mars/Base loaded")
        } catch let error as BatonError {
            #expect(error.code == .invalidInput)
            #expect(
                error.message
                    == "unknown time zone 'Mars/Base': expected an IANA name such as America/New_York (from /usr/share/zoneinfo)")
        } catch {
            Issue.record("unexpected \(error)")
        }
        for name in ["", "../../etc/passwd", "/etc/localtime", "America/../Europe/London", "America", "zone.tab", "America//New_York"] {
            #expect(throws: BatonError.self) { try ZoneRules.named(name) }
        }
    }

    @Test func loadingFromManyTasksAtOnceGivesOneZone() async throws {
        let zones = try await withThrowingTaskGroup(of: ZoneRules.self) { group in
            for _ in 0..<16 { group.addTask { try ZoneRules.named("Europe/Dublin") } }
            return try await group.reduce(into: [ZoneRules]()) { $0.append($1) }
        }
        #expect(Set(zones).count == 1)
        #expect(zones.first?.name == "Europe/Dublin")
    }

    // MARK: Offsets and resolution

    @Test func newYorkSpringsForwardAndFallsBack() throws {
        let zone = try ZoneRules.named("America/New_York")
        #expect(zone.offset(at: try instant("2026-03-08T06:59:59Z")) == -18_000)
        #expect(zone.offset(at: try instant("2026-03-08T07:00:00Z")) == -14_400)
        #expect(zone.civil(at: try instant("2026-03-08T07:00:00Z")) == wall(2026, 3, 8, 3, 0))
        #expect(zone.resolve(wall(2026, 3, 8, 2, 30)) == .skipped(offsetBefore: 1_772_955_000, gapEnd: 1_772_953_200))
        #expect(zone.resolve(wall(2026, 11, 1, 1, 30)) == .ambiguous(first: 1_793_511_000, second: 1_793_514_600))
        #expect(zone.resolve(wall(2026, 7, 1, 12, 0)) == .unique(1_782_921_600))
        #expect(zone.resolve(wall(2026, 3, 8, 2, 30)).rfc5545Instant == 1_772_955_000)
        #expect(zone.resolve(wall(2026, 11, 1, 1, 30)).rfc5545Instant == 1_793_511_000)
    }

    @Test func londonAndDublinChangeAtOneInTheMorningUTC() throws {
        let london = try ZoneRules.named("Europe/London")
        #expect(london.resolve(wall(2026, 3, 29, 1, 30)) == .skipped(offsetBefore: 1_774_747_800, gapEnd: 1_774_746_000))
        #expect(london.resolve(wall(2026, 10, 25, 1, 30)) == .ambiguous(first: 1_792_888_200, second: 1_792_891_800))
        // Dublin's footer makes winter the daylight-saving time, with a negative saving.
        let dublin = try ZoneRules.named("Europe/Dublin")
        #expect(dublin.offset(at: try instant("2026-01-15T00:00:00Z")) == 0)
        #expect(dublin.offset(at: try instant("2026-07-15T00:00:00Z")) == 3600)
        #expect(dublin.resolve(wall(2026, 10, 25, 1, 30)) == .ambiguous(first: 1_792_888_200, second: 1_792_891_800))
    }

    @Test func lordHoweShiftsByHalfAnHour() throws {
        let zone = try ZoneRules.named("Australia/Lord_Howe")
        #expect(zone.offset(at: try instant("2026-01-15T00:00:00Z")) == 39_600)
        #expect(zone.offset(at: try instant("2026-07-15T00:00:00Z")) == 37_800)
        #expect(zone.resolve(wall(2026, 10, 4, 2, 15)) == .skipped(offsetBefore: 1_791_042_300, gapEnd: 1_791_041_400))
        #expect(zone.resolve(wall(2026, 4, 5, 1, 45)) == .ambiguous(first: 1_775_313_900, second: 1_775_315_700))
    }

    @Test func chathamChangesAtQuarterToTheHour() throws {
        let zone = try ZoneRules.named("Pacific/Chatham")
        #expect(zone.offset(at: try instant("2026-01-15T00:00:00Z")) == 49_500)
        #expect(zone.offset(at: try instant("2026-07-15T00:00:00Z")) == 45_900)
        #expect(zone.resolve(wall(2026, 9, 27, 3, 0)) == .skipped(offsetBefore: 1_790_432_100, gapEnd: 1_790_431_200))
        #expect(zone.resolve(wall(2026, 4, 5, 3, 0)) == .ambiguous(first: 1_775_308_500, second: 1_775_312_100))
    }

    @Test func tokyoHasOneOffsetAndEveryWallTimeOnce() throws {
        let zone = try ZoneRules.named("Asia/Tokyo")
        #expect(zone.offset(at: try instant("2026-07-15T00:00:00Z")) == 32_400)
        #expect(zone.resolve(wall(2026, 3, 8, 2, 30)) == .unique(1_772_904_600))
    }

    @Test func samoaSkippedAWholeDay() throws {
        let zone = try ZoneRules.named("Pacific/Apia")
        #expect(zone.offset(at: 1_325_239_199) == -36_000)
        #expect(zone.offset(at: 1_325_239_200) == 50_400)
        #expect(zone.resolve(wall(2011, 12, 30, 12, 0)) == .skipped(offsetBefore: 1_325_282_400, gapEnd: 1_325_239_200))
    }

    @Test func localMeanTimeKeepsItsSeconds() throws {
        let zone = try ZoneRules.named("America/New_York")
        #expect(zone.offset(at: try instant("1880-01-01T00:00:00Z")) == -17_762)
        #expect(ScheduleTime.format(try instant("1880-01-01T00:00:00Z"), in: zone) == "1879-12-31T19:03:58-04:56:02")
    }

    @Test func instantsPastTheLastTransitionFollowTheFooter() throws {
        let zone = try ZoneRules.named("America/New_York")
        #expect(zone.offset(at: try instant("2300-01-01T00:00:00Z")) == -18_000)
        #expect(zone.offset(at: try instant("2300-07-01T00:00:00Z")) == -14_400)
    }

    // MARK: TZif and POSIX TZ strings

    @Test func versionOneFilesUseTheirThirtyTwoBitTimes() throws {
        let bytes = tzif(version: 0, transitions: [1_000_000_000], typeIndexes: [1], types: [(-18_000, false), (3600, false)], footer: "")
        let zone = try #require(ZoneRules(name: "Test/V1", tzif: bytes))
        #expect(zone.offset(at: 999_999_999) == -18_000)
        #expect(zone.offset(at: 1_000_000_000) == 3600)
        #expect(zone.offset(at: 4_000_000_000) == 3600)
    }

    @Test func laterVersionsUseTheirSixtyFourBitTimesAndFooter() throws {
        for version in Array("234".utf8) {
            let bytes = tzif(
                version: version, transitions: [-5_000_000_000, 0], typeIndexes: [1, 2],
                types: [(-17_762, false), (-14_400, true), (-18_000, false)], footer: "EST5EDT,M3.2.0,M11.1.0")
            let zone = try #require(ZoneRules(name: "Test/V\(version)", tzif: bytes))
            #expect(zone.offset(at: -5_000_000_001) == -17_762)
            #expect(zone.offset(at: -1) == -14_400)
            #expect(zone.offset(at: 1_772_953_199) == -18_000)
            #expect(zone.offset(at: 1_772_953_200) == -14_400)
        }
        #expect(ZoneRules(name: "Bad", tzif: Array("TZif2 is not a zone".utf8)) == nil)
        #expect(ZoneRules(name: "Bad", tzif: Array(tzif(version: 0x32, transitions: [], typeIndexes: [], types: [(0, false)], footer: "X").dropLast(3))) == nil)
    }

    @Test func footerStringsReadTheirOffsetsAndRules() throws {
        func tail(_ text: String) -> ZoneTail? { ZoneTail(posix: Array(text.utf8)) }
        let newYork = try #require(tail("EST5EDT,M3.2.0,M11.1.0"))
        #expect(newYork.offsets == [-18_000, -14_400])
        #expect(newYork.nextChange(after: 1_772_900_000) == 1_772_953_200)
        #expect(try #require(tail("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0")).offsets == [37_800, 39_600])
        let chatham = try #require(tail("<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45"))
        guard case .seasonal(let rule) = chatham else { throw BatonError(.invalidInput, "Chatham is not seasonal") }
        #expect(rule.daylightOffset == 49_500)
        #expect(rule.start == RuleDate(day: .weekday(month: 9, week: 5, day: 0), time: 9900))
        #expect(rule.end == RuleDate(day: .weekday(month: 4, week: 1, day: 0), time: 13_500))
        guard case .seasonal(let nuuk)? = tail("<-02>2<-01>,M3.5.0/-1,M10.5.0/0") else { throw BatonError(.invalidInput, "Nuuk") }
        #expect(nuuk.start.time == -3600)
        // J60 is March 1 in every year; a zero-based 300 is October 27 in a leap year. Times may pass 24 hours.
        guard case .seasonal(let julian)? = tail("AAA3BBB,J60/2,300/167") else { throw BatonError(.invalidInput, "julian") }
        #expect(julian.start.localSeconds(inYear: 2024) == CivilTime(year: 2024, month: 3, day: 1, hour: 2).localSeconds)
        #expect(julian.end.localSeconds(inYear: 2024) == CivilTime(year: 2024, month: 10, day: 27).localSeconds + 167 * 3600)
        #expect(tail("<+0545>-5:45") == .fixed(20_700))
        for bad in ["EST5EDT", "EST25", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,J0,J365", "EST5EDT,M3.2.0/168,M11.1.0", "<+05-5"] {
            #expect(tail(bad) == nil, "\(bad)")
        }
    }

    // MARK: ISO 8601

    @Test func isoTimesWithAnOffsetNameTheirInstant() throws {
        let newYork = try ZoneRules.named("America/New_York")
        #expect(try ScheduleTime.parse("2026-03-08T01:30:00-05:00", in: newYork) == 1_772_951_400)
        #expect(try ScheduleTime.parse("2026-03-08T06:30:00Z", in: newYork) == 1_772_951_400)
        #expect(try ScheduleTime.parse("2026-03-08 12:00+0530", in: newYork) == 1_772_951_400)
        #expect(try ScheduleTime.parse("2026-03-08T06:30:00.999Z", in: newYork) == 1_772_951_400)
        #expect(try ScheduleTime.parse("2026-03-08T06:30:59.999999Z", in: newYork) == 1_772_951_459)
        #expect(try ScheduleTime.parse("0001-01-01T00:00:00Z", in: .utc) == -62_135_596_800)
        #expect(try ScheduleTime.parse("9999-12-31T23:59:59Z", in: .utc) == 253_402_300_799)
    }

    @Test func isoTimesWithoutAnOffsetAreWallTimesInTheZone() throws {
        let newYork = try ZoneRules.named("America/New_York")
        #expect(try ScheduleTime.parse("2026-03-08", in: newYork) == 1_772_946_000)
        #expect(try ScheduleTime.parse("2026-03-08T01:30", in: newYork) == 1_772_951_400)
        #expect(try ScheduleTime.parse("2026-03-08T02:30:00", in: newYork) == 1_772_955_000)
        #expect(try ScheduleTime.parse("2026-11-01T01:30:00", in: newYork) == 1_793_511_000)
    }

    @Test func isoTextThatIsNotADateTimeIsRefusedNamingIt() {
        do {
            _ = try ScheduleTime.parse("tomorrow", in: .utc)
            Issue.record("tomorrow parsed")
        } catch let error as BatonError {
            #expect(error.code == .invalidInput)
            #expect(
                error.message
                    == "date 'tomorrow' is not ISO 8601: expected e.g. 2026-03-08T09:00:00 or 2026-03-08T09:00:00-05:00")
        } catch {
            Issue.record("unexpected \(error)")
        }
        for text in ["2026-02-30", "2026-13-01", "2026-03-08T24:00", "2026-03-08T09:60", "2026-03-08T09", "2026-3-8",
            "2026-03-08T09:00:00+24:00", "2026-03-08T09:00:00.Z", "2026-03-08Z", "2026-03-08T09:00:00 EST", "0000-01-01"]
        {
            #expect(throws: BatonError.self, "\(text)") { try ScheduleTime.parse(text, in: .utc) }
        }
    }

    @Test func formattedTimesCarryTheirOffsetAsPythonWritesIt() throws {
        let moment = try instant("2026-07-15T00:00:00Z")
        #expect(ScheduleTime.format(moment, in: .utc) == "2026-07-15T00:00:00+00:00")
        #expect(ScheduleTime.format(moment, in: try .named("America/New_York")) == "2026-07-14T20:00:00-04:00")
        #expect(ScheduleTime.format(moment, in: try .named("Asia/Kathmandu")) == "2026-07-15T05:45:00+05:45")
        #expect(ScheduleTime.format(moment, in: try .named("America/St_Johns")) == "2026-07-14T21:30:00-02:30")
        #expect(ScheduleTime.format(-30_610_224_000, in: .utc) == "1000-01-01T00:00:00+00:00")
    }
}
