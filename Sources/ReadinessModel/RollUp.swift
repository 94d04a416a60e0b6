import Foundation

/// What sites are grouped by in a roll-up.
public enum RollUpDimension: String, Sendable, Hashable, Codable, CaseIterable {
    case province
    case formerDistrict = "former_district"
    case type
    case profile

    /// The group a site falls in: the province or former district name, the type's raw value, the profile name.
    public func key(for site: Site) -> String {
        switch self {
        case .province: site.province
        case .formerDistrict: site.formerDistrict
        case .type: site.type.rawValue
        case .profile: site.profile
        }
    }
}

/// Counts over a set of sites. Only offices (`has_office`) are counted; a site counts once per reason
/// key and once per bare code however many reasons it has with that code.
public struct Tally: Sendable, Hashable {
    /// Offices: sites with `has_office`.
    public private(set) var total = 0
    /// Sites listed without an office, not in `total`.
    public private(set) var withoutOffice = 0
    // Indexed by VerdictState.severity and ReasonCode.ordinal: fixed arrays, no hashing per site.
    private var states = [Int](repeating: 0, count: VerdictState.allCases.count)
    private var codes = [Int](repeating: 0, count: ReasonCode.allCases.count)
    /// Sites per reason key ("SERVICE_DOWN:dvc").
    public private(set) var byReason: [ReasonKey: Int] = [:]

    public init() {}

    public var ready: Int { count(.ready) }
    /// Ready over offices, nil when there is no office.
    public var ratio: Double? { total == 0 ? nil : Double(ready) / Double(total) }
    /// The "78/88" figure: ready over offices.
    public var summary: String { "\(ready)/\(total)" }

    public func count(_ state: VerdictState) -> Int { states[state.severity] }
    /// Sites with at least one reason of this code.
    public func count(_ code: ReasonCode) -> Int { codes[code.ordinal] }
    public func count(_ key: ReasonKey) -> Int { byReason[key, default: 0] }

    /// Sites per state, every state present.
    public var byState: [VerdictState: Int] {
        Dictionary(uniqueKeysWithValues: VerdictState.allCases.map { ($0, count($0)) })
    }

    /// Sites per bare code, only codes that occur.
    public var byCode: [ReasonCode: Int] {
        Dictionary(uniqueKeysWithValues: ReasonCode.allCases.compactMap { code in count(code) > 0 ? (code, count(code)) : nil })
    }

    /// Counts one site; a site with an office and no verdict counts as unknown with `NO_DATA`.
    public mutating func add(_ site: Site, _ verdict: SiteVerdict?) {
        guard site.hasOffice else {
            withoutOffice += 1
            return
        }
        if let verdict {
            add(verdict.state, verdict.reasons)
        } else {
            add(.unknown, Self.noVerdict)
        }
    }

    private static let noVerdict = [Reason(code: .noData, impact: .unknown, evidence: "no verdict")]

    private mutating func add(_ state: VerdictState, _ reasons: [Reason]) {
        total += 1
        states[state.severity] += 1
        var seenCodes: UInt32 = 0
        for (i, reason) in reasons.enumerated() {
            let bit: UInt32 = 1 << reason.code.ordinal
            if seenCodes & bit == 0 {
                seenCodes |= bit
                codes[reason.code.ordinal] += 1
            } else if reasons[..<i].contains(where: { $0.code == reason.code && $0.subject == reason.subject }) {
                continue  // the same key twice in one verdict counts once
            }
            byReason[reason.key, default: 0] += 1
        }
    }
}

/// One group of a roll-up: its key under the dimension and its counts.
public struct RollUpGroup: Sendable, Hashable {
    public var key: String
    public var tally: Tally
}

/// A fleet's readiness overall and grouped by some dimensions, computed in one pass.
public struct RollUp: Sendable, Hashable {
    public private(set) var overall = Tally()
    private var grouped: [RollUpDimension: [RollUpGroup]] = [:]

    public init(_ entries: some Sequence<(Site, SiteVerdict?)>, by dimensions: [RollUpDimension] = []) {
        var tallies = [[String: Tally]](repeating: [:], count: dimensions.count)
        for (site, verdict) in entries {
            overall.add(site, verdict)
            for (i, dimension) in dimensions.enumerated() {
                tallies[i][dimension.key(for: site), default: Tally()].add(site, verdict)
            }
        }
        for (i, dimension) in dimensions.enumerated() {
            grouped[dimension] = tallies[i]
                .map { (order: Self.collationKey($0.key), group: RollUpGroup(key: $0.key, tally: $0.value)) }
                .sorted { ($0.order, $0.group.key) < ($1.order, $1.group.key) }
                .map(\.group)
        }
    }

    /// Alphabetical ignoring case and diacritics: "Đại Lộc" < "Hải Châu" < "Hòa Vang" < "Sơn Trà",
    /// where code-point order would put "Hòa" before "Hải" and "Đ" after "Z".
    private static func collationKey(_ key: String) -> String {
        key.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
            .replacingOccurrences(of: "đ", with: "d")
    }

    /// The groups under `dimension`, sorted by key (alphabetical, ignoring case and diacritics, then exact);
    /// empty if the roll-up was not computed by it.
    public func groups(by dimension: RollUpDimension) -> [RollUpGroup] { grouped[dimension] ?? [] }
}

extension ReasonCode {
    /// Position in `allCases`, for counting without hashing.
    var ordinal: Int {
        switch self {
        case .linkBelowTarget: 0
        case .throughputLow: 1
        case .serviceDown: 2
        case .serviceSlow: 3
        case .certExpiring: 4
        case .speedMismatch: 5
        case .stale: 6
        case .noData: 7
        case .clockSkew: 8
        }
    }
}
