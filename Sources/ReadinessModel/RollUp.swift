import Foundation
import Synchronization

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
    public let total: Int
    /// Sites listed without an office, not in `total`.
    public let withoutOffice: Int
    // Indexed by VerdictState.severity and ReasonCode.ordinal.
    private let states: [Int]
    private let codes: [Int]
    // Counts per reason key id, and the roll-up's keys by id (shared by all its tallies). `byReason` is made only
    // when asked: a roll-up by 700 former districts made a dictionary per group, mostly for tiles that show two numbers.
    private let reasonCounts: [Int]
    private let reasonKeys: [ReasonKey]

    /// Sites per reason key ("SERVICE_DOWN:dvc").
    public var byReason: [ReasonKey: Int] {
        var byReason: [ReasonKey: Int] = [:]
        for (id, count) in reasonCounts.enumerated() where count > 0 {
            byReason[reasonKeys[id]] = count
        }
        return byReason
    }

    public var ready: Int { count(.ready) }
    /// Ready over offices, nil when there is no office.
    public var ratio: Double? { total == 0 ? nil : Double(ready) / Double(total) }
    /// The "78/88" figure: ready over offices.
    public var summary: String { "\(ready)/\(total)" }

    public func count(_ state: VerdictState) -> Int { states[state.severity] }
    /// Sites with at least one reason of this code.
    public func count(_ code: ReasonCode) -> Int { codes[code.ordinal] }
    public func count(_ key: ReasonKey) -> Int {
        guard let id = reasonKeys.firstIndex(of: key), id < reasonCounts.count else { return 0 }
        return reasonCounts[id]
    }

    /// Sites per state, every state present.
    public var byState: [VerdictState: Int] {
        Dictionary(uniqueKeysWithValues: VerdictState.allCases.map { ($0, count($0)) })
    }

    /// Sites per bare code, only codes that occur.
    public var byCode: [ReasonCode: Int] {
        Dictionary(uniqueKeysWithValues: ReasonCode.allCases.compactMap { code in count(code) > 0 ? (code, count(code)) : nil })
    }

    fileprivate init(_ counter: Counter, keys: [ReasonKey]) {
        total = counter.total
        withoutOffice = counter.withoutOffice
        states = counter.states
        codes = counter.codes
        reasonCounts = counter.reasons
        reasonKeys = keys
    }

    // Equal counts are equal tallies, whatever order the keys were numbered in.
    public static func == (a: Tally, b: Tally) -> Bool {
        (a.total, a.withoutOffice, a.states, a.codes) == (b.total, b.withoutOffice, b.states, b.codes) && a.byReason == b.byReason
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(total)
        hasher.combine(withoutOffice)
        hasher.combine(states)
        hasher.combine(codes)
        hasher.combine(byReason)
    }
}

/// One group of a roll-up: its key under the dimension and its counts.
public struct RollUpGroup: Sendable, Hashable {
    public var key: String
    public var tally: Tally
}

/// A site with its latest verdict (nil: none yet, or no office), as the collector keeps them.
/// A struct rather than a `(Site, SiteVerdict?)` tuple: reading a field of a tuple element of an array
/// copies the whole element, which tripled the time of a roll-up at 33,210 sites.
public struct SiteStatus: Sendable, Hashable {
    public var site: Site
    public var verdict: SiteVerdict?

    public init(site: Site, verdict: SiteVerdict?) {
        self.site = site
        self.verdict = verdict
    }
}

/// A fleet's readiness overall and grouped by some dimensions, computed in one pass.
public struct RollUp: Sendable, Hashable {
    public let overall: Tally
    private let grouped: [RollUpDimension: [RollUpGroup]]

    /// An office without a verdict counts as unknown with `NO_DATA`.
    public init(_ statuses: [SiteStatus], by dimensions: [RollUpDimension] = []) {
        var counting = Counting(dimensions)
        for status in statuses {
            counting.add(status.site, status.verdict)
        }
        self.init(counting)
    }

    /// As `init(_:by:)`, from the inventory's sites and their verdicts by code. Reads each site in place: making a
    /// `SiteStatus` per site first copies every site (a dozen strings each), a third of a national roll-up's time.
    public init(sites: [Site], verdicts: [String: SiteVerdict], by dimensions: [RollUpDimension] = []) {
        var counting = Counting(dimensions)
        for index in sites.indices {
            counting.add(sites[index], verdicts[sites[index].code])
        }
        self.init(counting)
    }

    private init(_ counting: Counting) {
        let dimensions = counting.dimensions
        overall = Tally(counting.overall, keys: counting.keys)
        var grouped: [RollUpDimension: [RollUpGroup]] = [:]
        for (d, dimension) in dimensions.enumerated() {
            grouped[dimension] = counting.groups[d].groups(keys: counting.keys)
        }
        self.grouped = grouped
    }

    /// The groups under `dimension`, sorted by key (alphabetical, ignoring case and diacritics, then exact);
    /// empty if the roll-up was not computed by it.
    public func groups(by dimension: RollUpDimension) -> [RollUpGroup] { grouped[dimension] ?? [] }
}

/// The state of one roll-up pass.
private struct Counting {
    let dimensions: [RollUpDimension]
    var overall = Counter()
    var groups: [GroupIndex]
    // Reason keys are numbered once per site, so each tally counts into an array without hashing.
    var keyIDs: [ReasonKey: Int] = [:]
    var keys: [ReasonKey] = []
    var site = SiteCounts()
    let noVerdict = [Reason(code: .noData, impact: .unknown, evidence: "")]

