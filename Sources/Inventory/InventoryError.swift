import YAMLConfig

public typealias InventoryError = ConfigError
public typealias InventoryErrors = ConfigErrors

/// The codes of the inventory's own rules, beside the generic ones of YAMLConfig.
extension ConfigError.Code {
    public static let invalidCode = Self(rawValue: "invalid_code")
    public static let duplicateSiteCode = Self(rawValue: "duplicate_site_code")
    public static let duplicateProfileName = Self(rawValue: "duplicate_profile_name")
    public static let duplicateServiceName = Self(rawValue: "duplicate_service_name")
    public static let unknownProfile = Self(rawValue: "unknown_profile")
    public static let unknownService = Self(rawValue: "unknown_service")
    public static let csvSyntax = Self(rawValue: "csv_syntax")
    public static let unresolvedFormerDistrict = Self(rawValue: "unresolved_former_district")
}
