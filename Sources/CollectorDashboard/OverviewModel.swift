import CollectorStore
import Foundation
import Presentation
import ReadinessModel
import SansangAPI

/// The overview page: the province's "X/N sẵn sàng", a tile per former district, counts per state and reason,
/// the trend of the ready share with an estimate, and the newest verdict changes. Pure: built from data.
public struct OverviewModel: Sendable {
    /// A former district's tile. Only its counts are stored: the words and link are derived when it is rendered,
    /// so a tile whose counts did not change is not formatted again (`TileFragments` keeps its HTML).
    public struct Tile: Sendable, Hashable {
        public var name: String
        public var ready: Int
        public var total: Int
        public var language: Language

        public var href: String { "/sites" + queryString([("district", name)]) }
        public var percent: String { Formatting.percent(total == 0 ? nil : Double(ready) / Double(total), language: language) }
        /// 0 (under half ready) … 4 (all ready): the tile's colour.
        public var band: Int { OverviewModel.band(total == 0 ? nil : Double(ready) / Double(total)) }
    }

    public struct CountRow: Sendable, Hashable {
        public var label: String
        public var href: String
        public var count: Int
        public var cssClass: String
    }

    public struct ChangeRow: Sendable, Hashable {
        public var time: String
        public var site: String
        public var siteName: String
        public var href: String
        public var from: String
        public var to: String
        public var toClass: String
        public var reasons: String
    }

    public var ready: Int
    public var total: Int
    public var percent: String
    public var districts: [Tile]
    public var states: [CountRow]
    public var reasons: [CountRow]
    public var trend: [TrendPoint]
    public var trendSVG: String
    public var eta: String
    public var changes: [ChangeRow]

    public init(sites: [Site], verdicts: [String: SiteVerdict], recent: [SiteTransitionRecord],
                history: [String: [VerdictTransition]], now: Date, language: Language, timeZone: TimeZone) {
        let format = Formatting(language: language, timeZone: timeZone)
        let rollUp = RollUp(sites: sites, verdicts: verdicts, by: [.formerDistrict])
        let overall = rollUp.overall
        ready = overall.ready
        total = overall.total
        percent = format.percent(overall.ratio)
        districts = rollUp.groups(by: .formerDistrict).filter { $0.tally.total > 0 }.map { group in
            Tile(name: group.key, ready: group.tally.ready, total: group.tally.total, language: language)
        }
        states = VerdictState.allCases.map { state in
            CountRow(label: format.state(state), href: "/sites" + queryString([("verdict", state.rawValue)]),
                     count: overall.count(state), cssClass: stateClass(state))
        }
        reasons = ReasonCode.allCases.compactMap { code in
            let count = overall.count(code)
            guard count > 0 else { return nil }
            return CountRow(label: format.reason(Reason(code: code, subject: nil, impact: .unknown, evidence: ""))
                                .replacingOccurrences(of: "  ", with: " "),
                            href: "/sites" + queryString([("reason", code.rawValue)]), count: count, cssClass: "")
        }
        trend = Self.trend(sites: sites, history: history, now: now, days: Self.trendDays)
        trendSVG = Charts.share(trend, format: format, title: DashboardWording.text("trend", language))
        eta = Self.estimate(trend, now: now, format: format)
        // The names of the few sites listed, looked up without copying the inventory's sites into a dictionary.
        let listed = Set(recent.map(\.site))
        var names: [String: String] = [:]
        for index in sites.indices where listed.contains(sites[index].code) {
            names[sites[index].code] = names[sites[index].code] ?? sites[index].name
        }
        changes = recent.map { record in
            let transition = record.transition
            return ChangeRow(time: format.time(transition.at), site: record.site, siteName: names[record.site] ?? record.site,
                             href: "/sites/" + pathSegment(record.site), from: transition.from.map(format.state) ?? "–",
                             to: format.state(transition.to), toClass: stateClass(transition.to),
                             reasons: transition.reasons.map(format.reason).joined(separator: "; "))
        }
    }

    static func band(_ ratio: Double?) -> Int {
        guard let ratio else { return 0 }
        switch ratio {
        case 1...: return 4
        case 0.9...: return 3
        case 0.75...: return 2
        case 0.5...: return 1
        default: return 0
        }
    }

    /// Days the trend covers (the last point is now).
    public static let trendDays = 14

    /// Each office's transitions as `trend` reads them, from the transitions after `since` only: the state at
    /// `since` (what the first later transition changed from, or else the current verdict's state) as a transition
    /// at `since`, then those after it. Sites without an office are left out.
    public static func history(sites: [Site], current: [String: SiteVerdict], changes: [String: [VerdictTransition]],
                               since: Date) -> [String: [VerdictTransition]] {
        var history: [String: [VerdictTransition]] = [:]
        for index in sites.indices where sites[index].hasOffice {
            let code = sites[index].code
            let later = changes[code] ?? []
            let before = later.isEmpty ? current[code]?.state : later[0].from
            history[code] = (before.map { [VerdictTransition(at: since, from: nil, to: $0, reasons: [])] } ?? []) + later
        }
        return history
    }

    /// The share of offices ready at the end of each of the last `days` days (the last point is now), from each
    /// office's transitions: an office counts as ready at a time when its last transition before then went to ready.
    static func trend(sites: [Site], history: [String: [VerdictTransition]], now: Date, days: Int) -> [TrendPoint] {
        let offices = sites.count { $0.hasOffice }
        guard offices > 0 else { return [] }
        let times = (0..<days).reversed().map { now.addingTimeInterval(-Double($0) * 86400) }
        var ready = [Int](repeating: 0, count: times.count)
        for index in sites.indices where sites[index].hasOffice {
            guard let transitions = history[sites[index].code], !transitions.isEmpty else { continue }
            var index = 0
            var state: VerdictState?
            for (t, time) in times.enumerated() {
                while index < transitions.count, transitions[index].at <= time {
                    state = transitions[index].to
                    index += 1
                }
                if state == .ready { ready[t] += 1 }
            }
        }
        return zip(times, ready).map { TrendPoint(at: $0, share: Double($1) / Double(offices)) }
    }

    /// When all offices would be ready if the last week's daily pace (least squares) went on.
    static func estimate(_ trend: [TrendPoint], now: Date, format: Formatting) -> String {
        let words = { DashboardWording.text($0, format.language) }
        guard let last = trend.last else { return words("etaNone") }
        if last.share >= 1 { return words("etaDone") }
        let window = Array(trend.suffix(7))
        guard window.count >= 2 else { return words("etaNone") }
        let xs = window.map { $0.at.timeIntervalSince(now) / 86400 }
        let ys = window.map(\.share)
        let meanX = xs.reduce(0, +) / Double(xs.count)
        let meanY = ys.reduce(0, +) / Double(ys.count)
        let covariance = zip(xs, ys).map { ($0 - meanX) * ($1 - meanY) }.reduce(0, +)
        let variance = xs.map { ($0 - meanX) * ($0 - meanX) }.reduce(0, +)
        guard variance > 0 else { return words("etaNone") }
        let slope = covariance / variance
        guard slope > 1e-6 else { return words("etaNone") }
        let days = (1 - last.share) / slope
        guard days < 3650 else { return words("etaNone") }
        let day = format.time(now.addingTimeInterval(days * 86400)).split(separator: " ").first.map(String.init) ?? ""
        return words("etaAt") + " " + day + "."
    }
}

/// The ready share at one time.
public struct TrendPoint: Sendable, Hashable {
    public var at: Date
    public var share: Double
}
