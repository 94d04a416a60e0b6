import Foundation
import Testing
import WeeklyReport

@Suite struct ISOWeekTests {
    @Test func parsesAndPrintsTheISOForm() async throws {
        let week = try #require(ISOWeek("2026-W48"))
        #expect(week.year == 2026)
        #expect(week.week == 48)
        #expect(week.description == "2026-W48")
        #expect(ISOWeek("2027-w01")?.description == "2027-W01")
    }

    @Test(arguments: ["2026-W00", "2026-W54", "2025-W53", "2026-48", "2026W48", "26-W01", "2026-W4", "2026-W048", "", "２０２６-W48"])
    func rejectsWhatIsNotAWeek(_ text: String) {
        #expect(ISOWeek(text) == nil)
    }

    @Test func yearsWithFiftyThreeWeeks() {
        // A year has 53 ISO weeks when it starts on a Thursday, or is a leap year starting on a Wednesday.
        #expect(ISOWeek.weeks(inYear: 2026) == 53)  // 1 January 2026 is a Thursday
        #expect(ISOWeek.weeks(inYear: 2020) == 53)  // leap, starts on a Wednesday
        #expect(ISOWeek.weeks(inYear: 2025) == 52)
        #expect(ISOWeek.weeks(inYear: 2027) == 52)
        #expect(ISOWeek("2026-W53") != nil)
    }

    @Test func theYearBoundary() async throws {
        let last = try #require(ISOWeek("2026-W53"))
        #expect(last.monday.description == "2026-12-28")
        #expect(last.sunday.description == "2027-01-03")
        #expect(last.advanced(by: 1).description == "2027-W01")
        #expect(ISOWeek("2027-W01")?.previous == last)
        #expect(ISOWeek("2026-W01")?.previous.description == "2025-W52")
        #expect(ISOWeek("2026-W01")?.monday.description == "2025-12-29")
        // New Year's Day 2027 (a Friday) belongs to 2026's last week; 30 December 2024 to 2025's first.
        #expect(ISOWeek.containing(date("2027-01-01T12:00:00+07:00"), in: Fixture.zone).description == "2026-W53")
        #expect(ISOWeek.containing(date("2024-12-30T00:00:00+07:00"), in: Fixture.zone).description == "2025-W01")
        #expect(try #require(ISOWeek("2026-W48")).advanced(by: 6).description == "2027-W01")
    }

    @Test func weekStartsOnMondayMidnightInVietnam() async throws {
        let week = try #require(ISOWeek("2026-W48"))
        let start = week.start(in: Fixture.zone)
        #expect(start == date("2026-11-23T00:00:00+07:00"))
        #expect(week.end(in: Fixture.zone) == date("2026-11-30T00:00:00+07:00"))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = Fixture.zone
        let parts = calendar.dateComponents([.weekday, .hour, .minute, .second], from: start)
        #expect(parts.weekday == 2)  // Monday
        #expect([parts.hour, parts.minute, parts.second] == [0, 0, 0])
        #expect(ISOWeek.containing(start, in: Fixture.zone) == week)
        #expect(ISOWeek.containing(start.addingTimeInterval(-1), in: Fixture.zone) == week.previous)
        #expect(ISOWeek.containing(week.end(in: Fixture.zone).addingTimeInterval(-1), in: Fixture.zone) == week)
        // Sunday 22:00 UTC is already Monday in Vietnam.
        #expect(ISOWeek.containing(date("2026-11-22T17:00:00Z"), in: Fixture.zone) == week)
        #expect(ISOWeek.containing(date("2026-11-22T17:00:00Z"), in: .gmt) == week.previous)
    }

    @Test func agreesWithFoundationsISOCalendarOverFortyYears() {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = .gmt
        var mismatches: [String] = []
        for day in stride(from: date("2000-01-01T12:00:00Z"), to: date("2040-01-01T12:00:00Z"), by: 86_400) {
            let week = ISOWeek.containing(day, in: .gmt)
            let parts = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: day)
            if week.year != parts.yearForWeekOfYear || week.week != parts.weekOfYear { mismatches.append("\(day): \(week)") }
        }
        #expect(mismatches.isEmpty)
    }

    @Test func ordersAndCodesAsText() async throws {
        #expect(ISOWeek("2026-W53")! < ISOWeek("2027-W01")!)
        #expect(ISOWeek("2026-W09")! < ISOWeek("2026-W10")!)
        let json = try JSONEncoder().encode([ISOWeek("2026-W48")!])
        #expect(String(decoding: json, as: UTF8.self) == #"["2026-W48"]"#)
        #expect(try JSONDecoder().decode([ISOWeek].self, from: json) == [ISOWeek("2026-W48")!])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ISOWeek].self, from: Data(#"["2026-W99"]"#.utf8)) }
    }

    private func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
}