    init(_ dimensions: [RollUpDimension]) {
        self.dimensions = dimensions
        groups = [GroupIndex](repeating: GroupIndex(), count: dimensions.count)
    }

    mutating func add(_ entry: Site, _ verdict: SiteVerdict?) {
        site.ids.removeAll(keepingCapacity: true)
        site.codeMask = 0
        site.hasOffice = entry.hasOffice
        if site.hasOffice {
            site.state = (verdict?.state ?? .unknown).severity
            for reason in verdict?.reasons ?? noVerdict {
                site.codeMask |= 1 << reason.code.ordinal
                let key = ReasonKey(code: reason.code, subject: reason.subject)
                let id: Int
                if let known = keyIDs[key] {
                    id = known
                } else {
                    id = keys.count
                    keyIDs[key] = id
                    keys.append(key)
                }
                if !site.ids.contains(id) { site.ids.append(id) }
            }
        }
        overall.add(site)
        for d in dimensions.indices {
            groups[d].add(site, key: dimensions[d].key(for: entry))
        }
    }
}

/// What one site adds to every tally it belongs to.
private struct SiteCounts {
    var hasOffice = false
    var state = 0
    var codeMask: UInt32 = 0
    /// Distinct reason key ids of the site.
    var ids: [Int] = []
}

private struct Counter {
    var total = 0
    var withoutOffice = 0
    var states = [Int](repeating: 0, count: VerdictState.allCases.count)
    var codes = [Int](repeating: 0, count: ReasonCode.allCases.count)
    var reasons: [Int] = []

    mutating func add(_ site: SiteCounts) {
        guard site.hasOffice else {
            withoutOffice += 1
            return
        }
        total += 1
        states[site.state] += 1
        var mask = site.codeMask
        while mask != 0 {
            codes[mask.trailingZeroBitCount] += 1
            mask &= mask - 1
        }
        for id in site.ids {
            if id >= reasons.count { reasons.append(contentsOf: repeatElement(0, count: id - reasons.count + 1)) }
            reasons[id] += 1
        }
    }
}

/// The groups of one dimension while counting.
private struct GroupIndex {
    var ids: [UTF8Key: Int] = [:]
    var counters: [Counter] = []
    var keys: [String] = []
    /// Inventories usually list a district's sites together: skip the lookup when the key repeats.
    var last: (key: String, id: Int)?

    mutating func add(_ site: SiteCounts, key: String) {
        let id: Int
        if let last, sameBytes(last.key, key) {
            id = last.id
        } else if let known = ids[UTF8Key(key)] {
            id = known
        } else {
            id = counters.count
            ids[UTF8Key(key)] = id
            counters.append(Counter())
            keys.append(key)
        }
        last = (key, id)
        counters[id].add(site)
    }

    /// Tallies per key, merging keys that are equal as Strings but were spelled with different bytes
    /// (composed and decomposed Vietnamese), sorted by key.
    func groups(keys reasonKeys: [ReasonKey]) -> [RollUpGroup] {
        var merged: [String: Counter] = [:]
        for (id, key) in keys.enumerated() {
            if let existing = merged[key] {
                merged[key] = existing.merging(counters[id])
            } else {
                merged[key] = counters[id]
            }
        }
        return merged
            .map { (order: collationKey($0.key), group: RollUpGroup(key: $0.key, tally: Tally($0.value, keys: reasonKeys))) }
            .sorted { ($0.order, $0.group.key) < ($1.order, $1.group.key) }
            .map(\.group)
    }
}

extension Counter {
    func merging(_ other: Counter) -> Counter {
        func sum(_ a: [Int], _ b: [Int]) -> [Int] {
            (0..<max(a.count, b.count)).map { (a.indices.contains($0) ? a[$0] : 0) + (b.indices.contains($0) ? b[$0] : 0) }
        }
        var result = self
        result.total += other.total
        result.withoutOffice += other.withoutOffice
        result.states = sum(states, other.states)
        result.codes = sum(codes, other.codes)
        result.reasons = sum(reasons, other.reasons)
        return result
    }
}

/// A String compared and hashed by its UTF-8 bytes: Vietnamese names hash several times faster than
/// as Strings, which normalise non-ASCII text first. `GroupIndex.groups` merges what bytes keep apart.
private struct UTF8Key: Hashable {
    let string: String

    init(_ string: String) { self.string = string }

    func hash(into hasher: inout Hasher) {
        var string = string
        string.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    static func == (a: UTF8Key, b: UTF8Key) -> Bool { sameBytes(a.string, b.string) }
}

private func sameBytes(_ a: String, _ b: String) -> Bool {
    var (a, b) = (a, b)
    return a.withUTF8 { x in
        b.withUTF8 { y in x.count == y.count && (x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0) }
    }
}

/// Alphabetical ignoring case and diacritics: "Đại Lộc" < "Hải Châu" < "Hòa Vang" < "Sơn Trà",
/// where code-point order would put "Hòa" before "Hải" and "Đ" after "Z".
private func collationKey(_ key: String) -> String {
    if let known = collationKeys.withLock({ $0[key] }) { return known }
    let folded = key.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).replacingOccurrences(of: "đ", with: "d")
    collationKeys.withLock { keys in
        // Group keys are the inventory's names: a few thousand. The bound only guards against a runaway caller.
        if keys.count >= 100_000 { keys.removeAll() }
        keys[key] = folded
    }
    return folded
}

/// Folding is Foundation's slowest step of a roll-up by 700 former districts, and the names rarely change: each
/// name's key is kept for the process.
private let collationKeys = Mutex<[String: String]>([:])

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
        case .dnsUnavailable: 9
        case .wanDown: 10
        }
    }
}
