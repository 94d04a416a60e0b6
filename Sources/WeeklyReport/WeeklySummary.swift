import Foundation
import ReadinessModel

/// The weekly readiness summary for leadership, computed from the collector's figures without any I/O.
/// Only offices count (`has_office`); an office with no verdict at the end of the week is not ready with `NO_DATA`.
/// Encodes to the JSON of `GET /api/v1/reports/weekly?format=json` (snake_case keys, see `json()`).
public struct WeeklySummary: Sendable, Codable {
    public var week: ISOWeek
    /// Monday and Sunday of the week.
    public var firstDay: CalendarDay
    public var lastDay: CalendarDay
    public var generatedAt: Date
    /// The zone weeks are cut by and times are shown in: "Asia/Ho_Chi_Minh".
    public var timeZone: String
    public var title: String
    /// Ready offices over offices at the end of the week: the "78/88" figure.
    public var ready: Int
    public var total: Int
    /// Offices ready at the end of the previous week (today's offices, by last week's verdicts).
    public var readyPrevious: Int
    /// `ready - readyPrevious`.
    public var change: Int
    /// Not ready at the end of last week (or no verdict), ready now; by site code.
    public var newlyReady: [SiteRef]
    /// Ready at the end of last week, not now, with the reasons; by site code.
    public var regressed: [Regression]
    /// Not ready both weeks, by former district (most such offices first), within it by reason.
    public var stillNotReady: [DistrictShortfall]
    /// Ready/total per former district, alphabetical (ignoring case and diacritics); districts without an office left out.
    public var districts: [DistrictFigure]
    /// Ready offices gained per week over the last (up to) 4 weeks of the trend; nil with less than 2 weeks of it.
    public var pace: Double?
    /// When every office will be ready at `pace`; nil when offices remain and the pace is not positive (or unknown).
    public var estimate: CompletionEstimate?
    /// Per service, worst availability first.
    public var services: [ServiceAvailability]
    /// Ready/total at the end of each week, oldest first (the input's history).
    public var trend: [WeekFigure]
    /// Every office, inventory order.
    public var sites: [SiteRow]
    /// Listed units with no office on the ground (Đặc khu Hoàng Sa): never counted.
    public var withoutOffice: [SiteRef]

    /// The office count not ready at the end of the week.
    public var notReady: Int { total - ready }

    /// Ready over offices, 0 to 100; nil without offices.
    public var readyPercent: Double? { total == 0 ? nil : 100 * Double(ready) / Double(total) }

