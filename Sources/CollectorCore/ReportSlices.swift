import Foundation

/// Finds the bytes of each element of the top-level `"reports"` array of a batch that has already been decoded (so is
/// valid JSON): the collector stores each report as the agent sent it instead of encoding it again. Anything unusual
/// (no such key, the key twice, a key written with escapes) gives nil and the caller encodes the decoded reports.
enum ReportSlices {
    static func elements(of body: Data) -> [Data]? {
        body.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [Data]? in
            var scanner = Scanner(bytes: raw.bindMemory(to: UInt8.self))
            guard let ranges = scanner.reportRanges() else { return nil }
            return ranges.map { Data(UnsafeRawBufferPointer(rebasing: raw[$0])) }
        }
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var at = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")

        mutating func reportRanges() -> [Range<Int>]? {
            skipSpace()
            guard next() == UInt8(ascii: "{") else { return nil }
            var found: [Range<Int>]?
            skipSpace()
            if peek() == UInt8(ascii: "}") { return nil }
            while true {
                skipSpace()
                guard let key = plainString() else { return nil }
                skipSpace()
                guard next() == UInt8(ascii: ":") else { return nil }
                skipSpace()
                if key == "reports" {
                    guard found == nil, let elements = arrayElements() else { return nil }
                    found = elements
                } else {
                    guard skipValue() else { return nil }
                }
                skipSpace()
                switch next() {
                case UInt8(ascii: ","): continue
                case UInt8(ascii: "}"): return found
                default: return nil
                }
            }
        }

        /// The ranges of the elements of the array that starts here.
        mutating func arrayElements() -> [Range<Int>]? {
            guard next() == UInt8(ascii: "[") else { return nil }
            var ranges: [Range<Int>] = []
            skipSpace()
            if peek() == UInt8(ascii: "]") { at += 1; return ranges }
            while true {
                skipSpace()
                let start = at
                guard skipValue() else { return nil }
                ranges.append(start..<at)
                skipSpace()
                switch next() {
                case UInt8(ascii: ","): continue
                case UInt8(ascii: "]"): return ranges
                default: return nil
                }
            }
        }

        /// A key without escapes, as text.
        mutating func plainString() -> String? {
            guard next() == Self.quote else { return nil }
            let start = at
            while at < bytes.count, bytes[at] != Self.quote {
                if bytes[at] == Self.backslash { return nil }
                at += 1
            }
            guard at < bytes.count else { return nil }
            defer { at += 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
        }

        /// Skips one value (object, array, string or scalar); false at the end of the bytes.
        mutating func skipValue() -> Bool {
            var depth = 0
            repeat {
                guard at < bytes.count else { return false }
                let byte = bytes[at]
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    at += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    guard depth > 0 else { return true }
                    depth -= 1
                    at += 1
                case Self.quote:
                    at += 1
                    while at < bytes.count, bytes[at] != Self.quote { at += bytes[at] == Self.backslash ? 2 : 1 }
                    guard at < bytes.count else { return false }
                    at += 1
                case UInt8(ascii: ","):
                    guard depth > 0 else { return true }
                    at += 1
                default:
                    // A scalar (number, true, false, null), whitespace or a colon inside a container.
                    if depth == 0 {
                        while at < bytes.count, !Self.ends(bytes[at]) { at += 1 }
                        return true
                    }
                    at += 1
                }
            } while depth > 0
            return true
        }

        static func ends(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: " "), UInt8(ascii: "\n"),
                 UInt8(ascii: "\r"), UInt8(ascii: "\t"): true
            default: false
            }
        }

        mutating func skipSpace() {
            while at < bytes.count, bytes[at] == UInt8(ascii: " ") || bytes[at] == UInt8(ascii: "\n") || bytes[at] == UInt8(ascii: "\r")
                || bytes[at] == UInt8(ascii: "\t") {
                at += 1
            }
        }

        func peek() -> UInt8? { at < bytes.count ? bytes[at] : nil }

        mutating func next() -> UInt8? {
            guard at < bytes.count else { return nil }
            defer { at += 1 }
            return bytes[at]
        }
    }
}
