import Foundation
import ReadinessModel

/// A site's verdict at one moment, as the weekly report needs it.
public struct VerdictSnapshot: Sendable, Hashable, Codable {
    public var state: VerdictState
    public var reasons: [Reason]

    public init(state: VerdictState, reasons: [Reason] = []) {
        self.state = state
        self.reasons = reasons
    }
}

/// Ready offices over all offices at the end of one week.
public struct WeekFigure: Sendable, Hashable, Codable {
    public var week: ISOWeek
    public var ready: Int
    public var total: Int

    public init(week: ISOWeek, ready: Int, total: Int) {
        self.week = week
        self.ready = ready
        self.total = total
    }
}

/// What the collector's database gives the weekly report.
public struct WeeklyReportInput: Sendable {
    public var week: ISOWeek
    /// The wall clock weeks are cut by: Asia/Ho_Chi_Minh.
    public var timeZone: TimeZone
    public var generatedAt: Date
    /// What the report is about, e.g. "Đà Nẵng".
    public var title: String
    /// The offices, inventory order.
    public var sites: [Site]
    /// By site code: the verdict at the end of the week. A missing office has no verdict yet: not ready, `NO_DATA`.
    public var atEnd: [String: VerdictSnapshot]
    /// By site code: the verdict at the end of the previous week.
    public var atPreviousEnd: [String: VerdictSnapshot]
    /// Ready/total at the end of each of the last 12 weeks, oldest first, this week last.
    public var history: [WeekFigure]
    /// Service checks over the week, all sites.
    public var services: [ServiceTally]

    public init(week: ISOWeek, timeZone: TimeZone, generatedAt: Date, title: String, sites: [Site],
                atEnd: [String: VerdictSnapshot], atPreviousEnd: [String: VerdictSnapshot],
                history: [WeekFigure], services: [ServiceTally]) {
        self.week = week
        self.timeZone = timeZone
        self.generatedAt = generatedAt
        self.title = title
        self.sites = sites
        self.atEnd = atEnd
        self.atPreviousEnd = atPreviousEnd
        self.history = history
        self.services = services
    }
}
