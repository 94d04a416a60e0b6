import CollectorCore
import Foundation
import Presentation
import ReadinessModel

/// What `/sites` and `/sites.csv` show: filters, a search that ignores diacritics and case, a sort and a page.
public struct SiteQuery: Sendable, Hashable {
    public enum Sort: String, Sendable, CaseIterable {
        case code, name, district, verdict, lastReport = "last_report"
    }

    public var search = ""
    public var verdict: VerdictState?
    public var reason: ReasonCode?
    public var district = ""
    public var type: SiteType?
    public var profile = ""
    public var sort: Sort = .code
    public var descending = false
    public var page = 1

    public init() {}

    /// From query parameters; an empty value means no filter, an unknown one is a `bad_parameter`.
    public init(_ parameters: [String: String]) throws(CollectorError) {
        func value(_ name: String) -> String? {
            guard let text = parameters[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        search = value("q") ?? ""
        district = value("district") ?? ""
        profile = value("profile") ?? ""
        if let text = value("verdict") {
            guard let state = VerdictState(rawValue: text) else { throw CollectorError(.badParameter, "verdict: unknown state \(text)") }
            verdict = state
        }
        if let text = value("reason") {
            guard let code = ReasonCode(rawValue: text) else { throw CollectorError(.badParameter, "reason: unknown code \(text)") }
            reason = code
        }
        if let text = value("type") {
            guard let siteType = SiteType(rawValue: text) else { throw CollectorError(.badParameter, "type: unknown type \(text)") }
            type = siteType
        }
        if let text = value("sort") {
            let bare = text.hasPrefix("-") ? String(text.dropFirst()) : text
            guard let key = Sort(rawValue: bare) else {
                throw CollectorError(.badParameter, "sort: one of \(Sort.allCases.map(\.rawValue).joined(separator: ", ")), not \(text)")
            }
            sort = key
            descending = text.hasPrefix("-")
        }
        if let text = value("page") {
            guard let number = Int(text), number >= 1 else { throw CollectorError(.badParameter, "page: a number from 1, not \(text)") }
            page = number
        }
    }

    /// The filters as query items (no sort or page).
    var filterItems: [(String, String)] {
        [("q", search), ("verdict", verdict?.rawValue ?? ""), ("reason", reason?.rawValue ?? ""), ("district", district),
         ("type", type?.rawValue ?? ""), ("profile", profile)]
    }

    var sortValue: String { sort == .code && !descending ? "" : (descending ? "-" : "") + sort.rawValue }

    /// The matching sites, sorted; an office without a verdict counts as unknown with NO_DATA (as the roll-up does).
    public func apply(sites: [Site], verdicts: [String: SiteVerdict], lastReports: [String: Date]) -> [SiteStatus] {
        let folded = SearchText.fold(search)
        let words = folded.split(separator: " ")
        var matching = sites.filter { site in
            let verdict = verdicts[site.code]
            if let wanted = self.verdict, site.hasOffice ? (verdict?.state ?? .unknown) != wanted : true { return false }
            if let reason {
                let codes = verdict.map { $0.reasons.map(\.code) } ?? (site.hasOffice ? [.noData] : [])
                if !codes.contains(reason) { return false }
            }
            if !district.isEmpty, site.formerDistrict != district { return false }
            if let type, site.type != type { return false }
            if !profile.isEmpty, site.profile != profile { return false }
            if !words.isEmpty {
                let haystack = SearchText.fold(site.name + " " + site.code + " " + site.formerDistrict)
                if !words.allSatisfy({ haystack.contains($0) }) { return false }
            }
            return true
        }.map { SiteStatus(site: $0, verdict: verdicts[$0.code]) }
        let key: (SiteStatus) -> String
        switch sort {
        case .code: key = { $0.site.code }
        case .name: key = { SearchText.fold($0.site.name) }
        case .district: key = { SearchText.fold($0.site.formerDistrict) + "\u{1}" + SearchText.fold($0.site.name) }
        case .verdict: key = { String(9 - ($0.verdict?.state ?? .unknown).severity) + $0.site.code }
        case .lastReport:
            key = { status in
                let date = lastReports[status.site.code]?.timeIntervalSince1970 ?? 0
                return String(format: "%015.3f", date) + status.site.code
            }
        }
        let keyed = matching.map { (key($0), $0) }
        matching = keyed.sorted { descending ? $0.0 > $1.0 : $0.0 < $1.0 }.map(\.1)
        return matching
    }
}

/// The `/sites` page: filters with their options, the rows of one page, sort links and page links.
public struct SiteListModel: Sendable {
    public struct Option: Sendable, Hashable {
        public var value: String
        public var label: String
        public var selected: Bool
    }

    public struct Row: Sendable, Hashable {
        public var code: String
        public var name: String
        public var href: String
        public var type: String
        public var district: String
        public var state: String
        public var stateClass: String
        public var reasons: String
        public var lastReport: String
    }

    public struct Column: Sendable, Hashable {
        public var label: String
        public var href: String
        /// "ascending", "descending" or "none" (aria-sort).
        public var ariaSort: String
    }

    public static let pageSize = 50

    public var search: String
    public var verdicts: [Option]
    public var reasons: [Option]
    public var districts: [Option]
    public var types: [Option]
    public var profiles: [Option]
    public var columns: [Column]
    public var rows: [Row]
    public var matching: Int
    public var page: Int
    public var pages: Int
    public var previousHref: String?
    public var nextHref: String?
    public var csvHref: String
    public var sortValue: String

    public init(query: SiteQuery, sites: [Site], verdicts: [String: SiteVerdict], lastReports: [String: Date], language: Language, timeZone: TimeZone) {
        let format = Formatting(language: language, timeZone: timeZone)
        let statuses = query.apply(sites: sites, verdicts: verdicts, lastReports: lastReports)
        search = query.search
        sortValue = query.sortValue
        matching = statuses.count
        pages = max(1, (statuses.count + Self.pageSize - 1) / Self.pageSize)
        page = min(query.page, pages)
        func option(_ value: String, _ label: String, _ selected: String) -> Option {
            Option(value: value, label: label, selected: value == selected)
        }
        self.verdicts = VerdictState.allCases.map { option($0.rawValue, format.state($0), query.verdict?.rawValue ?? "") }
        reasons = ReasonCode.allCases.map {
            option($0.rawValue, format.reason(Reason(code: $0, impact: .unknown, evidence: "")).replacingOccurrences(of: "  ", with: " "),
                   query.reason?.rawValue ?? "")
        }
        districts = Set(sites.map(\.formerDistrict)).sorted { SearchText.fold($0) < SearchText.fold($1) }
            .map { option($0, $0, query.district) }
        types = SiteType.allCases.map { option($0.rawValue, format.siteType($0), query.type?.rawValue ?? "") }
        profiles = Set(sites.map(\.profile)).sorted().map { option($0, $0, query.profile) }
        let filters = query.filterItems
        columns = [(SiteQuery.Sort.code, "code"), (.name, "name"), (.district, "formerDistrict"), (.verdict, "verdict"),
                   (.lastReport, "lastReport")].map { key, word in
            let current = query.sort == key
            let descending = current && !query.descending
            let value = key == .code && !descending ? "" : (descending ? "-" : "") + key.rawValue
            return Column(label: DashboardWording.text(word, language), href: "/sites" + queryString(filters + [("sort", value)]),
                          ariaSort: current ? (query.descending ? "descending" : "ascending") : "none")
        }
        let start = (page - 1) * Self.pageSize
        rows = statuses.dropFirst(start).prefix(Self.pageSize).map { status in
            let site = status.site
            let state = site.hasOffice ? (status.verdict?.state ?? .unknown) : nil
            let reasons = site.hasOffice
                ? (status.verdict?.reasons.map(format.reason) ?? [format.reason(Reason(code: .noData, impact: .unknown, evidence: ""))])
                : [DashboardWording.text("noOffice", language)]
            return Row(code: site.code, name: site.name, href: "/sites/" + pathSegment(site.code), type: format.siteType(site.type),
                       district: site.formerDistrict, state: state.map(format.state) ?? "–", stateClass: state.map(stateClass) ?? "st-none",
                       reasons: reasons.joined(separator: "; "), lastReport: format.time(lastReports[site.code]))
        }
        let sort = [("sort", query.sortValue)]
        previousHref = page > 1 ? "/sites" + queryString(filters + sort + [("page", String(page - 1))]) : nil
        nextHref = page < pages ? "/sites" + queryString(filters + sort + [("page", String(page + 1))]) : nil
        csvHref = "/sites.csv" + queryString(filters + sort)
    }

    /// Every matching site (not only one page) as CSV, in the same order.
    public static func csv(query: SiteQuery, sites: [Site], verdicts: [String: SiteVerdict], lastReports: [String: Date],
                           language: Language, timeZone: TimeZone) -> String {
        let format = Formatting(language: language, timeZone: timeZone)
        let statuses = query.apply(sites: sites, verdicts: verdicts, lastReports: lastReports)
        let iso = ISO8601DateFormatter()
        return CSVText.document(
            header: ["code", "name", "type", "province", "former_district", "profile", "verdict", "reasons", "reasons_text",
                     "last_report_at"],
            rows: statuses.map { status in
                let site = status.site
                let reasons = status.verdict?.reasons ?? (site.hasOffice ? [Reason(code: .noData, impact: .unknown, evidence: "")] : [])
                return [site.code, site.name, site.type.rawValue, site.province, site.formerDistrict, site.profile,
                        site.hasOffice ? (status.verdict?.state ?? .unknown).rawValue : "", reasons.map(\.description).joined(separator: " "),
                        reasons.map(format.reason).joined(separator: "; "), lastReports[site.code].map(iso.string) ?? ""]
            })
    }
}
