import Foundation
import SansangAPI

/// Exponential backoff with full jitter (pure): attempt n waits a uniform random time in
/// [0, min(max, initial × 2ⁿ)].
public struct Backoff: Sendable, Hashable {
    public let initial: Duration
    public let maximum: Duration
    public private(set) var attempt = 0

    public init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The ceiling of the next wait, before jitter.
    public var ceiling: Duration {
        let factor = pow(2.0, Double(min(attempt, 62)))
        let seconds = min(maximum.inSeconds, initial.inSeconds * factor)
        return .seconds(seconds)
    }

    /// The next wait: `fraction` (uniform in 0…1) of the ceiling; counts the attempt.
    public mutating func next(fraction: Double = Double.random(in: 0...1)) -> Duration {
        let wait = Duration.seconds(ceiling.inSeconds * min(max(fraction, 0), 1))
        attempt += 1
        return wait
    }

    public mutating func reset() { attempt = 0 }
}

extension Duration {
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// What to do with a batch after the collector answered (pure).
public enum IngestOutcome: Sendable, Hashable {
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

    public static func classify(status: Int, body: Data, sent: [ReportKey]) -> IngestOutcome {
        let error = try? JSONDecoder().decode(APIErrorBody.self, from: body)
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
