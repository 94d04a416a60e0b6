/// A place in an input file: 1-based line and column (columns count Unicode scalars, as libyaml does).
public struct SourceLocation: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

/// One problem found in an inventory file or an import spreadsheet.
public struct InventoryError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// Stable, machine-readable kinds of problem; the raw values appear in `--json` output.
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        case unreadableFile = "unreadable_file"
        case yamlSyntax = "yaml_syntax"
        case duplicateKey = "duplicate_key"
        case unknownKey = "unknown_key"
        case missingKey = "missing_key"
        case wrongType = "wrong_type"
        /// A value outside its set of names (a site type, a service kind, a link role, …).
        case badEnumValue = "bad_enum_value"
        /// A value of the right type that is not acceptable (a server address, a port, a path).
        case badValue = "bad_value"
        case badTarget = "bad_target"
        case badTime = "bad_time"
        case outOfRange = "out_of_range"
        case invalidCode = "invalid_code"
        case duplicateSiteCode = "duplicate_site_code"
        case duplicateProfileName = "duplicate_profile_name"
        case duplicateServiceName = "duplicate_service_name"
        case unknownProfile = "unknown_profile"
        case unknownService = "unknown_service"
        case csvSyntax = "csv_syntax"
        case unresolvedFormerDistrict = "unresolved_former_district"
    }

    public var code: Code
    public var message: String
    public var location: SourceLocation
    /// Where in the document, e.g. `sites[17].profile` (list indexes count from 0); empty for the file itself.
    public var field: String

    public init(_ code: Code, _ message: String, at location: SourceLocation, field: String) {
        self.code = code
        self.message = message
        self.location = location
        self.field = field
    }

    /// `file:line:column: field: message`, the form editors and CI logs understand.
    public var description: String {
        field.isEmpty ? "\(location): \(message)" : "\(location): \(field): \(message)"
    }
}

/// Every problem found in one load or import, in file and line order.
public struct InventoryErrors: Error, Sendable, Hashable, CustomStringConvertible {
    public var errors: [InventoryError]

    public init(_ errors: [InventoryError]) {
        self.errors = errors
    }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
