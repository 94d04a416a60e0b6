import YAMLConfig
import Foundation

/// Which district (before 1 July 2025) each new commune-level unit's area belonged to.
///
/// Built from two tables: the old units and the new unit each went into (`old_code,new_code`, more
/// columns allowed), and the old districts as ranges of old commune codes (`district,first_code,last_code`;
/// GSO numbers communes in contiguous runs per district, so a district may need a few ranges).
/// Rule for a new unit: the district of the old unit that kept its code (old_code == new_code); else the
/// district that contributed most old units (ties: the one holding the lowest old code); a unit with no
/// old units (Đặc khu Hoàng Sa) is looked up by its own code.
public struct FormerDistrictMap: Sendable {
    struct Range: Sendable {
        var district: String
        var codes: ClosedRange<Int>
    }

    private var ranges: [Range]
    private var oldCodesByNewCode: [String: [String]]

    public init(formerUnits: InventorySource, districtRanges: InventorySource) throws(InventoryErrors) {
        var errors: [InventoryError] = []
        let units = Self.table(formerUnits, columns: ["old_code", "new_code"], errors: &errors)
        let rangeRows = Self.table(districtRanges, columns: ["district", "first_code", "last_code"], errors: &errors)
        oldCodesByNewCode = Dictionary(grouping: units, by: { $0[1].text }).mapValues { $0.map { $0[0].text } }
        ranges = []
        for row in rangeRows {
            guard let first = Int(row[1].text), let last = Int(row[2].text), first <= last else {
                errors.append(InventoryError(.badValue, "expected first_code ≤ last_code, both numbers",
                                             at: SourceLocation(file: districtRanges.file, line: row[1].line,
                                                                column: row[1].column), field: "first_code"))
                continue
            }
            ranges.append(Range(district: row[0].text.precomposedStringWithCanonicalMapping, codes: first...last))
        }
        ranges.sort { $0.codes.lowerBound < $1.codes.lowerBound }
        for (previous, next) in zip(ranges, ranges.dropFirst()) where previous.codes.overlaps(next.codes) {
            errors.append(InventoryError(.badValue, "ranges of \(previous.district) and \(next.district) overlap",
                                         at: .start(of: districtRanges.file), field: "first_code"))
        }
        guard errors.isEmpty else { throw InventoryErrors(errors) }
    }

    public func district(forOldCode code: String) -> String? {
        guard let number = Int(code) else { return nil }
        return ranges.first { $0.codes.contains(number) }?.district
    }

    public func district(forNewCode code: String) -> String? {
        let olds = oldCodesByNewCode[code] ?? []
        guard !olds.isEmpty else { return district(forOldCode: code) }
        if olds.contains(code) { return district(forOldCode: code) }
        let districts = olds.sorted().compactMap { district(forOldCode: $0) }
        var counts: [String: Int] = [:]
        for district in districts { counts[district, default: 0] += 1 }
        let most = counts.values.max() ?? 0
        // `districts` is in old-code order, so a tie goes to the district holding the lowest old code.
        return districts.first { counts[$0] == most }
    }

    /// The cells of the named columns, one array per data row.
    private static func table(_ source: InventorySource, columns: [String], errors: inout [InventoryError]) -> [[CSVCell]] {
        let records: [CSVRecord]
        switch parseCSV(source.text, file: source.file) {
        case .success(let parsed): records = parsed
        case .failure(let error):
            errors.append(error)
            return []
        }
        let header = records.first?.cells.map { $0.text.trimmingCharacters(in: .whitespaces).lowercased() } ?? []
        let indexes = columns.map { header.firstIndex(of: $0) }
        for (name, index) in zip(columns, indexes) where index == nil {
            errors.append(InventoryError(.missingKey, "missing required column \"\(name)\"",
                                         at: .start(of: source.file), field: name))
        }
        let found = indexes.compactMap { $0 }
        guard found.count == columns.count else { return [] }
        return records.dropFirst().compactMap { record in
            guard let last = found.max(), last < record.cells.count else {
                errors.append(InventoryError(.missingKey, "expected \(header.count) fields",
                                             at: SourceLocation(file: source.file, line: record.line, column: 1),
                                             field: ""))
                return nil
            }
            return found.map { record.cells[$0] }
        }
    }
}
