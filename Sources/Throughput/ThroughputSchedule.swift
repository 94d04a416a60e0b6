import Foundation
import ReadinessModel
import SystemSupport

/// When the agent may start a throughput test, from the profile's policy: inside the local-time window
/// (default 22:00–05:00, which crosses midnight), no more often than `everyHours`, within the daily byte
/// budget. Pure: the caller passes the time and what has run before.
public struct ThroughputSchedule: Sendable {
    public var policy: ThroughputPolicy
    public var calendar: Calendar

    public init(policy: ThroughputPolicy, timeZone: TimeZone = .current) {
        self.policy = policy
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    /// What ran before: the last start, and bytes used per budget day.
    public struct History: Sendable, Hashable, Codable {
        public var lastStart: Date?
        /// Bytes per budget day ("yyyy-MM-dd" of the day the window opened).
        public var bytesByDay: [String: Int64]

        public init(lastStart: Date? = nil, bytesByDay: [String: Int64] = [:]) {
            self.lastStart = lastStart
            self.bytesByDay = bytesByDay
        }
    }

    public enum Reason: String, Sendable, Hashable, Codable {
        case outsideWindow = "outside_window"
        case tooSoon = "too_soon"
        case budgetExhausted = "budget_exhausted"
        case invalidWindow = "invalid_window"
    }

    public enum Decision: Sendable, Hashable {
        /// Start now; the test may use up to this many bytes of today's budget.
        case run(byteAllowance: Int64)
        /// Not now; `until` is the next time worth asking (nil when the policy itself is wrong).
        case wait(Reason, until: Date?)
    }

    /// Whether a test may start at `now`. `estimatedBytes` is what the test is expected to move (it must fit in
    /// what is left of the day's budget); `manual` is a test asked for by hand, which the policy does not hold back.
    public func decide(now: Date, history: History, estimatedBytes: Int64 = 0, manual: Bool = false) -> Decision {
        guard let start = Self.minutes(policy.windowStart), let end = Self.minutes(policy.windowEnd) else {
            return .wait(.invalidWindow, until: nil)
        }
        let left = policy.dailyByteBudget - (history.bytesByDay[budgetDay(now)] ?? 0)
        if manual { return .run(byteAllowance: max(left, 0)) }
        guard isInsideWindow(now) else { return .wait(.outsideWindow, until: nextOpening(after: now, start: start)) }
        if let last = history.lastStart {
            if policy.everyHours >= 24 {
                let days = dayNumber(budgetDay(now)) - dayNumber(budgetDay(last))
                if days < policy.everyHours / 24 {
                    return .wait(.tooSoon, until: nextOpening(after: now, start: start))
                }
            } else if now.timeIntervalSince(last) < Double(policy.everyHours) * 3600 {
                let next = last.addingTimeInterval(Double(policy.everyHours) * 3600)
                return .wait(.tooSoon, until: isInsideWindow(next) ? next : nextOpening(after: next, start: start))
            }
        }
        guard left > 0, left >= estimatedBytes else {
            return .wait(.budgetExhausted, until: nextOpening(after: windowClose(after: now, end: end), start: start))
        }
        return .run(byteAllowance: left)
    }

    /// What one test of a link may move, for the budget: the link's target rate in each direction tested,
    /// for the whole test, plus 10 % (headers, retransmissions, the first second). A faster line moves more;
    /// what a test really moved is what is charged afterwards.
    public static func estimatedBytes(targetMbps: Int, directions: Int, durationSeconds: Int) -> Int64 {
        let bytes = Double(max(0, targetMbps)) * 1e6 / 8 * Double(max(1, directions)) * Double(max(1, durationSeconds)) * 1.1
        return Int64(min(bytes, Double(Int64.max / 2)))
    }

    /// The budget of the day `now` falls in: used, left (never below 0) and the whole.
    public func budget(now: Date, history: History) -> (day: String, used: Int64, left: Int64, total: Int64) {
        let day = budgetDay(now)
        let used = history.bytesByDay[day] ?? 0
        return (day, used, max(0, policy.dailyByteBudget - used), policy.dailyByteBudget)
    }

    /// The history after a test that started at `start` and moved `bytes`.
    public func recording(_ history: History, start: Date, bytes: Int64) -> History {
        var history = history
        history.lastStart = start
        let day = budgetDay(start)
        history.bytesByDay[day, default: 0] += bytes
        // Keep a week.
        let today = dayNumber(day)
        history.bytesByDay = history.bytesByDay.filter { today - dayNumber($0.key) < 7 }
        return history
    }

    public func isInsideWindow(_ date: Date) -> Bool {
        guard let start = Self.minutes(policy.windowStart), let end = Self.minutes(policy.windowEnd) else { return false }
        let minute = minuteOfDay(date)
        if start == end { return true }
        return start < end ? (minute >= start && minute < end) : (minute >= start || minute < end)
    }

    /// The budget day of `date`: the local date on which its window opened (02:00 belongs to the night that
    /// began the evening before); outside a midnight-crossing window, the local date.
    public func budgetDay(_ date: Date) -> String {
        var day = date
        if let start = Self.minutes(policy.windowStart), let end = Self.minutes(policy.windowEnd), start > end,
           minuteOfDay(date) < end {
            day = calendar.date(byAdding: .day, value: -1, to: date) ?? date
        }
        let c = calendar.dateComponents([.year, .month, .day], from: day)
        return "\((c.year ?? 0).zeroPadded(4))-\((c.month ?? 0).zeroPadded(2))-\((c.day ?? 0).zeroPadded(2))"
    }

    /// "HH:MM" → minutes after midnight.
    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m)
        else { return nil }
        return h * 60 + m
    }

    private func minuteOfDay(_ date: Date) -> Int {
        let c = calendar.dateComponents([.hour, .minute], from: date)
        return (c.hour ?? 0) * 60 + (c.minute ?? 0)
    }

    private func dayNumber(_ day: String) -> Int {
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3,
              let date = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))
        else { return 0 }
        return Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    private func nextOpening(after date: Date, start: Int) -> Date? {
        let midnight = calendar.startOfDay(for: date)
        guard let today = calendar.date(byAdding: .minute, value: start, to: midnight) else { return nil }
        return today > date ? today : calendar.date(byAdding: .day, value: 1, to: today)
    }

    private func windowClose(after date: Date, end: Int) -> Date {
        let midnight = calendar.startOfDay(for: date)
        let today = calendar.date(byAdding: .minute, value: end, to: midnight) ?? date
        return today > date ? today : (calendar.date(byAdding: .day, value: 1, to: today) ?? date)
    }
}
