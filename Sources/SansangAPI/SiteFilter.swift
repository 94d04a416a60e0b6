import ReadinessModel

/// The query of `GET /api/v1/sites` (docs/api.md), defined once: the NOC client sends it, the collector parses it
/// (`parse`) and lists the sites it `matches`.
public struct SiteFilter: Sendable, Hashable {
    public var verdict: VerdictState?
    /// "CODE" matches any subject of that code (`LINK_BELOW_TARGET`); "CODE:subject" only that one
    /// (`SERVICE_DOWN:vneid`). Sent as written; the collector refuses an unknown code.
    public var reason: String?
    public var province: String?
    public var formerDistrict: String?

    public init() {}

    /// A query parameter that is not a valid value: the collector answers `bad_parameter` with `message`.
    public struct Invalid: Error, Sendable {
        public let message: String
    }

    /// The query parameters, by name (nil: not sent).
    public var queryParameters: [String: String?] {
        ["verdict": verdict?.rawValue, "reason": reason, "province": province, "former_district": formerDistrict]
    }

    /// From query parameter values; an unknown verdict or reason code is `Invalid`.
    public static func parse(verdict: String?, reason: String?, province: String?, formerDistrict: String?) throws(Invalid) -> SiteFilter {
        var filter = SiteFilter()
        if let verdict {
            guard let state = VerdictState(rawValue: verdict) else {
                let known = VerdictState.allCases.map(\.rawValue).joined(separator: ", ")
                throw Invalid(message: "verdict must be one of \(known), not \(verdict)")
            }
            filter.verdict = state
        }
        if let reason {
            guard ReasonKey(reason) != nil else {
                throw Invalid(message: "reason must be CODE or CODE:subject with a known code, not \(reason)")
            }
            filter.reason = reason
        }
        filter.province = province
        filter.formerDistrict = formerDistrict
        return filter
    }

    /// Whether `site`, with its current verdict, is listed.
    public func matches(_ site: Site, _ verdict: SiteVerdict?) -> Bool {
        if let province, site.province != province { return false }
        if let formerDistrict, site.formerDistrict != formerDistrict { return false }
        if let state = self.verdict, !site.hasOffice || verdict?.state != state { return false }
        if let reason {
            guard let wanted = ReasonKey(reason) else { return false }
            let keys = verdict?.reasons.map(\.key) ?? []
            let found = reason.contains(":") ? keys.contains(wanted) : keys.contains { $0.code == wanted.code }
            if !found { return false }
        }
        return true
    }
}
