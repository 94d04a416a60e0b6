import Foundation
import LLDP
import Testing

/// Replays the committed corpus (Tests/Corpus/lldp-frame) through the LLDP decoder.
@Suite struct LLDPCorpusTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Corpus/lldp-frame")
    static let files: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        .filter { $0.hasSuffix(".hex") }.sorted()

    @Test func corpusIsThere() {
        #expect(Self.files.count >= 75, "\(Self.directory.path) holds \(Self.files.count) frames")
    }

    @Test(arguments: files) func eachFrameGivesWhatItsNameSays(_ name: String) throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let frame = try #require(Self.bytes(hex: text), "\(name) is not hex")
        let prefix = String(name.split(separator: "-").first ?? "")
        do {
            _ = try LLDPDU(frame: frame)
            #expect(prefix == "ok" || prefix == "mutation", "\(name) decoded; expected \(prefix)")
        } catch {
            #expect(prefix != "ok", "\(name): \(error)")
            if let expected = LLDPDecodingError.Code(rawValue: prefix) { #expect(error.code == expected, "\(name): \(error)") }
            #expect(error.offset >= 0 && error.offset <= frame.count, "\(name): offset \(error.offset) of \(frame.count)")
            #expect(!error.message.isEmpty, "\(name)")
        }
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
