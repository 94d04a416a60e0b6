import Foundation
import Mail
import TestSupport

/// Polls `condition` every 50 ms (suspending, not blocking a thread) until it holds or `timeout` seconds pass.
func eventually(_ timeout: Double, _ what: String, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw StillFalse(what: what, seconds: timeout)
}

struct StillFalse: Error, CustomStringConvertible {
    let what: String
    let seconds: Double
    var description: String { "timed out after \(seconds) s waiting for \(what)" }
}

/// What scripts/mail-inspect.py (Python's email package) found in a received message.
struct Inspection: Decodable {
    struct Part: Decodable {
        var contentType: String
        var charset: String?
        var transferEncoding: String?
        var disposition: String?
        var filename: String?
        var contentId: String?
        var bytes: Int
        var text: String?
        var rows: [[String]]?
        var width: Int?
        var height: Int?
    }

    var subject: String
    var from: [[String]]
    var to: [[String]]
    var cc: [[String]]
    var messageId: String
    var mimeVersion: String
    var structure: String
    var allCrlf: Bool
    var maxLineLength: Int
    var maxHeaderLineLength: Int
    var defects: [String]
    var parts: [Part]

    init(_ eml: URL) async throws {
        let json = try await run(["/usr/bin/python3", packageRoot.appendingPathComponent("scripts/mail-inspect.py").path, eml.path])
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        self = try decoder.decode(Inspection.self, from: Data(json.utf8))
    }

    func part(_ contentType: String, disposition: String? = nil) -> Part? {
        parts.first { $0.contentType == contentType && (disposition == nil || $0.disposition == disposition) }
    }
}

/// The envelope smtp-sink.py saved beside a message.
struct Envelope: Decodable {
    var mailFrom: String
    var rcptTos: [String]
    var tls: Bool
    var authenticated: Bool

    init(_ eml: URL) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        self = try decoder.decode(Envelope.self, from: Data(contentsOf: eml.deletingPathExtension().appendingPathExtension("json")))
    }
}

/// A valid PNG of `width` × `height` grey pixels (IHDR, one stored-deflate IDAT, IEND), made here so that the
/// test knows the dimensions the receiver must read back.
func makePNG(width: Int, height: Int) -> Data {
    func be32(_ value: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8((value >> $0) & 0xff) } }
    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xedb8_8320 : crc >> 1 }
        }
        return ~crc
    }
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(data.count) + body + be32(Int(crc32(body)))
    }
    let raw = (0..<height).flatMap { _ in [UInt8(0)] + [UInt8](repeating: 0x80, count: width) }  // filter 0, grey
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in raw { a = (a + UInt32(byte)) % 65_521; b = (b + a) % 65_521 }
    // Stored deflate blocks of at most 65,535 bytes, the last one marked final.
    var deflate: [UInt8] = []
    for start in stride(from: 0, to: raw.count, by: 65_535) {
        let block = raw[start..<min(start + 65_535, raw.count)]
        let length = block.count
        deflate += [start + 65_535 >= raw.count ? 1 : 0, UInt8(length & 0xff), UInt8(length >> 8),
                    UInt8(~length & 0xff), UInt8((~length >> 8) & 0xff)] + block
    }
    let zlib: [UInt8] = [0x78, 0x01] + deflate + be32(Int(b << 16 | a))
    let header = be32(width) + be32(height) + [8, 0, 0, 0, 0]  // 8-bit greyscale
    return Data([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] + chunk("IHDR", header) + chunk("IDAT", zlib) + chunk("IEND", []))
}

/// A message with the weekly report's shape, addressed to `to`.
func reportMessage(id: String = UUID().uuidString, subject: String = "Báo cáo tuần 48: 78/93 điểm sẵn sàng",
                   to: [MailAddress] = [MailAddress("lanhdao@danang.gov.vn", name: "Lãnh đạo UBND")]) -> MailMessage {
    let from = MailAddress("noc@danang.gov.vn", name: "Sở Khoa học và Công nghệ Đà Nẵng")
    return MailMessage(from: from, to: to, subject: subject, messageID: MailMessage.makeMessageID(from: from, unique: id),
                       text: "Tuần này 78/93 điểm sẵn sàng.\n")
}
