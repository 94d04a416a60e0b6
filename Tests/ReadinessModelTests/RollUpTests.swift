import Foundation
import ReadinessModel
import Testing

@Suite struct RollUpTests {
    static func site(_ code: String, _ name: String, _ type: SiteType, _ district: String, profile: String = "urban",
                     office: Bool = true) -> Site {
        Site(code: code, name: name, type: type, province: "Đà Nẵng", formerDistrict: district, hasOffice: office, profile: profile)
    }

    /// A verdict with reasons given as "CODE:subject" (impact = the state, evidence irrelevant here).
    static func verdict(_ site: String, _ state: VerdictState, _ reasons: [String] = []) -> SiteVerdict {
        SiteVerdict(
            site: site, state: state,
            reasons: reasons.map { text in
                let key = ReasonKey(text)!
                return Reason(code: key.code, subject: key.subject, impact: state, evidence: "test")
            },
            evaluatedAt: Fleet.now, reportGeneratedAt: Fleet.ago(30))
    }

    /// Eight units of Đà Nẵng: seven offices (3 ready) and Hoàng Sa, which has none.
    static let fleet: [(Site, SiteVerdict?)] = [
        (site("20242", "Phường Hải Châu", .phuong, "Hải Châu"), verdict("20242", .ready)),
        (site("20257", "Phường Hòa Cường", .phuong, "Hải Châu"),
         verdict("20257", .notReady, ["LINK_BELOW_TARGET:lan", "SPEED_MISMATCH:lan"])),
        (site("20194", "Phường Sơn Trà", .phuong, "Sơn Trà"), verdict("20194", .ready)),
        (site("20200", "Phường An Hải", .phuong, "Sơn Trà"),
         verdict("20200", .degraded, ["SERVICE_SLOW:dvc", "SERVICE_SLOW:mail"])),
        (site("20308", "Xã Hòa Vang", .xa, "Hòa Vang", profile: "mountain"), nil),
        (site("20311", "Xã Bà Nà", .xa, "Hòa Vang", profile: "mountain"),
         verdict("20311", .notReady, ["SERVICE_DOWN:dvc", "THROUGHPUT_LOW:wan", "SERVICE_DOWN:dvc"])),
        (site("20314", "Xã Hòa Tiến", .xa, "Hòa Vang", profile: "mountain"), verdict("20314", .ready)),
        (site("20335", "Đặc khu Hoàng Sa", .dacKhu, "Hoàng Sa", office: false), nil),
    ]

    static let statuses = fleet.map { SiteStatus(site: $0.0, verdict: $0.1) }
    static let sites = fleet.map(\.0)
    static let verdicts = byCode(fleet.compactMap(\.1))

    static func byCode(_ verdicts: [SiteVerdict]) -> [String: SiteVerdict] {
        Dictionary(uniqueKeysWithValues: verdicts.map { ($0.site, $0) })
    }

