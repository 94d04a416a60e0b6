import YAMLConfig

/// One field of a CSV file and where it starts (1-based line and column, columns in Unicode scalars).
struct CSVCell {
    var text: String
    var line: Int
    var column: Int
}

struct CSVRecord {
    var cells: [CSVCell]
    var line: Int
}

/// RFC 4180 CSV: comma-separated, fields optionally in double quotes (which may hold commas, newlines
/// and doubled quotes), LF or CRLF line ends, an optional UTF-8 byte order mark. Blank lines are skipped.
func parseCSV(_ text: String, file: String) -> Result<[CSVRecord], InventoryError> {
    var records: [CSVRecord] = []
    var cells: [CSVCell] = []
    var field = String.UnicodeScalarView()
    var line = 1, column = 1
    var fieldStart = (line: 1, column: 1)
    var recordLine = 1
    var quoteStart: (line: Int, column: Int)?
    var afterClosingQuote = false
    var scalars = Array(text.unicodeScalars)
    if scalars.first == "\u{FEFF}" { scalars.removeFirst() }

    func endField() {
        cells.append(CSVCell(text: String(field), line: fieldStart.line, column: fieldStart.column))
        field = String.UnicodeScalarView()
        afterClosingQuote = false
    }
    func endRecord() {
        endField()
        if !(cells.count == 1 && cells[0].text.isEmpty && quoteStart == nil) {
            records.append(CSVRecord(cells: cells, line: recordLine))
        }
        cells = []
    }

    var index = 0
    var inQuotes = false
    while index < scalars.count {
        let scalar = scalars[index]
        index += 1
        if inQuotes {
            if scalar == "\"" {
                if index < scalars.count, scalars[index] == "\"" {
                    field.append("\"")
                    index += 1
                    column += 1
                } else {
                    inQuotes = false
                    afterClosingQuote = true
                }
            } else {
                field.append(scalar)
            }
            if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
            continue
        }
        switch scalar {
        case ",":
            endField()
            quoteStart = nil
            column += 1
            fieldStart = (line, column)
        case "\r" where index < scalars.count && scalars[index] == "\n":
            column += 1
        case "\n":
            endRecord()
            quoteStart = nil
            line += 1
            column = 1
            fieldStart = (line, column)
            recordLine = line
        case "\"" where field.isEmpty && !afterClosingQuote:
            inQuotes = true
            quoteStart = (line, column)
            column += 1
        default:
            if afterClosingQuote || scalar == "\"" {
                let message = afterClosingQuote ? "text after a closing quote" : "a quote inside an unquoted field"
                return .failure(InventoryError(.csvSyntax, "CSV syntax error: \(message) (quote the whole field)",
                                               at: SourceLocation(file: file, line: line, column: column), field: ""))
            }
            field.append(scalar)
            column += 1
        }
    }
    if inQuotes, let quoteStart {
        return .failure(InventoryError(.csvSyntax, "CSV syntax error: quote never closed",
                                       at: SourceLocation(file: file, line: quoteStart.line, column: quoteStart.column),
                                       field: ""))
    }
    endRecord()
    return .success(records)
}
