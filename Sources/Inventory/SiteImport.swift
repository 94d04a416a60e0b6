import YAMLConfig
import Foundation
import ReadinessModel

/// Turns a spreadsheet of sites (CSV) into sites, for `sansang-collector inventory import`.
public enum SiteImport {
    public static let requiredColumns = ["code", "name", "type"]
    public static let optionalColumns = ["former_district", "province", "lat", "lon", "profile", "has_office"]

    /// Values for cells the spreadsheet leaves out. A row's own non-empty cell always wins.
    public struct Options: Sendable {
        public var province: String?
        public var profile: String?
        /// Fills `former_district` for rows without one; a row it cannot place is an error.
        public var formerDistricts: FormerDistrictMap?

        public init(province: String? = nil, profile: String? = nil, formerDistricts: FormerDistrictMap? = nil) {
            self.province = province
            self.profile = profile
            self.formerDistricts = formerDistricts
        }
    }

    /// The sites of a CSV text, in row order; names are normalised to NFC.
    public static func sites(csv: String, file: String, options: Options = Options()) throws(InventoryErrors) -> [Site] {
        let records: [CSVRecord]
        switch parseCSV(csv, file: file) {
        case .success(let parsed): records = parsed
        case .failure(let error): throw InventoryErrors([error])
        }
        guard let header = records.first else {
            throw InventoryErrors([InventoryError(.missingKey, "empty file: expected a header row with "
                                                  + requiredColumns.joined(separator: ","), at: .start(of: file), field: "")])
        }
        var errors: [InventoryError] = []
        var columns: [String: Int] = [:]
        let known = requiredColumns + optionalColumns
        for (index, cell) in header.cells.enumerated() {
            let name = cell.text.trimmingCharacters(in: .whitespaces).lowercased()
            let location = SourceLocation(file: file, line: cell.line, column: cell.column)
            if !known.contains(name) {
                errors.append(InventoryError(.unknownKey, "unknown column \"\(cell.text)\""
                                             + suggestion(for: name, among: known), at: location, field: cell.text))
            } else if columns[name] != nil {
                errors.append(InventoryError(.duplicateKey, "column \"\(name)\" appears twice", at: location, field: name))
            } else {
                columns[name] = index
            }
        }
        for name in requiredColumns where columns[name] == nil {
            errors.append(InventoryError(.missingKey, "missing required column \"\(name)\"",
                                         at: SourceLocation(file: file, line: header.line, column: 1), field: name))
        }
        guard errors.isEmpty else { throw InventoryErrors(errors) }

        var sites: [Site] = []
        var firstLineByCode: [String: Int] = [:]
        for record in records.dropFirst() {
            var row = Row(record: record, columns: columns, file: file)
            guard let site = row.site(options: options) else {
                errors += row.errors
                continue
            }
            if let first = firstLineByCode[site.code] {
                errors.append(row.error(.duplicateSiteCode, "duplicate site code \"\(site.code)\" (first on line \(first))",
                                        column: "code"))
                continue
            }
            firstLineByCode[site.code] = record.line
            sites.append(site)
        }
        guard errors.isEmpty else { throw InventoryErrors(errors) }
        return sites
    }
}

/// One data row, read cell by cell with errors naming the line, the column and the column's name.
private struct Row {
    let record: CSVRecord
    let columns: [String: Int]
    let file: String
    var errors: [InventoryError] = []

    init(record: CSVRecord, columns: [String: Int], file: String) {
        self.record = record
        self.columns = columns
        self.file = file
    }

    /// The trimmed cell of a column, or nil when the column is absent or the cell empty.
    func cell(_ name: String) -> String? {
        guard let index = columns[name], index < record.cells.count else { return nil }
        let text = record.cells[index].text.trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? nil : text.precomposedStringWithCanonicalMapping
    }

    func error(_ code: InventoryError.Code, _ message: String, column name: String) -> InventoryError {
        let index = columns[name] ?? 0
        let cell = index < record.cells.count ? record.cells[index] : record.cells.last
        return InventoryError(code, message, at: SourceLocation(file: file, line: cell?.line ?? record.line,
                                                                column: cell?.column ?? 1), field: name)
    }

    mutating func report(_ code: InventoryError.Code, _ message: String, column: String) {
        errors.append(error(code, message, column: column))
    }

    mutating func site(options: SiteImport.Options) -> Site? {
        let code = cell("code")
        if let code, !(code.count == 5 && code.allSatisfy { $0.isASCII && $0.isNumber }) {
            report(.invalidCode, "invalid code \"\(code)\": must be 5 digits, e.g. \"20242\"", column: "code")
        }
        for name in SiteImport.requiredColumns where cell(name) == nil {
            report(.missingKey, "empty \(name)", column: name)
        }
        let type = cell("type").flatMap { siteType($0) }
        let province = cell("province") ?? options.province
        if province == nil {
            report(.missingKey, "no province: add a province column or pass --province", column: "province")
        }
        var formerDistrict = cell("former_district")
        if formerDistrict == nil, let map = options.formerDistricts, let code {
            formerDistrict = map.district(forNewCode: code)
            if formerDistrict == nil {
                report(.unresolvedFormerDistrict, "no former unit of \(code) and no district range containing it",
                       column: "code")
            }
        }
        let location = geoLocation()
        let hasOffice = cell("has_office").map { flag($0) } ?? true
        guard errors.isEmpty, let code, let name = cell("name"), let type, let province else { return nil }
        return Site(code: code, name: name, type: type, province: province, formerDistrict: formerDistrict ?? "",
                    location: location, hasOffice: hasOffice ?? true,
                    profile: cell("profile") ?? options.profile ?? "default")
    }

    /// `phuong|xa|dac_khu`, or the Vietnamese word as a spreadsheet would have it ("Phường", "Đặc khu").
    mutating func siteType(_ text: String) -> SiteType? {
        if let type = SiteType(rawValue: text) { return type }
        if let type = SiteType.allCases.first(where: { $0.vietnameseName.lowercased() == text.lowercased() }) {
            return type
        }
        let names = SiteType.allCases.map(\.rawValue)
        report(.badEnumValue, "\"\(text)\" is not one of \(names.joined(separator: ", "))"
               + suggestion(for: text, among: names), column: "type")
        return nil
    }

    mutating func geoLocation() -> GeoLocation? {
        let lat = coordinate("lat", limit: 90), lon = coordinate("lon", limit: 180)
        switch (cell("lat"), cell("lon")) {
        case (nil, nil): return nil
        case (_?, nil): report(.missingKey, "lat without lon", column: "lon")
        case (nil, _?): report(.missingKey, "lon without lat", column: "lat")
        case (_?, _?): break
        }
        guard let lat, let lon else { return nil }
        return GeoLocation(latitude: lat, longitude: lon)
    }

    mutating func coordinate(_ column: String, limit: Double) -> Double? {
        guard let text = cell(column) else { return nil }
        guard let value = Double(text) else {
            report(.wrongType, "expected a number, found \"\(text)\"", column: column)
            return nil
        }
        guard abs(value) <= limit else {
            report(.outOfRange, "\(text) is out of range \(-limit)…\(limit)", column: column)
            return nil
        }
        return value
    }

    mutating func flag(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "1", "có", "x": return true
        case "false", "no", "0", "không": return false
        default:
            report(.wrongType, "expected true or false, found \"\(text)\"", column: "has_office")
            return nil
        }
    }
}
