import Foundation
import SansangAPI

/// What the agent does with a batch once the collector answered (pure): remove it, set it aside, or retry.
public enum BatchDisposition: Sendable, Hashable {
    /// Remove exactly these keys (stored now or before).
    case acknowledged(Set<ReportKey>)
    /// The collector will never accept this content: set it aside instead of blocking the queue.
    case rejected(code: String, message: String)
    /// Keep everything and try again after a backoff (unreachable, 5xx, 401, rate limited, …).
    case retry(String)

    /// API error codes that mean "this report will never be accepted", whatever the token or the time. Every other
    /// refusal keeps the batch in the spool: `unknown_site` (409, an inventory being changed), `unavailable`
    /// (503: overload, a storage failure), `rate_limited`, authentication.
    public static let permanentCodes: Set<String> = [
        APIErrorCode.invalidReport.rawValue, APIErrorCode.unsupportedFormat.rawValue,
        APIErrorCode.malformedJSON.rawValue, APIErrorCode.siteMismatch.rawValue, APIErrorCode.bodyTooLarge.rawValue,
    ]

    public static func classify(status: Int, body: Data, sent: [ReportKey]) -> BatchDisposition {
        let error = APIErrorBody.decode(body)
        switch status {
        case 200..<300:
            guard let ack = try? JSONDecoder().decode(IngestAcknowledgement.self, from: body) else {
                return .retry("HTTP \(status) without an acknowledgement body")
            }
            // Conflicts (the id was stored with other content) will never be stored: the collector logged them.
            let keys = Set(ack.stored + ack.duplicates + ack.conflicts).intersection(sent)
            return keys.isEmpty ? .retry("HTTP \(status): the acknowledgement names none of the \(sent.count) reports sent") : .acknowledged(keys)
        case 400, 403, 413, 415, 422:
            let code = error?.error.code ?? ""
            if permanentCodes.contains(code) {
                return .rejected(code: code, message: error?.error.message ?? "")
            }
            return .retry(describe(status, error))
        default:
            return .retry(describe(status, error))
        }
    }

    private static func describe(_ status: Int, _ error: APIErrorBody?) -> String {
        guard let error else { return "HTTP \(status)" }
        return "HTTP \(status) \(error.error.code): \(error.error.message)"
    }
}
