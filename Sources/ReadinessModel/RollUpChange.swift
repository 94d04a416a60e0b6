/// What changed in readiness between two moments (e.g. last Monday and now), for offices only.
/// `newlyReady.count - regressed.count` is the change of the ready figure over sites present both times.
public struct RollUpChange: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var site: String
        public var before: VerdictState
        public var after: VerdictState
        /// The reasons now (empty for a ready site).
        public var reasons: [Reason]
    }

    /// Not ready before (any other state, or no verdict), ready now.
    public private(set) var newlyReady: [Entry] = []
    /// Ready before, not ready now, with the reasons why.
    public private(set) var regressed: [Entry] = []
    /// Not ready both times (degraded, not_ready or unknown), with the reasons now.
    public private(set) var stillNotReady: [Entry] = []

    /// Compares verdicts keyed by site code; an office with no verdict at a moment counts as unknown with `NO_DATA`.
    /// Entries are sorted by site code.
    public init(sites: some Sequence<Site>, before: [String: SiteVerdict], after: [String: SiteVerdict]) {
        for site in sites where site.hasOffice {
            let was = before[site.code]?.state ?? .unknown
            let now = after[site.code]
            let entry = Entry(
                site: site.code, before: was, after: now?.state ?? .unknown,
                reasons: now?.reasons ?? [Reason(code: .noData, impact: .unknown, evidence: "no verdict")])
            switch (was == .ready, entry.after == .ready) {
            case (false, true): newlyReady.append(entry)
            case (true, false): regressed.append(entry)
            case (false, false): stillNotReady.append(entry)
            case (true, true): break
            }
        }
        newlyReady.sort { $0.site < $1.site }
        regressed.sort { $0.site < $1.site }
        stillNotReady.sort { $0.site < $1.site }
    }
}
