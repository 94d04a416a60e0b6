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

    /// The top of a file, for problems with the file as a whole.
    public static func start(of file: String) -> SourceLocation { SourceLocation(file: file, line: 1, column: 1) }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

/// One problem found in a configuration file (inventory, agent or collector config, an import spreadsheet).
public struct ConfigError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// Stable, machine-readable kinds of problem; the raw values appear in `--json` output. Open, so that
    /// each kind of file (inventory, agent config, collector config) adds the codes of its own rules.
    public struct Code: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let unreadableFile = Code(rawValue: "unreadable_file")
        public static let yamlSyntax = Code(rawValue: "yaml_syntax")
        public static let duplicateKey = Code(rawValue: "duplicate_key")
        public static let unknownKey = Code(rawValue: "unknown_key")
        public static let missingKey = Code(rawValue: "missing_key")
        public static let wrongType = Code(rawValue: "wrong_type")
        /// A value outside its set of names (a site type, a service kind, a link role, …).
        public static let badEnumValue = Code(rawValue: "bad_enum_value")
        /// A value of the right type that is not acceptable (a server address, a port, a path).
        public static let badValue = Code(rawValue: "bad_value")
        public static let badTarget = Code(rawValue: "bad_target")
        public static let badTime = Code(rawValue: "bad_time")
        public static let outOfRange = Code(rawValue: "out_of_range")
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
public struct ConfigErrors: Error, Sendable, Hashable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) {
        self.errors = errors
    }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
