import Foundation
import Testing

@testable import BatonCore

/// Schedules said in words for the UI and `deployment inspect`.
@Suite struct ScheduleWordsTests {
    func cron(_ expression: String, _ zone: String? = nil) -> String {
        ScheduleSpec(kind: "cron", cron: expression, timeZone: zone).inWords
    }

    @Test func commonCronShapesReadAsSentences() {
        #expect(cron("*/15 6-22 * * MON-FRI", "America/Denver") == "every 15 minutes from 06:00 to 22:59, on Monday to Friday (America/Denver)")
        #expect(cron("30 9 * * *") == "at 09:30 (UTC)")
        #expect(cron("@daily") == "at 00:00 (UTC)")
        #expect(cron("@hourly") == "every hour on the hour (UTC)")
        #expect(cron("5 * * * *") == "every hour at :05 (UTC)")
        #expect(cron("0 9,17 * * SAT,SUN") == "at 09:00, 17:00, on Saturday and Sunday (UTC)")
        #expect(cron("0 2 1,15 * *") == "at 02:00, on the 1st and 15th of the month (UTC)")
        #expect(cron("0 0 1 JAN *") == "at 00:00, on the 1st of the month, in January (UTC)")
        #expect(cron("* * * * *") == "every minute (UTC)")
    }

    @Test func unusualCronExpressionsAreGivenAsWritten() {
        #expect(cron("1-30/5 */2 * * *") == "cron 1-30/5 */2 * * * (UTC)")
    }

    @Test func intervalsAndRulesReadAsSentences() {
        #expect(ScheduleSpec(kind: "interval", intervalSeconds: 900).inWords == "every 15 minutes (UTC)")
        #expect(ScheduleSpec(kind: "rrule", rrule: "FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=9;BYMINUTE=0", timeZone: "Europe/Oslo").inWords
            == "weekly on Saturday and Sunday at 09:00 (Europe/Oslo)")
        #expect(ScheduleSpec(kind: "rrule", rrule: "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR").inWords
            == "rrule FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR (UTC)")
    }
}
