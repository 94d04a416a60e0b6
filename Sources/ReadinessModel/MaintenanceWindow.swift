import Foundation

/// A time when a site is under planned work: its alerts are muted (the verdicts are still recorded).
/// Either once, from `start` to `end`, or every week on `days` from `from` to `to` local time
/// (a window whose `to` is not after `from` runs past midnight).
public struct MaintenanceWindow: Sendable, Hashable, Codable {
    public struct Weekly: Sendable, Hashable, Codable {
        /// ISO weekdays: 1 Monday … 7 Sunday.
        public var days: Set<Int>
        /// Minutes after local midnight.
        public var fromMinute: Int
        public var toMinute: Int

        public init(days: Set<Int>, fromMinute: Int, toMinute: Int) {
            self.days = days
            self.fromMinute = fromMinute
            self.toMinute = toMinute
        }

        enum CodingKeys: String, CodingKey {
            case days
            case fromMinute = "from_minute"
            case toMinute = "to_minute"
        }
    }

    public var start: Date?
    public var end: Date?
    public var weekly: Weekly?
    public var comment: String?

    public static func once(from start: Date, to end: Date, comment: String? = nil) -> MaintenanceWindow {
        MaintenanceWindow(start: start, end: end, weekly: nil, comment: comment)
    }

    public static func weekly(_ weekly: Weekly, comment: String? = nil) -> MaintenanceWindow {
        MaintenanceWindow(start: nil, end: nil, weekly: weekly, comment: comment)
    }

    /// Whether `date` falls in the window; weekly windows are read in `timeZone` (the offices' local time).
    public func contains(_ date: Date, timeZone: TimeZone) -> Bool {
        if let start, let end { return start <= date && date < end }
        guard let weekly else { return false }
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        guard let weekday = parts.weekday, let hour = parts.hour, let minute = parts.minute else { return false }
        let isoDay = weekday == 1 ? 7 : weekday - 1
        let now = hour * 60 + minute
        if weekly.fromMinute < weekly.toMinute {
            return weekly.days.contains(isoDay) && weekly.fromMinute <= now && now < weekly.toMinute
        }
        // Past midnight: the evening part belongs to the listed day, the morning part to the day after it.
        let yesterday = isoDay == 1 ? 7 : isoDay - 1
        return (weekly.days.contains(isoDay) && now >= weekly.fromMinute) || (weekly.days.contains(yesterday) && now < weekly.toMinute)
    }
}
