/// One commune-level office, keyed by its official administrative code (e.g. "20242", Phường Hải Châu).
public struct Site: Sendable, Hashable, Codable {
    public var code: String
    public var name: String
    public var type: SiteType
    public var province: String
    /// The district (huyện/quận) the office belonged to before 1 July 2025; used to group reports.
    public var formerDistrict: String
    public var location: GeoLocation?
    public var contacts: [Contact]
    /// False for units with no office on the ground (Đặc khu Hoàng Sa): listed, never evaluated.
    public var hasOffice: Bool
    public var profile: String
    public var overrides: ProfileOverrides
    /// Planned work: alerts of the site are muted meanwhile.
    public var maintenance: [MaintenanceWindow]

    public init(
        code: String, name: String, type: SiteType, province: String = "", formerDistrict: String = "",
        location: GeoLocation? = nil, contacts: [Contact] = [], hasOffice: Bool = true,
        profile: String = "default", overrides: ProfileOverrides = ProfileOverrides(), maintenance: [MaintenanceWindow] = []
    ) {
        self.code = code
        self.name = name
        self.type = type
        self.province = province
        self.formerDistrict = formerDistrict
        self.location = location
        self.contacts = contacts
        self.hasOffice = hasOffice
        self.profile = profile
        self.overrides = overrides
        self.maintenance = maintenance
    }

    enum CodingKeys: String, CodingKey {
        case code, name, type, province, location, contacts, profile, overrides, maintenance
        case formerDistrict = "former_district"
        case hasOffice = "has_office"
    }

    /// `maintenance` may be absent (bodies written before it existed).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(String.self, forKey: .code)
        name = try container.decode(String.self, forKey: .name)
        type = try container.decode(SiteType.self, forKey: .type)
        province = try container.decode(String.self, forKey: .province)
        formerDistrict = try container.decode(String.self, forKey: .formerDistrict)
        location = try container.decodeIfPresent(GeoLocation.self, forKey: .location)
        contacts = try container.decode([Contact].self, forKey: .contacts)
        hasOffice = try container.decode(Bool.self, forKey: .hasOffice)
        profile = try container.decode(String.self, forKey: .profile)
        overrides = try container.decode(ProfileOverrides.self, forKey: .overrides)
        maintenance = try container.decodeIfPresent([MaintenanceWindow].self, forKey: .maintenance) ?? []
    }
}

/// The three kinds of commune-level unit after the 2025 reform.
public enum SiteType: String, Sendable, Hashable, Codable, CaseIterable {
    case phuong
    case xa
    case dacKhu = "dac_khu"

    /// The Vietnamese name of the unit type, as written in official names.
    public var vietnameseName: String {
        switch self {
        case .phuong: "Phường"
        case .xa: "Xã"
        case .dacKhu: "Đặc khu"
        }
    }

    public var englishName: String {
        switch self {
        case .phuong: "ward"
        case .xa: "commune"
        case .dacKhu: "special zone"
        }
    }
}

public struct GeoLocation: Sendable, Hashable, Codable {
    public var latitude: Double
    public var longitude: Double

    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }

    enum CodingKeys: String, CodingKey {
        case latitude = "lat"
        case longitude = "lon"
    }
}

public struct Contact: Sendable, Hashable, Codable {
    public var name: String
    public var role: String?
    public var phone: String?
    public var email: String?

    public init(name: String, role: String? = nil, phone: String? = nil, email: String? = nil) {
        self.name = name
        self.role = role
        self.phone = phone
        self.email = email
    }
}

/// Per-site changes to its profile: a different target for a link (a mountain commune on a
/// 100 Mbit/s line), services that do not apply, services this site needs in addition.
public struct ProfileOverrides: Sendable, Hashable, Codable {
    /// Link role → target in Mbit/s.
    public var linkTargets: [LinkRole: Int]
    public var skipServices: Set<String>
    public var extraServices: [ServiceCheck]

    public init(linkTargets: [LinkRole: Int] = [:], skipServices: Set<String> = [], extraServices: [ServiceCheck] = []) {
        self.linkTargets = linkTargets
        self.skipServices = skipServices
        self.extraServices = extraServices
    }

    public var isEmpty: Bool { linkTargets.isEmpty && skipServices.isEmpty && extraServices.isEmpty }

    enum CodingKeys: String, CodingKey {
        case linkTargets = "link_targets"
        case skipServices = "skip_services"
        case extraServices = "extra_services"
    }
}
