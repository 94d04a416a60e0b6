/// An untrusted value (a report's site, a path, an error that quotes input) as one log field: control
/// characters, quotes and backslashes escaped, so a newline in a report cannot forge a log line.
public struct LogText: CustomStringConvertible, Sendable {
    public let raw: String

    public init(_ raw: String) {
        self.raw = raw
    }

    public var description: String {
        var out = ""
        out.reserveCapacity(raw.utf8.count)
        for scalar in raw.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            default:
                // C0, DEL, C1, and the Unicode line and paragraph separators.
                if scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
