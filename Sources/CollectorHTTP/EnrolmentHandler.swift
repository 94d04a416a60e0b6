import CollectorCore
import Foundation
import Hummingbird
import ReadinessModel
import SansangAPI

/// `POST /api/v1/enroll`: a one-time code for the site token. No bearer token; rate-limited per peer address.
struct EnrolmentHandler: Sendable {
    let enrolment: Enrolment

    @Sendable func enroll(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 4096)
        let parsed: EnrolmentRequest
        do {
            parsed = try ReportCoding.decoder().decode(EnrolmentRequest.self, from: Data(body.readableBytesView))
        } catch {
            throw CollectorError(.malformedJSON, "the body must be {\"site\": \"20242\", \"code\": \"7KQ4-M2XD-9PHA\"}")
        }
        let client = context.remoteAddress
        context.caller.name = "enrolment \(parsed.site) from \(client)"
        return try json(try await enrolment.redeem(parsed, client: client), status: .ok)
    }
}
