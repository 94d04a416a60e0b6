import CZlib
import Foundation

/// The on-disk form of one spooled report (pure: bytes in, bytes out).
///
/// ```
/// offset size  field
///      0    4  magic "SSPL"
///      4    2  format version (big endian), 1
///      6    2  reserved, 0
///      8    4  payload length in bytes (big endian)
///     12    4  CRC-32 of the payload (big endian)
///     16    4  CRC-32 of bytes 0..<16 (big endian)
///     20    n  payload: JSON (a `SpooledReport`)
/// ```
/// A record is valid only if every check holds and the file ends exactly after the payload, so a torn write
/// (any truncation), trailing garbage or flipped bits are all detected.
public enum SpoolRecord {
    public static let magic: [UInt8] = Array("SSPL".utf8)
    public static let version: UInt16 = 1
    public static let headerSize = 20

    public static func encode(payload: Data) -> Data {
        var header = [UInt8]()
        header.reserveCapacity(headerSize)
        header += magic
        header += bigEndian(version)
        header += [0, 0]
        header += bigEndian(UInt32(payload.count))
        header += bigEndian(crc32(payload))
        header += bigEndian(crc32(Data(header)))
        return Data(header) + payload
    }

    /// The payload of a valid record, or why the bytes are not one.
    public static func decode(_ data: Data) -> Result<Data, SpoolRecordProblem> {
        let bytes = [UInt8](data)
        guard bytes.count >= headerSize else { return .failure(.truncatedHeader(bytes.count)) }
        guard Array(bytes[0..<4]) == magic else { return .failure(.badMagic) }
        guard readUInt32(bytes, 16) == crc32(Data(bytes[0..<16])) else { return .failure(.badHeaderChecksum) }
        let version = UInt16(bytes[4]) << 8 | UInt16(bytes[5])
        guard version == Self.version else { return .failure(.unsupportedVersion(version)) }
        let length = Int(readUInt32(bytes, 8))
        guard bytes.count == headerSize + length else {
            return .failure(.lengthMismatch(expected: headerSize + length, actual: bytes.count))
        }
        let payload = Data(bytes[headerSize...])
        guard crc32(payload) == readUInt32(bytes, 12) else { return .failure(.badPayloadChecksum) }
        return .success(payload)
    }

    static func crc32(_ data: Data) -> UInt32 {
        data.withUnsafeBytes { raw in
            let start = CZlib.crc32_z(0, nil, 0)
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { return UInt32(start) }
            return UInt32(CZlib.crc32_z(start, base, raw.count))
        }
    }

    private static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    private static func readUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }
}

/// Why bytes are not a valid spool record.
public enum SpoolRecordProblem: Error, Sendable, Hashable, CustomStringConvertible {
    case truncatedHeader(Int)
    case badMagic
    case badHeaderChecksum
    case unsupportedVersion(UInt16)
    case lengthMismatch(expected: Int, actual: Int)
    case badPayloadChecksum
    case undecodablePayload(String)

    public var description: String {
        switch self {
        case .truncatedHeader(let count): "truncated header (\(count) of \(SpoolRecord.headerSize) bytes)"
        case .badMagic: "not a spool record (bad magic)"
        case .badHeaderChecksum: "header checksum mismatch"
        case .unsupportedVersion(let version): "record version \(version) is not supported"
        case .lengthMismatch(let expected, let actual): "length mismatch: \(actual) bytes, header says \(expected)"
        case .badPayloadChecksum: "payload checksum mismatch"
        case .undecodablePayload(let why): "payload is not a report: \(why)"
        }
    }
}
