import Foundation
import ReadinessModel
import SansangAPI

/// Turns a request body into a report batch, telling apart the three ways it can be wrong:
/// not JSON at all (`malformed_json`), a report format this build does not read
/// (`unsupported_format_version`), and JSON that is not a valid batch (`invalid_report`).
public enum BatchDecoding {
    public static let maxReportsPerBatch = 1000

    public static func decode(_ body: Data) throws(CollectorError) -> ReportBatch {
        do {
            _ = try JSONSerialization.jsonObject(with: body)
        } catch {
            throw CollectorError(.malformedJSON, "the body is not JSON: \(error.localizedDescription)")
        }
        struct Versions: Decodable {
            struct Version: Decodable {
                let formatVersion: Int?
                enum CodingKeys: String, CodingKey { case formatVersion = "format_version" }
            }
            let reports: [Version]
        }
        let decoder = ReportCoding.decoder()
        let versions: Versions
        do {
            versions = try decoder.decode(Versions.self, from: body)
        } catch {
            throw CollectorError(.invalidReport, "expected {\"reports\": [...]}: \(describe(error))")
        }
        for (index, report) in versions.reports.enumerated() where report.formatVersion != Report.currentFormatVersion {
            let version = report.formatVersion.map(String.init) ?? "missing"
            throw CollectorError(.unsupportedFormat,
                                 "reports[\(index)].format_version is \(version); this collector reads \(Report.currentFormatVersion)")
        }
        let batch: ReportBatch
        do {
            batch = try decoder.decode(ReportBatch.self, from: body)
        } catch {
            throw CollectorError(.invalidReport, describe(error))
        }
        guard !batch.reports.isEmpty else { throw CollectorError(.invalidReport, "the batch has no reports") }
        guard batch.reports.count <= maxReportsPerBatch else {
            throw CollectorError(.invalidReport, "a batch holds at most \(maxReportsPerBatch) reports, not \(batch.reports.count)")
        }
        for (index, report) in batch.reports.enumerated() {
            if let problem = report.limitProblems().first {
                throw CollectorError(.invalidReport, "reports[\(index)].\(problem)")
            }
        }
        return batch
    }

    /// A decoding error as "field.path: what is wrong".
    private static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?: return "\(path(context.codingPath + [key])): missing"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .dataCorrupted(let context)?:
            return "\(path(context.codingPath)): \(context.debugDescription)"
        default: return "\(error)"
        }
    }
}
