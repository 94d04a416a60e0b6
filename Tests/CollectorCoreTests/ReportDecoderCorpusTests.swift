import CollectorCore
import Foundation
import ReadinessModel
import SansangAPI
import TestSupport
import Testing

/// Replays the committed corpus (Tests/Corpus/report-decoder) through the report decoder.
@Suite struct ReportDecoderCorpusTests {
    static let directory = packageRoot.appendingPathComponent("Tests/Corpus/report-decoder")
    static let files: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        .filter { $0.hasSuffix(".json") }.sorted()

    @Test func corpusIsThere() {
        #expect(Self.files.count >= 70, "\(Self.directory.path) holds \(Self.files.count) bodies")
    }

    @Test(arguments: files) func eachBodyGivesWhatItsNameSays(_ name: String) throws {
        let body = try Data(contentsOf: Self.directory.appendingPathComponent(name))
        let expected: APIErrorCode?? = switch name.split(separator: "-").first {
        case "ok": .some(nil)
        case "malformed": .malformedJSON
        case "invalid": .invalidReport
        case "unsupported": .unsupportedFormat
        default: nil  // a mutation: any outcome but a crash
        }
        do {
            let batch = try BatchDecoding.decode(body)
            #expect(batch.reports.allSatisfy { $0.limitProblems().isEmpty }, "\(name)")
            if let expected { #expect(expected == nil, "\(name) decoded; expected \(expected.map(\.rawValue) ?? "")") }
        } catch {
            #expect([.malformedJSON, .invalidReport, .unsupportedFormat].contains(error.code), "\(name): \(error)")
            #expect(!error.message.isEmpty && !error.message.contains("DecodingError") && !error.message.contains("CodingKeys"),
                    "\(name): \(error.message)")
            if let expected { #expect(expected == error.code, "\(name): \(error)") }
        }
    }
}
