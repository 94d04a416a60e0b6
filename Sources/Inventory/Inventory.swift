import YAMLConfig
import Foundation
import ReadinessModel

/// The sites and check profiles of a province, validated: every site's profile exists, codes are unique.
public struct Inventory: Sendable, Hashable {
    /// In file order (files sorted by name, sites in the order written).
    public private(set) var sites: [Site]
    public private(set) var profiles: [String: Profile]
    private var indexByCode: [String: Int]

    /// Assumes validated input (as `InventoryLoader` produces): the first site with a code wins a lookup.
    public init(sites: [Site], profiles: [String: Profile]) {
        self.sites = sites
        self.profiles = profiles
        self.indexByCode = Dictionary(sites.enumerated().map { ($1.code, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func site(code: String) -> Site? { indexByCode[code].map { sites[$0] } }

    public func profile(named name: String) -> Profile? { profiles[name] }

    /// The profile a site is checked against, with its overrides applied.
    public func effectiveProfile(for site: Site) -> Profile? {
        profiles[site.profile].map { $0.applying(site.overrides) }
    }

    /// Sites with an office on the ground, the ones that can run an agent.
    public var offices: [Site] { sites.filter(\.hasOffice) }

    public func sites(inFormerDistrict district: String) -> [Site] { sites.filter { $0.formerDistrict == district } }
}

/// Counts for `inventory check`: units and offices overall, per type, per former district, per profile.
public struct InventorySummary: Sendable, Hashable, Codable {
    public struct Group: Sendable, Hashable, Codable {
        public var name: String
        public var units: Int
        public var offices: Int
    }

    public struct ProfileUsage: Sendable, Hashable, Codable {
        public var name: String
        public var sites: Int
        public var links: Int
        public var services: Int
    }

    public var units: Int
    public var offices: Int
    /// Keyed by `SiteType` raw value, in the type's declaration order.
    public var byType: [Group]
    /// In Vietnamese alphabetical order; sites without a former district are grouped under "".
    public var byFormerDistrict: [Group]
    public var profiles: [ProfileUsage]

    public init(_ inventory: Inventory) {
        func groups(_ key: (Site) -> String) -> [String: Group] {
            inventory.sites.reduce(into: [:]) { result, site in
                let name = key(site)
                result[name, default: Group(name: name, units: 0, offices: 0)].units += 1
                if site.hasOffice { result[name]?.offices += 1 }
            }
        }
        units = inventory.sites.count
        offices = inventory.offices.count
        let types = groups(\.type.rawValue)
        byType = SiteType.allCases.compactMap { types[$0.rawValue] }
        byFormerDistrict = groups(\.formerDistrict).values.sorted {
            (VietnameseOrder.key($0.name), $0.name) < (VietnameseOrder.key($1.name), $1.name)
        }
        let counts = Dictionary(grouping: inventory.sites, by: \.profile).mapValues(\.count)
        profiles = inventory.profiles.values.sorted { $0.name < $1.name }.map {
            ProfileUsage(name: $0.name, sites: counts[$0.name] ?? 0, links: $0.links.count, services: $0.services.count)
        }
    }

    enum CodingKeys: String, CodingKey {
        case units, offices, profiles
        case byType = "by_type"
        case byFormerDistrict = "by_former_district"
    }
}

/// A sort key for Vietnamese alphabetical order: a < ă < â, d < đ, e < ê, o < ô < ơ, u < ư; tone marks only
/// break ties (callers compare the names themselves next).
enum VietnameseOrder {
    static func key(_ text: String) -> String {
        var key = ""
        var base: Character = " "
        for scalar in text.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars {
            // "~" sorts after every letter, so a letter with a mark sorts after all words with the bare letter.
            switch scalar.value {
            case 0x0306: key += "~"                              // breve: ă
            case 0x0302: key += base == "a" ? "~~" : "~"         // circumflex: â, ê, ô
            case 0x031B: key += base == "o" ? "~~" : "~"         // horn: ơ, ư
            case 0x0300...0x036F: break                          // tone marks
            case 0x0111: key += "d~"                             // đ
            default:
                base = Character(scalar)
                key.unicodeScalars.append(scalar)
            }
        }
        return key
    }
}
