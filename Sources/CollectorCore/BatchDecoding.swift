import Foundation
import ReadinessModel
import SansangAPI

/// A decoded batch and the JSON bytes of each of its reports as received (nil when they could not be told apart).
public struct DecodedBatch: Sendable {
    public var batch: ReportBatch
    public var json: [Data]?
}

/// Turns a request body into a report batch, telling apart the three ways it can be wrong:
/// not JSON at all (`malformed_json`), a report format this build does not read
/// (`unsupported_format_version`), and JSON that is not a valid batch (`invalid_report`).
public enum BatchDecoding {
    public static let maxReportsPerBatch = 1000

    public static func decode(_ body: Data) throws(CollectorError) -> ReportBatch {
        try decodeKeepingJSON(body).batch
    }

    /// As `decode`, and the bytes of each report as the request held them (`json`, nil when they cannot be told
    /// apart): what the store keeps, so that no report is encoded again on the way in.
    public static func decodeKeepingJSON(_ body: Data) throws(CollectorError) -> DecodedBatch {
        // The common case costs one parse: a valid batch decodes at once. Only a body that fails is looked at again
        // to say which of the three ways it is wrong.
        let batch: ReportBatch
        if let decoded = try? ReportCoding.decoder().decode(ReportBatch.self, from: body) {
            for (index, report) in decoded.reports.enumerated() where report.formatVersion != Report.currentFormatVersion {
                throw CollectorError(.unsupportedFormat,
                                     "reports[\(index)].format_version is \(report.formatVersion); this collector reads \(Report.currentFormatVersion)")
            }
            batch = decoded
        } else {
            batch = try diagnosed(body)
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
        let json = ReportSlices.elements(of: body).flatMap { $0.count == batch.reports.count ? $0 : nil }
        return DecodedBatch(batch: batch, json: json)
    }

    /// The batch of a body that did not decode at once: the error that says what is wrong with it.
    private static func diagnosed(_ body: Data) throws(CollectorError) -> ReportBatch {
        do {
            // Fragments are JSON too ("null" is not a batch, but it is JSON): invalid_report below, not malformed_json.
            _ = try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])
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
            // Foundation names no field for a number it cannot represent ("The given data was not valid JSON."):
            // find it in the parsed tree.
            if case .dataCorrupted(let context)? = error as? DecodingError, context.codingPath.isEmpty,
               let tree = try? JSONSerialization.jsonObject(with: body), let problem = wholeNumberProblem(tree, path: "") {
                throw CollectorError(.invalidReport, problem)
            }
            throw CollectorError(.invalidReport, describe(error))
        }
        return batch
    }

    /// Keys of the report format whose values are whole numbers, and whether they may be negative.
    private static let wholeNumberKeys: [String: Bool] = [
        "format_version": true, "interval_s": true, "speed_mbps": true, "cert_days_left": true, "count": true, "window_s": true,
        "queued": true, "acknowledged": true, "undelivered": true, "pending": true,
        "seq": false, "first_seq": false, "last_seq": false, "bytes": false, "packets": false, "dropped_by_kernel": false,
        "dropped_by_interface": false, "dropped_by_meter": false,
    ]

    /// The first whole-number field of `tree` holding a fraction, or a value outside 64 bits, as "path: what".
    private static func wholeNumberProblem(_ tree: Any, path: String) -> String? {
        if let array = tree as? [Any] {
            for (index, element) in array.enumerated() {
                if let problem = wholeNumberProblem(element, path: "\(path)[\(index)]") { return problem }
            }
        } else if let object = tree as? [String: Any] {
            for key in object.keys.sorted() {
                let field = path.isEmpty ? key : "\(path).\(key)"
                if let signed = wholeNumberKeys[key], let number = object[key] as? NSNumber, !(object[key] is Bool) {
                    let value = number.doubleValue
                    let whole = value == value.rounded() && value.isFinite
                    let fits = signed ? (value >= -9.223372036854775808e18 && value < 9.223372036854775808e18)
                        : (value >= 0 && value < 1.8446744073709551616e19)
                    if !whole || !fits {
                        return "\(field): must be a whole number\(signed ? "" : " ≥ 0") within 64 bits, not \(number)"
                    }
                }
                if let problem = wholeNumberProblem(object[key] as Any, path: field) { return problem }
            }
        }
        return nil
    }

    /// A decoding error as "field.path: what is wrong" (also for the other bodies the API reads).
    public static func describe(_ error: any Error) -> String {
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
