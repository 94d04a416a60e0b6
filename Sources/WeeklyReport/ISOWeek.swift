import Foundation

/// An ISO 8601 week, "2026-W48": weeks start on Monday, and week 1 is the week with the year's first Thursday,
/// so a year has 52 or 53 weeks (2026 has 53) and its first and last days may belong to the next or previous year.
public struct ISOWeek: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The ISO week-numbering year, which differs from the calendar year around 1 January.
    public let year: Int
    /// 1 to 52, or 53 in a long year.
    public let week: Int

    /// Nil when `week` does not exist in `year` (0, 54, or 53 of a short year).
    public init?(year: Int, week: Int) {
        guard week >= 1, week <= ISOWeek.weeks(inYear: year) else { return nil }
        self.year = year
        self.week = week
    }

    /// Parses "2026-W48" (also "2026-w48"); nil for anything else or a week the year does not have.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 3, parts[1].first == "W" || parts[1].first == "w",
              parts[0].allSatisfy(\.isASCII), parts[1].dropFirst().allSatisfy(\.isASCII),
              let year = Int(parts[0]), let week = Int(parts[1].dropFirst())
        else { return nil }
        self.init(year: year, week: week)
    }

    /// The week holding `date` on the wall clock of `timeZone`.
    public static func containing(_ date: Date, in timeZone: TimeZone) -> ISOWeek {
        let local = date.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: date))
        return week(ofDay: Int((local / 86_400).rounded(.down)))
    }

    /// Monday 00:00 of this week on the wall clock of `timeZone`.
    public func start(in timeZone: TimeZone) -> Date { ISOWeek.midnight(ofDay: firstDay, in: timeZone) }

    /// Monday 00:00 of the next week on the wall clock of `timeZone`: the end, excluded.
    public func end(in timeZone: TimeZone) -> Date { ISOWeek.midnight(ofDay: firstDay + 7, in: timeZone) }

    public var previous: ISOWeek { ISOWeek.week(ofDay: firstDay - 7) }

    /// The week `count` weeks later (earlier when negative).
    public func advanced(by count: Int) -> ISOWeek { ISOWeek.week(ofDay: firstDay + 7 * count) }

    /// Monday and Sunday of this week as calendar dates.
    public var monday: CalendarDay { CalendarDay(daysSince1970: firstDay) }
    public var sunday: CalendarDay { CalendarDay(daysSince1970: firstDay + 6) }

    /// "2026-W48".
    public var description: String {
        let year = String(year)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year + (week < 10 ? "-W0" : "-W") + String(week)
    }

    public static func < (a: ISOWeek, b: ISOWeek) -> Bool { (a.year, a.week) < (b.year, b.week) }

    /// 53 when 28 December (always in the year's last week) falls in week 53, else 52.
    public static func weeks(inYear year: Int) -> Int {
        week(ofDay: CalendarDay.daysSince1970(year: year, month: 12, day: 28)).week
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let week = ISOWeek(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "\"\(text)\" is not an ISO week like 2026-W48"))
        }
        self = week
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    // MARK: Day arithmetic (days since 1970-01-01, a Thursday)

    private init(checkedYear year: Int, week: Int) {
        self.year = year
        self.week = week
    }

    /// Days since 1970-01-01 of this week's Monday.
    private var firstDay: Int {
        let january4 = CalendarDay.daysSince1970(year: year, month: 1, day: 4)  // always in week 1
        return january4 - (ISOWeek.weekday(january4) - 1) + 7 * (week - 1)
    }

    /// 1 for Monday … 7 for Sunday.
    private static func weekday(_ day: Int) -> Int { (day + 3).modulo(7) + 1 }

    private static func week(ofDay day: Int) -> ISOWeek {
        let thursday = day - weekday(day) + 4  // the week's Thursday decides its year
        let date = CalendarDay(daysSince1970: thursday)
        let dayOfYear = thursday - CalendarDay.daysSince1970(year: date.year, month: 1, day: 1)
        return ISOWeek(checkedYear: date.year, week: dayOfYear / 7 + 1)
    }

    private static func midnight(ofDay day: Int, in timeZone: TimeZone) -> Date {
        let local = Double(day) * 86_400
        // The offset at the instant itself, found in two steps so that a zone with daylight saving time is right too.
        let guess = Date(timeIntervalSince1970: local - Double(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: local))))
        return Date(timeIntervalSince1970: local - Double(timeZone.secondsFromGMT(for: guess)))
    }
}

/// A date on the proleptic Gregorian calendar, without a time or zone: "2026-11-29".
public struct CalendarDay: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// From days since 1970-01-01 (Howard Hinnant's civil_from_days).
    public init(daysSince1970 days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // March = 0
        day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// "2026-11-29" (ISO 8601).
    public var description: String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }

    /// "29/11/2026", as dates are written in Vietnam (and in British English).
    public var dayMonthYear: String { String(format: "%02d/%02d/%04d", day, month, year) }

    public static func < (a: CalendarDay, b: CalendarDay) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "\"\(text)\" is not a date like 2026-11-29"))
        }
        self.init(daysSince1970: CalendarDay.daysSince1970(year: parts[0], month: parts[1], day: parts[2]))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Int {
    /// The remainder that is never negative (Swift's `%` keeps the dividend's sign).
    fileprivate func modulo(_ divisor: Int) -> Int {
        let r = self % divisor
        return r < 0 ? r + divisor : r
    }
}
