import CollectorCore
import Foundation
import ReadinessModel
import SansangAPI
import TestSupport
import Testing

/// Issue 14 ("how to prove it"): bounded, seeded fuzzing of the report decoder in the test suite, beside the replay
/// of the committed corpus (`ReportDecoderCorpusTests`). 1,500 rounds, each one to three mutations of an `ok-*`
/// body of Tests/Corpus/report-decoder — bytes flipped, cut, copied, JSON tokens and invalid UTF-8 inserted, a value
/// replaced by an extreme one or another type, a key removed, an array grown past its limit — through
/// `BatchDecoding.decode`: a batch within `ReportLimits`, or a refusal with one of the three documented codes and a
/// message in words, never a crash. A failing round names its number; the seed replays it.
@Suite struct ReportDecoderMutationTests {
    static let seeds: [Data] = ReportDecoderCorpusTests.files.filter { $0.hasPrefix("ok-") }.compactMap {
        try? Data(contentsOf: ReportDecoderCorpusTests.directory.appendingPathComponent($0))
    }

    @Test func mutatedBodiesDecodeOrAreRefusedWithADocumentedCode() throws {
        #expect(Self.seeds.count >= 4, "ok-* bodies of the corpus")
        try #require(!Self.seeds.isEmpty)
        var random = SplitMix64(seed: 14)
        var outcomes: [String: Int] = [:]
        for round in 0..<1_500 {
            var body = Self.seeds[Int.random(in: 0..<Self.seeds.count, using: &random)]
            for _ in 0..<Int.random(in: 1...3, using: &random) { body = Self.mutate(body, using: &random) }
            do {
                let batch = try BatchDecoding.decode(body)
                #expect(!batch.reports.isEmpty && batch.reports.count <= BatchDecoding.maxReportsPerBatch, "round \(round)")
                #expect(batch.reports.allSatisfy { $0.limitProblems().isEmpty }, "round \(round)")
                outcomes["decoded", default: 0] += 1
            } catch {
                #expect([.malformedJSON, .invalidReport, .unsupportedFormat].contains(error.code), "round \(round): \(error)")
                #expect(!error.message.isEmpty && !error.message.contains("DecodingError") && !error.message.contains("CodingKeys"),
                        "round \(round): \(error.message)")
                outcomes[error.code.rawValue, default: 0] += 1
            }
        }
        // The mutations reach every documented refusal, and some bodies still decode (an unknown key, a value in range).
        #expect(Set(outcomes.keys) == ["decoded", "malformed_json", "invalid_report", "unsupported_format_version"], "\(outcomes)")
    }

    static let tokens: [[UInt8]] = ["{", "}", "[", "]", "\"", ",", ":", "null", "true", "-1", "-0", "1e309", "0.5",
                                    "9223372036854775808", "18446744073709551616", "\"\\u0000\"", "\\", "\"\\ud800\"",
                                    "\"format_version\": 2,", "\"x\": {},", "{\"reports\": []}", "  "].map { Array($0.utf8) }
        + [[0xff], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98, 0x80], [0x00]]

    /// Values of every JSON type at and beyond the limits (computed: `Any` is not `Sendable`).
    static var extremes: [Any] { [-1, 0, 1e308, -1e308, 9.3e18, 1.9e19, Int.max, Int.min, 0.5, "", NSNull(), true, [Any](),
                                  [String: Any](), String(repeating: "a", count: 1100), "2099-12-31T23:59:59Z",
                                  "1970-01-01T00:00:00Z", "not a date", "lan", "snmp", "https", 86_401, 101, -36_501] }

    static func mutate(_ body: Data, using random: inout SplitMix64) -> Data {
        var bytes = [UInt8](body)
        func index(_ extra: Int = 0) -> Int { Int.random(in: 0..<(bytes.count + extra), using: &random) }
        switch Int.random(in: 0..<8, using: &random) {
        case 0 where !bytes.isEmpty:
            let at = index()
            let bit = UInt8(1) << UInt8.random(in: 0..<8, using: &random)
            bytes[at] ^= bit
        case 1 where !bytes.isEmpty:
            let start = index()
            bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...16, using: &random)))
        case 2:
            let token = tokens[Int.random(in: 0..<tokens.count, using: &random)]
            let at = index(1)
            bytes.insert(contentsOf: token, at: at)
        case 3 where !bytes.isEmpty:
            let start = index()
            let span = Array(bytes[start..<min(bytes.count, start + Int.random(in: 1...64, using: &random))])
            let at = index(1)
            bytes.insert(contentsOf: span, at: at)
        case 4:
            let length = index(1)
            bytes = Array(bytes.prefix(length))
        default:
            // Structural: a value somewhere in the tree replaced, removed, or an array grown past its limit.
            guard let tree = try? JSONSerialization.jsonObject(with: body) else { return Data(bytes) }
            let mutated = mutateTree(tree, using: &random)
            guard JSONSerialization.isValidJSONObject(mutated), let data = try? JSONSerialization.data(withJSONObject: mutated) else {
                return Data(bytes)
            }
            return data
        }
        return Data(bytes)
    }

    static func mutateTree(_ node: Any, depth: Int = 0, using random: inout SplitMix64) -> Any {
        if var object = node as? [String: Any], !object.isEmpty {
            let key = object.keys.sorted()[Int.random(in: 0..<object.count, using: &random)]
            switch Int.random(in: 0..<6, using: &random) {
            case 0: object[key] = nil
            case 1: object[key] = extremes[Int.random(in: 0..<extremes.count, using: &random)]
            default: object[key] = mutateTree(object[key] as Any, depth: depth + 1, using: &random)
            }
            return object
        }
        if var array = node as? [Any], !array.isEmpty {
            let position = Int.random(in: 0..<array.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0: array.remove(at: position)
            // Past the largest limit inside a report (256 services), and no further; the batch's own reports are not
            // multiplied (1000 is their limit, a separate test's): bodies stay small and the rounds quick.
            case 1 where array.count < 300 && depth > 1:
                array += Array(repeating: array[position], count: Int.random(in: 1...(300 - array.count), using: &random))
            default: array[position] = mutateTree(array[position], depth: depth + 1, using: &random)
            }
            return array
        }
        return extremes[Int.random(in: 0..<extremes.count, using: &random)]
    }
}