    @Test func overall() {
        let tally = RollUp(Self.statuses).overall
        #expect(tally.summary == "3/7")
        #expect(tally.ready == 3)
        #expect(tally.total == 7)
        #expect(tally.withoutOffice == 1)
        #expect(tally.ratio == 3.0 / 7.0)
        #expect(tally.byState == [.ready: 3, .degraded: 1, .notReady: 2, .unknown: 1])
        #expect(tally.byCode == [
            .linkBelowTarget: 1, .speedMismatch: 1, .serviceSlow: 1, .serviceDown: 1, .throughputLow: 1, .noData: 1,
        ])
        #expect(tally.byReason.mapKeys(\.description) == [
            "LINK_BELOW_TARGET:lan": 1, "SPEED_MISMATCH:lan": 1, "SERVICE_SLOW:dvc": 1, "SERVICE_SLOW:mail": 1,
            "SERVICE_DOWN:dvc": 1, "THROUGHPUT_LOW:wan": 1, "NO_DATA": 1,
        ])
        #expect(tally.count(ReasonKey(code: .serviceDown, subject: "dvc")) == 1)
        #expect(tally.count(ReasonKey(code: .serviceDown, subject: "mail")) == 0)
        #expect(tally.count(.stale) == 0)
    }

    @Test func byFormerDistrict() {
        let groups = RollUp(Self.statuses, by: [.formerDistrict]).groups(by: .formerDistrict)
        #expect(groups.map(\.key) == ["Hải Châu", "Hòa Vang", "Hoàng Sa", "Sơn Trà"])
        #expect(groups.map(\.tally.summary) == ["1/2", "1/3", "0/0", "1/2"])
        #expect(groups.map(\.tally.withoutOffice) == [0, 0, 1, 0])
        #expect(groups.map(\.tally.ratio) == [0.5, 1.0 / 3.0, nil, 0.5])
        #expect(groups[1].tally.byState == [.ready: 1, .degraded: 0, .notReady: 1, .unknown: 1])
        #expect(groups[1].tally.byCode == [.serviceDown: 1, .throughputLow: 1, .noData: 1])
    }

    @Test func byTypeAndProfileInOnePass() {
        let rollUp = RollUp(Self.statuses, by: [.type, .profile, .province])
        #expect(rollUp.groups(by: .type).map { "\($0.key) \($0.tally.summary)" } == ["dac_khu 0/0", "phuong 2/4", "xa 1/3"])
        #expect(rollUp.groups(by: .profile).map { "\($0.key) \($0.tally.summary)" } == ["mountain 1/3", "urban 2/4"])
        #expect(rollUp.groups(by: .province).map { "\($0.key) \($0.tally.summary)" } == ["Đà Nẵng 3/7"])
        #expect(rollUp.groups(by: .formerDistrict) == [])
        #expect(rollUp.groups(by: .type)[1].tally.byCode == [.linkBelowTarget: 1, .speedMismatch: 1, .serviceSlow: 1])
        #expect(rollUp.overall == RollUp(Self.statuses).overall)
    }

    /// The roll-up read in place from sites and verdicts by code is the roll-up of the same statuses, and tallies
    /// with the same counts are equal however their reason keys were numbered (by the order sites came in).
    @Test func sitesWithVerdictsByCodeRollUpAsTheirStatuses() {
        let inPlace = RollUp(sites: Self.sites, verdicts: Self.verdicts, by: [.formerDistrict, .type])
        let fromStatuses = RollUp(Self.statuses, by: [.formerDistrict, .type])
        #expect(inPlace == fromStatuses)
        #expect(inPlace.overall.byReason == fromStatuses.overall.byReason)
        let reversed = RollUp(Self.statuses.reversed(), by: [.formerDistrict])
        #expect(reversed.overall == fromStatuses.overall)
        #expect(reversed.overall.count(ReasonKey("SERVICE_DOWN:dvc")!) == 1)
        #expect(reversed.overall.count(ReasonKey("SERVICE_DOWN:mail")!) == 0)
        #expect(reversed.groups(by: .formerDistrict) == fromStatuses.groups(by: .formerDistrict))
    }

    /// The same name typed composed (NFC) and decomposed (NFD) is one group, as it is one String.
    @Test func equalNamesSpelledDifferentlyAreOneGroup() async throws {
        let decomposed = "Ha\u{0309}i Cha\u{0302}u"
        #expect(decomposed == "Hải Châu")
        #expect(Array(decomposed.utf8) != Array("Hải Châu".utf8))
        var statuses = Self.statuses
        statuses[1].site.formerDistrict = decomposed
        let groups = RollUp(statuses, by: [.formerDistrict]).groups(by: .formerDistrict)
        #expect(groups.map(\.tally.summary) == ["1/2", "1/3", "0/0", "1/2"])
        #expect(groups[0].tally.byCode == [.linkBelowTarget: 1, .speedMismatch: 1])
    }

    @Test func emptyFleet() {
        let tally = RollUp([]).overall
        #expect(tally.summary == "0/0")
        #expect(tally.ratio == nil)
        #expect(tally.byCode == [:])
    }

    /// 33,210 sites (10× Vietnam's communes): counts stay exact at collector scale.
    @Test func largeFleet() {
        let states: [VerdictState] = [.ready, .ready, .ready, .degraded, .notReady, .unknown]
        let sites = (0..<33_210).map { i in
            Self.site(String(10_000 + i), "Xã \(i)", i % 3 == 0 ? .phuong : .xa, "Huyện \(i % 700)")
        }
        let statuses = sites.indices.map { i in
            SiteStatus(site: sites[i], verdict: i % 10 == 9 ? nil : Self.verdict(
                sites[i].code, states[i % 6], states[i % 6] == .notReady ? ["THROUGHPUT_LOW:wan"] : []))
        }
        let rollUp = RollUp(statuses, by: [.formerDistrict])
        let expectedReady = (0..<33_210).count(where: { $0 % 10 != 9 && $0 % 6 < 3 })
        #expect(rollUp.overall.summary == "\(expectedReady)/33210")
        #expect(rollUp.overall.count(.noData) == 3321)
        #expect(rollUp.groups(by: .formerDistrict).count == 700)
        #expect(rollUp.groups(by: .formerDistrict).reduce(0) { $0 + $1.tally.total } == 33_210)
    }

    @Test func changeSinceLastWeek() {
        let sites = Self.sites
        let lastWeek = Self.byCode([
            Self.verdict("20242", .notReady, ["THROUGHPUT_LOW:wan"]),  // now ready
            Self.verdict("20257", .ready),  // now not ready: regressed
            Self.verdict("20194", .ready),  // still ready
            Self.verdict("20200", .degraded, ["SERVICE_SLOW:dvc"]),  // still not ready
            Self.verdict("20308", .ready),  // now no verdict: regressed
            Self.verdict("20311", .unknown, ["STALE"]),  // still not ready
            // 20314 had no verdict last week, ready now
        ])
        let change = RollUpChange(sites: sites, before: lastWeek, after: Self.verdicts)

        #expect(change.newlyReady.map { "\($0.site) \($0.before.rawValue)" } == ["20242 not_ready", "20314 unknown"])
        #expect(change.regressed.map { "\($0.site) \($0.after.rawValue) \($0.reasons.map(\.description))" } == [
            #"20257 not_ready ["LINK_BELOW_TARGET:lan", "SPEED_MISMATCH:lan"]"#,
            #"20308 unknown ["NO_DATA"]"#,
        ])
        #expect(change.stillNotReady.map { "\($0.site) \($0.before.rawValue)->\($0.after.rawValue)" }
            == ["20200 degraded->degraded", "20311 unknown->not_ready"])

        // The change of the ready figure is newly ready minus regressed.
        let before = RollUp(sites.map { SiteStatus(site: $0, verdict: lastWeek[$0.code]) }).overall
        let after = RollUp(Self.statuses).overall
        #expect(after.ready - before.ready == change.newlyReady.count - change.regressed.count)
    }
}

extension Dictionary {
    fileprivate func mapKeys<K: Hashable>(_ transform: (Key) -> K) -> [K: Value] {
        Dictionary<K, Value>(uniqueKeysWithValues: map { (transform($0.key), $0.value) })
    }
}
