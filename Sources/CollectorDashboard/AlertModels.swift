import Foundation
import Presentation
import SansangAPI
import WeeklyReport

/// `/alerts`: firing and pending alerts, newest first.
public struct AlertListModel: Sendable {
    public struct Row: Sendable, Hashable {
        public var state: String
        public var stateClass: String
        public var severity: String
        public var rule: String
        public var site: String
        public var siteName: String
        public var href: String
        public var summary: String
        public var since: String
        public var muted: Bool
    }

    public var rows: [Row]

    public init(alerts: [AlertBody], language: Language, timeZone: TimeZone) {
        let format = Formatting(language: language, timeZone: timeZone)
        rows = alerts.filter { $0.state == "firing" || $0.state == "pending" }.map { alert in
            Row(state: alert.state, stateClass: alert.state == "firing" ? "st-not-ready" : "st-degraded", severity: alert.severity,
                rule: alert.rule, site: alert.site, siteName: alert.siteName, href: "/sites/" + pathSegment(alert.site),
                summary: alert.summary, since: format.time(alert.firedAt ?? alert.activeSince), muted: alert.muted)
        }
    }
}

/// `/silences`: the active silences, each with an expire button for admins, and the form to add one.
public struct SilenceListModel: Sendable {
    public struct Row: Sendable, Hashable {
        public var id: String
        public var matchers: String
        public var starts: String
        public var ends: String
        public var author: String
        public var comment: String
        public var expireAction: String
        public var canExpire: Bool
    }

    public var rows: [Row]
    public var canChange: Bool
    public var durations: [Int]

    public init(silences: [Silence], canChange: Bool, now: Date, language: Language, timeZone: TimeZone) {
        let format = Formatting(language: language, timeZone: timeZone)
        rows = silences.filter { $0.endsAt > now }.map { Self.row($0, format: format, canExpire: canChange) }
        self.canChange = canChange
        durations = [1, 2, 4, 8, 24, 72, 168]
    }

    static func row(_ silence: Silence, format: Formatting, canExpire: Bool) -> Row {
        let words = { DashboardWording.text($0, format.language) }
        var matchers = [silence.site.map { "\(words("site")) \($0)" } ?? words("everySite"),
                        silence.rule.map { "\(words("rule")) \($0)" } ?? words("everyRule")]
        matchers += silence.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return Row(id: silence.id, matchers: matchers.joined(separator: ", "), starts: format.time(silence.startsAt),
                   ends: format.time(silence.endsAt), author: silence.author, comment: silence.comment,
                   expireAction: "/silences/" + pathSegment(silence.id) + "/expire", canExpire: canExpire)
    }
}

/// `/reports/weekly`: the last weeks, each viewable as the mail showed it and as CSV.
public struct WeeklyListModel: Sendable {
    public struct Row: Sendable, Hashable {
        public var week: String
        public var from: String
        public var to: String
        public var htmlHref: String
        public var csvHref: String
    }

    public var rows: [Row]

    public init(newest: ISOWeek, count: Int, timeZone: TimeZone, language: Language) {
        let format = Formatting(language: language, timeZone: timeZone)
        rows = (0..<count).map { newest.advanced(by: -$0) }.map { week in
            let day = { (date: Date) in format.time(date).split(separator: " ").first.map(String.init) ?? "" }
            return Row(week: week.description, from: day(week.start(in: timeZone)), to: day(week.end(in: timeZone).addingTimeInterval(-1)),
                       htmlHref: "/reports/weekly/\(week)", csvHref: "/reports/weekly/\(week).csv")
        }
    }
}
