import Foundation

/// Search that ignores Vietnamese diacritics and case: "hai chau" finds "Hải Châu", "da nang" finds "Đà Nẵng".
public enum SearchText {
    /// Lower case, marks removed (canonical decomposition, then no combining marks), đ as d, spaces collapsed.
    public static func fold(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var lastWasSpace = true
        for scalar in text.decomposedStringWithCanonicalMapping.lowercased().unicodeScalars {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark:
                continue
            default:
                break
            }
            if scalar.properties.isWhitespace {
                if !lastWasSpace { out.append(" ") }
                lastWasSpace = true
                continue
            }
            lastWasSpace = false
            out.append(scalar == "đ" ? "d" : scalar)
        }
        var result = String(out)
        if result.hasSuffix(" ") { result.removeLast() }
        return result
    }

    /// Whether every word of the query occurs in one of the fields (folded).
    public static func matches(_ query: String, _ fields: [String]) -> Bool {
        let words = fold(query).split(separator: " ")
        guard !words.isEmpty else { return true }
        let haystack = fields.map(fold).joined(separator: " ")
        return words.allSatisfy { haystack.contains($0) }
    }
}
