/// Plain-text tables for terminals. Widths count characters, so a Vietnamese letter with two
/// diacritics (NFC) takes one column.
public struct TextTable: Sendable {
    public enum Alignment: Sendable { case left, right }

    public var header: [String]
    public var rows: [[String]]
    /// Per column; columns beyond the list are left-aligned.
    public var alignments: [Alignment]
    public var indent: String

    public init(header: [String], rows: [[String]] = [], alignments: [Alignment] = [], indent: String = "") {
        self.header = header
        self.rows = rows
        self.alignments = alignments
        self.indent = indent
    }

    /// One line per row, header first, columns two spaces apart, no trailing spaces.
    public func lines() -> [String] {
        let all = [header] + rows
        let columns = all.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in all.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            let cells = row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                let alignment = column < alignments.count ? alignments[column] : .left
                return alignment == .right ? pad + cell : cell + pad
            }
            return indent + String(cells.joined(separator: "  ").reversed().drop { $0 == " " }.reversed())
        }
    }

    public func render() -> String { lines().map { $0 + "\n" }.joined() }
}
