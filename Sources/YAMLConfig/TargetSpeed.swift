import Foundation

/// Link targets as people write them: `200`, `200M`, `200 Mbit/s`, `10G`, `10 Gbit/s`, `1.5 Gbps`.
public enum TargetSpeed {
    /// The target in whole Mbit/s, or nil when the text is not a positive bit rate.
    /// A bare number is Mbit/s. Units are k, M, G, T with an optional `bit/s`, `bps` or `b/s`;
    /// byte units (`MB/s`) are refused rather than guessed.
    public static func megabits(from text: String) -> Int? {
        switch parse(text) {
        case .success(let mbps): mbps
        case .failure: nil
        }
    }

    /// Why a target was refused, phrased for an error message.
    public enum Problem: Error {
        case notANumber, bytes, unknownUnit(String), notPositive, fractionOfMegabit, tooLarge
    }

    public static func parse(_ text: String) -> Result<Int, Problem> {
        let trimmed = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
        let numberEnd = trimmed.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? trimmed.endIndex
        guard let value = Double(trimmed[..<numberEnd]) else { return .failure(.notANumber) }
        let unit = trimmed[numberEnd...].trimmingCharacters(in: .whitespaces)
        guard let multiplier = multiplier(unit) else {
            return .failure(unit.contains("B") ? .bytes : .unknownUnit(unit))
        }
        let mbps = value * multiplier
        guard mbps > 0 else { return .failure(.notPositive) }
        guard mbps <= 100_000_000 else { return .failure(.tooLarge) }
        guard mbps == mbps.rounded() else { return .failure(.fractionOfMegabit) }
        return .success(Int(mbps))
    }

    /// Mbit/s per unit; prefix letters are case-insensitive ("mbps" is common), but "B" means bytes.
    private static func multiplier(_ unit: String) -> Double? {
        guard !unit.contains("B") else { return nil }
        let lower = unit.lowercased()
        guard let prefix = lower.first else { return 1 }
        let rest = lower.dropFirst()
        guard ["", "bit/s", "bps", "b/s", "bit"].contains(rest) else { return nil }
        switch prefix {
        case "k": return 0.001
        case "m": return 1
        case "g": return 1000
        case "t": return 1_000_000
        default: return nil
        }
    }
}

extension TargetSpeed.Problem {
    public var message: String {
        switch self {
        case .notANumber: "expected a bit rate such as 200, \"200 Mbit/s\" or \"10G\""
        case .bytes: "use bits (\"Mbit/s\", \"Gbit/s\"), not bytes"
        case .unknownUnit(let unit): "unknown unit \"\(unit)\" (use k, M, G or T, optionally with bit/s)"
        case .notPositive: "must be more than 0"
        case .fractionOfMegabit: "must be a whole number of Mbit/s"
        case .tooLarge: "is beyond any link (over 100 Tbit/s)"
        }
    }
}