    public init(_ input: WeeklyReportInput) {
        week = input.week
        firstDay = input.week.monday
        lastDay = input.week.sunday
        generatedAt = input.generatedAt
        timeZone = input.timeZone.identifier
        title = input.title
        trend = input.history

        let offices = input.sites.filter(\.hasOffice)
        withoutOffice = input.sites.filter { !$0.hasOffice }.map(SiteRef.init)
        let byCode = Dictionary(input.sites.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        let end = input.week.end(in: input.timeZone)
        let now = Self.verdicts(input.atEnd, at: end)
        let before = Self.verdicts(input.atPreviousEnd, at: input.week.start(in: input.timeZone))

        let rollUp = RollUp(input.sites.map { SiteStatus(site: $0, verdict: now[$0.code]) }, by: [.formerDistrict])
        let rollUpBefore = RollUp(input.sites.map { SiteStatus(site: $0, verdict: before[$0.code]) }, by: [.formerDistrict])
        ready = rollUp.overall.ready
        total = rollUp.overall.total
        readyPrevious = rollUpBefore.overall.ready
        change = ready - readyPrevious
        let readyBefore = Dictionary(rollUpBefore.groups(by: .formerDistrict).map { ($0.key, $0.tally.ready) },
                                     uniquingKeysWith: +)
        districts = rollUp.groups(by: .formerDistrict).filter { $0.tally.total > 0 }.map {
            DistrictFigure(district: $0.key, ready: $0.tally.ready, total: $0.tally.total,
                           readyPrevious: readyBefore[$0.key, default: 0])
        }

        let changes = RollUpChange(sites: input.sites, before: before, after: now)
        newlyReady = changes.newlyReady.compactMap { byCode[$0.site].map(SiteRef.init) }
        regressed = changes.regressed.compactMap { entry in
            byCode[entry.site].map {
                Regression(site: SiteRef($0), previous: entry.before, current: entry.after, reasons: entry.reasons)
            }
        }
        stillNotReady = Self.shortfalls(changes.stillNotReady, sites: byCode, districtOrder: districts.map(\.district))

        pace = Self.pace(input.history)
        estimate = Self.estimate(remaining: total - ready, pace: pace, week: input.week)
        services = input.services.map(ServiceAvailability.init).sorted(by: ServiceAvailability.worseFirst)
        sites = offices.map { site in
            let verdict = now[site.code]
            return SiteRow(site: site, state: verdict?.state ?? .unknown,
                           reasons: verdict?.reasons ?? [Self.noVerdict], previousState: before[site.code]?.state)
        }
    }

    /// The summary as the API's JSON: snake_case keys sorted, ISO 8601 dates.
    public func json(pretty: Bool = false) throws -> Data {
        try ReportCoding.encoder(pretty: pretty).encode(self)
    }

    /// Decodes what `json()` wrote.
    public static func decode(json: Data) throws -> WeeklySummary {
        try ReportCoding.decoder().decode(WeeklySummary.self, from: json)
    }

    /// The reason of an office without a verdict, as `RollUpChange` gives it.
    static let noVerdict = Reason(code: .noData, impact: .unknown, evidence: "no verdict")

    private static func verdicts(_ snapshots: [String: VerdictSnapshot], at moment: Date) -> [String: SiteVerdict] {
        snapshots.reduce(into: [:]) { result, entry in
            result[entry.key] = SiteVerdict(site: entry.key, state: entry.value.state, reasons: entry.value.reasons,
                                            evaluatedAt: moment, reportGeneratedAt: nil)
        }
    }

    /// Gained per week over the last up-to-4 intervals of `history`.
    static func pace(_ history: [WeekFigure]) -> Double? {
        let intervals = min(4, history.count - 1)
        guard intervals >= 1, let last = history.last else { return nil }
        return Double(last.ready - history[history.count - 1 - intervals].ready) / Double(intervals)
    }

    static func estimate(remaining: Int, pace: Double?, week: ISOWeek) -> CompletionEstimate? {
        if remaining <= 0 { return CompletionEstimate(weeks: 0, week: week, lastDay: week.sunday) }
        guard let pace, pace > 0 else { return nil }
        let weeks = Int((Double(remaining) / pace).rounded(.up))
        let done = week.advanced(by: weeks)
        return CompletionEstimate(weeks: weeks, week: done, lastDay: done.sunday)
    }

    private static func shortfalls(_ entries: [RollUpChange.Entry], sites: [String: Site],
                                   districtOrder: [String]) -> [DistrictShortfall] {
        var byDistrict: [String: [ReasonKey: [SiteRef]]] = [:]
        var counts: [String: Int] = [:]
        for entry in entries {
            guard let site = sites[entry.site] else { continue }
            counts[site.formerDistrict, default: 0] += 1
            // Taken out and put back (not copied), and put back even empty: the district is listed whatever its reasons.
            var reasons = byDistrict.removeValue(forKey: site.formerDistrict) ?? [:]
            for key in Set(entry.reasons.map(\.key)) {
                reasons[key, default: []].append(SiteRef(site))
            }
            byDistrict[site.formerDistrict] = reasons
        }
        let position = Dictionary(districtOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return byDistrict.map { district, reasons in
            DistrictShortfall(
                district: district, sites: counts[district, default: 0],
                reasons: reasons.map { ReasonGroup(code: $0.key.code, subject: $0.key.subject, sites: $0.value) }
                    .sorted { ($1.sites.count, $0.key) < ($0.sites.count, $1.key) })
        }.sorted {
            ($1.sites, position[$0.district] ?? .max) < ($0.sites, position[$1.district] ?? .max)
        }
    }
}

/// An office named in the report.
public struct SiteRef: Sendable, Hashable, Codable {
    public var code: String
    public var name: String
    public var formerDistrict: String

    public init(_ site: Site) {
        code = site.code
        name = site.name
        formerDistrict = site.formerDistrict
    }

    enum CodingKeys: String, CodingKey {
        case code, name
        case formerDistrict = "former_district"
    }
}

/// An office that was ready at the end of last week and is not now.
public struct Regression: Sendable, Hashable, Codable {
    public var site: SiteRef
    public var previous: VerdictState
    public var current: VerdictState
    public var reasons: [Reason]
}

/// The offices of one former district that were not ready either week, by reason. An office with several
/// reasons is listed under each; `sites` counts it once.
public struct DistrictShortfall: Sendable, Hashable, Codable {
    public var district: String
    public var sites: Int
    /// Most offices first.
    public var reasons: [ReasonGroup]
}

/// The offices held back by one reason ("SERVICE_DOWN:dvc").
public struct ReasonGroup: Sendable, Hashable, Codable {
    public var code: ReasonCode
    public var subject: String?
    public var sites: [SiteRef]

    public var key: ReasonKey { ReasonKey(code: code, subject: subject) }
}

/// Ready/total in one former district, now and at the end of last week.
public struct DistrictFigure: Sendable, Hashable, Codable {
    public var district: String
    public var ready: Int
    public var total: Int
    public var readyPrevious: Int

    enum CodingKeys: String, CodingKey {
        case district, ready, total
        case readyPrevious = "ready_previous"
    }
}

/// When every office will be ready at the current pace: after `weeks` more weeks, by the end of `week`
/// (its Sunday, `lastDay`). `weeks` is 0 when every office is ready already.
public struct CompletionEstimate: Sendable, Hashable, Codable {
    public var weeks: Int
    public var week: ISOWeek
    public var lastDay: CalendarDay

    enum CodingKeys: String, CodingKey {
        case weeks, week
        case lastDay = "last_day"
    }
}

/// A service's checks over the week, all sites: percent passed (nil when none ran).
public struct ServiceAvailability: Sendable, Hashable, Codable {
    public var service: String
    public var ok: Int
    public var total: Int
    public var percent: Double?

    init(_ tally: ServiceTally) {
        service = tally.service
        ok = tally.ok
        total = tally.total
        percent = tally.total > 0 ? 100 * Double(tally.ok) / Double(tally.total) : nil
    }

    /// Lowest percent first, services with no checks last, then by name.
    static func worseFirst(_ a: ServiceAvailability, _ b: ServiceAvailability) -> Bool {
        (a.percent ?? .infinity, a.service) < (b.percent ?? .infinity, b.service)
    }
}

/// One row of the site table (the CSV attachment).
public struct SiteRow: Sendable, Hashable, Codable {
    public var code: String
    public var name: String
    public var type: SiteType
    public var formerDistrict: String
    public var state: VerdictState
    /// Empty for a ready office; `NO_DATA` when it had no verdict.
    public var reasons: [Reason]
    /// At the end of last week; nil when there was no verdict.
    public var previousState: VerdictState?

    init(site: Site, state: VerdictState, reasons: [Reason], previousState: VerdictState?) {
        code = site.code
        name = site.name
        type = site.type
        formerDistrict = site.formerDistrict
        self.state = state
        self.reasons = reasons
        self.previousState = previousState
    }

    enum CodingKeys: String, CodingKey {
        case code, name, type, state, reasons
        case formerDistrict = "former_district"
        case previousState = "previous_state"
    }
}

extension WeeklySummary {
    enum CodingKeys: String, CodingKey {
        case week, title, ready, total, change, pace, estimate, services, trend, sites, districts, regressed
        case firstDay = "first_day"
        case lastDay = "last_day"
        case generatedAt = "generated_at"
        case timeZone = "time_zone"
        case readyPrevious = "ready_previous"
        case newlyReady = "newly_ready"
        case stillNotReady = "still_not_ready"
        case withoutOffice = "without_office"
    }
}
