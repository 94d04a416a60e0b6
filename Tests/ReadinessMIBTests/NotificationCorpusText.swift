import ReadinessMIB
import SNMPTypes

/// The text of one entry of the SNMP notification corpus (Tests/Corpus/snmp-notification/*.txt): what net-snmp hands
/// the collector's intake once it has parsed a PDU — the trap OID and the variable bindings. Also compiled into the
/// libFuzzer target (`make fuzz`, Fuzz/ReadinessNotification.swift), so the fuzzer's seeds are these files.
///
///     # a comment
///     trap 1.3.6.1.4.1.8072.9999.9999.7474.0.1
///     1.3.6.1.4.1.8072.9999.9999.7474.1.1.0 text 20242
///     1.3.6.1.4.1.8072.9999.9999.7474.1.2.0 integer 3
///     1.3.6.1.4.1.8072.9999.9999.7474.1.4.0 octets c328      (bytes in hex: may be invalid UTF-8)
///
/// Types: integer, text (the rest of the line, UTF-8), octets, null, oid, ipaddress, counter32, gauge32, timeticks,
/// opaque (hex), counter64, noSuchObject, noSuchInstance, endOfMibView, other (ASN.1 type in hex, then hex bytes).
enum NotificationCorpusText {
    struct Entry: Sendable, Equatable {
        var trapOID: OID
        var varBinds: [VarBind]
    }

    struct FormatError: Error, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    static func parse(_ text: String) throws(FormatError) -> Entry {
        var trap: OID?
        var binds: [VarBind] = []
        // Split on the bytes of newline and space: a value may hold any character (a combining mark after a space
        // would make one Character of the two).
        for (offset, raw) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let line = offset + 1
            let trimmed = raw.drop { $0 == UInt8(ascii: " ") }
            if trimmed.isEmpty || trimmed.first == UInt8(ascii: "#") { continue }
            let words = trimmed.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            func oid(_ text: String) throws(FormatError) -> OID {
                do { return try OID(text) } catch { throw FormatError(line: line, message: error.message) }
            }
            if words[0] == "trap" {
                guard words.count == 2, trap == nil else { throw FormatError(line: line, message: "one \"trap OID\" line") }
                trap = try oid(words[1])
                continue
            }
            guard words.count >= 2 else { throw FormatError(line: line, message: "expected \"OID TYPE VALUE\"") }
            binds.append(VarBind(oid: try oid(words[0]), value: try value(words[1], words.count > 2 ? words[2] : "", line: line)))
        }
        guard let trap else { throw FormatError(line: 1, message: "no \"trap OID\" line") }
        return Entry(trapOID: trap, varBinds: binds)
    }

    static func render(_ entry: Entry, comment: String) -> String {
        var lines = comment.split(separator: "\n").map { "# \($0)" }
        lines.append("trap \(entry.trapOID)")
        for bind in entry.varBinds { lines.append("\(bind.oid) \(render(bind.value))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Whether every text of `n` fits the MIB's SnmpAdminString (255 octets): then encoding keeps all of it, and it
    /// decodes again to itself (the encoder cuts a longer text, as the MIB's SIZE says it must).
    static func fitsTheMIB(_ n: ReadinessNotification) -> Bool {
        ([n.siteCode, n.agentVersion, n.bootId, n.reasons.map(\.description).joined(separator: ","),
          n.failingServices.joined(separator: ",")] + n.links.map(\.role)).allSatisfy { $0.utf8.count <= 255 }
    }

    private static func render(_ value: SNMPValue) -> String {
        switch value {
        case .integer(let v): "integer \(v)"
        case .octetString(let bytes):
            if let text = String(validating: bytes, as: UTF8.self), !text.isEmpty,
               text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f }), text.first != " ", text.last != " " {
                "text \(text)"
            } else {
                "octets \(hex(bytes))"
            }
        case .null: "null"
        case .objectIdentifier(let oid): "oid \(oid)"
        case .ipAddress(let address): "ipaddress \(address)"
        case .counter32(let v): "counter32 \(v)"
        case .gauge32(let v): "gauge32 \(v)"
        case .timeticks(let v): "timeticks \(v)"
        case .opaque(let bytes): "opaque \(hex(bytes))"
        case .counter64(let v): "counter64 \(v)"
        case .noSuchObject: "noSuchObject"
        case .noSuchInstance: "noSuchInstance"
        case .endOfMibView: "endOfMibView"
        case .other(let type, let bytes): "other \(hex([type])) \(hex(bytes))"
        }
    }

    private static func value(_ type: String, _ text: String, line: Int) throws(FormatError) -> SNMPValue {
        func number<T: FixedWidthInteger>(_: T.Type) throws(FormatError) -> T {
            guard let value = T(text) else { throw FormatError(line: line, message: "\(type) needs a number in range, not \"\(text)\"") }
            return value
        }
        func bytes(_ text: String) throws(FormatError) -> [UInt8] {
            let digits = Array(text.utf8)
            guard digits.count.isMultiple(of: 2) else { throw FormatError(line: line, message: "odd number of hex digits") }
            var result: [UInt8] = []
            for index in stride(from: 0, to: digits.count, by: 2) {
                guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else {
                    throw FormatError(line: line, message: "\"\(text)\" is not hex")
                }
                result.append(byte)
            }
            return result
        }
        switch type {
        case "integer": return .integer(try number(Int32.self))
        case "text": return .octetString(Array(text.utf8))
        case "octets": return .octetString(try bytes(text))
        case "null": return .null
        case "oid":
            do { return .objectIdentifier(try OID(text)) } catch { throw FormatError(line: line, message: error.message) }
        case "ipaddress":
            let parts = text.split(separator: ".").compactMap { UInt8($0) }
            guard parts.count == 4 else { throw FormatError(line: line, message: "ipaddress needs a.b.c.d, not \"\(text)\"") }
            return .ipAddress(.init(parts[0], parts[1], parts[2], parts[3]))
        case "counter32": return .counter32(try number(UInt32.self))
        case "gauge32": return .gauge32(try number(UInt32.self))
        case "timeticks": return .timeticks(try number(UInt32.self))
        case "opaque": return .opaque(try bytes(text))
        case "counter64": return .counter64(try number(UInt64.self))
        case "noSuchObject": return .noSuchObject
        case "noSuchInstance": return .noSuchInstance
        case "endOfMibView": return .endOfMibView
        case "other":
            let parts = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let asn = try bytes(parts[0]).first else { throw FormatError(line: line, message: "other needs its ASN.1 type in hex") }
            return .other(asnType: asn, bytes: try bytes(parts.count > 1 ? parts[1] : ""))
        default:
            throw FormatError(line: line, message: "unknown type \"\(type)\"")
        }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}
