import Foundation

/// The one JSON encoding of reports: ISO 8601 dates, sorted keys (stable bytes for checksums and diffs).
public enum ReportCoding {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// Decodes a report, refusing format versions this build does not know.
    public static func decodeReport(from data: Data) throws -> Report {
        struct Envelope: Decodable {
            let formatVersion: Int?
            enum CodingKeys: String, CodingKey { case formatVersion = "format_version" }
        }
        let version = try decoder().decode(Envelope.self, from: data).formatVersion
        guard version == Report.currentFormatVersion else {
            throw UnsupportedReportFormat(version: version)
        }
        return try decoder().decode(Report.self, from: data)
    }
}

public struct UnsupportedReportFormat: Error, Sendable, CustomStringConvertible {
    public let version: Int?
    public var description: String {
        if let version { return "report format_version \(version) is not supported (this build reads \(Report.currentFormatVersion))" }
        return "report has no format_version"
    }
}
