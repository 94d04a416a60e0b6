import Foundation
import SNMPTypes
import SystemSupport

/// The waiting notifications of one target on disk: one file per notification, `<16-digit number>.json`, written
/// with `DurableFile` (aside, fsync, rename, fsync of the directory) before it is queued and removed (durably) once
/// it is acknowledged or given up. After a crash a file is there in full or not at all. These block: call them
/// from the sender's own thread (docs/snmp-notifications.md#the-queues-on-disk).
struct NotificationQueueFiles: Sendable {
    let directory: URL

    /// The directory of one target under `parent`: its name is the target's kind, address and version with every
    /// character but letters, digits, `.` and `-` replaced, e.g. `inform_udp_127.0.0.1_162_v3_sansang`.
    init(parent: URL, target: NotificationTarget) {
        let name = String(target.name.unicodeScalars.map { scalar -> Character in
            ("0"..."9").contains(scalar) || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                || scalar == "." || scalar == "-" ? Character(scalar) : "_"
        })
        directory = parent.appendingPathComponent(name)
    }

    struct Stored: Sendable {
        let number: UInt64
        let queuedAt: Date
        let notification: SNMPNotification
    }

    /// What waits, oldest first. Unreadable files are renamed `*.corrupt` and named in `refused`; leftovers of
    /// an interrupted write are removed.
    func load() throws(FileOperationError) -> (stored: [Stored], refused: [String]) {
        try DurableFile.createDirectory(directory)
        var stored: [Stored] = []
        var refused: [String] = []
        for name in try DurableFile.names(in: directory).sorted() {
            let url = directory.appendingPathComponent(name)
            guard let number = Self.number(name) else {
                // A temporary file of a write that did not finish: its notification was never queued.
                if name.contains(".json."), !name.hasSuffix(".corrupt") { try DurableFile.remove(url) }
                continue
            }
            do {
                let file = try JSONDecoder.queueFile.decode(QueueFile.self, from: DurableFile.read(url))
                stored.append(Stored(number: number, queuedAt: file.queuedAt, notification: try file.notification()))
            } catch {
                try DurableFile.rename(url, to: url.appendingPathExtension("corrupt"))
                refused.append("\(name): \(error)")
            }
        }
        return (stored, refused)
    }

    func store(_ notification: SNMPNotification, number: UInt64, queuedAt: Date) throws(FileOperationError) {
        let data: Data
        do {
            data = try JSONEncoder.queueFile.encode(QueueFile(notification, queuedAt: queuedAt))
        } catch {
            throw FileOperationError(.write, "cannot encode a notification for \(directory.path)", cause: "\(error)")
        }
        try DurableFile.write(data, to: url(number), temporaryDirectory: directory)
    }

    func remove(_ numbers: [UInt64]) throws(FileOperationError) {
        guard !numbers.isEmpty else { return }
        try DurableFile.removeDurably(numbers.map(url))
    }

    private func url(_ number: UInt64) -> URL {
        directory.appendingPathComponent(String(format: "%016llu.json", number))
    }

    private static func number(_ name: String) -> UInt64? {
        guard name.count == 21, name.hasSuffix(".json") else { return nil }
        return UInt64(name.prefix(16))
    }
}

extension JSONEncoder {
    static var queueFile: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

extension JSONDecoder {
    static var queueFile: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// One queued notification as a file: when it was queued, snmpTrapOID.0, sysUpTime.0 and the bindings, each with
/// its type and its value in text (numbers in decimal, OIDs and addresses dotted, octets in hex).
struct QueueFile: Codable {
    struct Binding: Codable {
        var oid: String
        var type: String
        var value: String
    }

    var format = 1
    var queuedAt: Date
    var trapOID: String
    var uptime: UInt32
    var varBinds: [Binding]

    enum CodingKeys: String, CodingKey {
        case format, queuedAt = "queued_at", trapOID = "trap_oid", uptime, varBinds = "var_binds"
    }

    struct Unreadable: Error, CustomStringConvertible {
        let description: String
    }

    init(_ notification: SNMPNotification, queuedAt: Date) {
        self.queuedAt = queuedAt
        trapOID = notification.trapOID.description
        uptime = notification.uptime
        varBinds = notification.varBinds.map { binding in
            let (type, value): (String, String) = switch binding.value {
            case .integer(let v): ("integer", String(v))
            case .octetString(let bytes): ("octet_string", Self.hex(bytes))
            case .null: ("null", "")
            case .objectIdentifier(let oid): ("oid", oid.description)
            case .ipAddress(let address): ("ip_address", address.description)
            case .counter32(let v): ("counter32", String(v))
            case .gauge32(let v): ("gauge32", String(v))
            case .timeticks(let v): ("timeticks", String(v))
            case .opaque(let bytes): ("opaque", Self.hex(bytes))
            case .counter64(let v): ("counter64", String(v))
            case .noSuchObject: ("no_such_object", "")
            case .noSuchInstance: ("no_such_instance", "")
            case .endOfMibView: ("end_of_mib_view", "")
            case .other(let asnType, let bytes): ("asn_\(asnType)", Self.hex(bytes))
            }
            return Binding(oid: binding.oid.description, type: type, value: value)
        }
    }

    func notification() throws -> SNMPNotification {
        guard format == 1 else { throw Unreadable(description: "format \(format), not 1") }
        let bindings = try varBinds.map { binding -> VarBind in
            func number<T: FixedWidthInteger>(_: T.Type) throws -> T {
                guard let value = T(binding.value) else { throw Unreadable(description: "\(binding.oid): \(binding.type) \(binding.value)") }
                return value
            }
            func bytes() throws -> [UInt8] {
                guard let bytes = Self.bytes(binding.value) else { throw Unreadable(description: "\(binding.oid): not hex") }
                return bytes
            }
            let value: SNMPValue
            switch binding.type {
            case "integer": value = .integer(try number(Int32.self))
            case "octet_string": value = .octetString(try bytes())
            case "null": value = .null
            case "oid": value = .objectIdentifier(try OID(binding.value))
            case "ip_address":
                let octets = binding.value.split(separator: ".").compactMap { UInt8($0) }
                guard octets.count == 4 else { throw Unreadable(description: "\(binding.oid): not an IPv4 address") }
                value = .ipAddress(SNMPValue.IPv4Address(octets: octets))
            case "counter32": value = .counter32(try number(UInt32.self))
            case "gauge32": value = .gauge32(try number(UInt32.self))
            case "timeticks": value = .timeticks(try number(UInt32.self))
            case "opaque": value = .opaque(try bytes())
            case "counter64": value = .counter64(try number(UInt64.self))
            case "no_such_object": value = .noSuchObject
            case "no_such_instance": value = .noSuchInstance
            case "end_of_mib_view": value = .endOfMibView
            case let type where type.hasPrefix("asn_"):
                guard let asnType = UInt8(type.dropFirst(4)) else { throw Unreadable(description: "\(binding.oid): type \(type)") }
                value = .other(asnType: asnType, bytes: try bytes())
            default: throw Unreadable(description: "\(binding.oid): unknown type \(binding.type)")
            }
            return VarBind(oid: try OID(binding.oid), value: value)
        }
        return SNMPNotification(trapOID: try OID(trapOID), uptime: uptime, varBinds: bindings)
    }

    private static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    private static func bytes(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
