import CollectorCore
import CompressNIO
import Foundation
import Hummingbird
import Presentation
import ReadinessModel
import SansangAPI

/// The /api/v1 endpoints: authenticate, parse, call the collector, encode.
struct APIHandlers: Sendable {
    let collector: Collector
    let maxBodyBytes: Int

    func authenticate(_ request: Request, _ context: CollectorRequestContext) async throws(CollectorError) -> Principal {
        var token: String?
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { token = String(parts[1]).trimmingCharacters(in: .whitespaces) }
        }
        let principal = try await collector.authenticate(bearer: token)
        context.caller.name = principal.description
        return principal
    }

    /// A body declared as something else than JSON is refused (415) before it is read; none declared is read as JSON.
    func requireJSON(_ request: Request) throws(CollectorError) {
        guard let declared = request.headers[.contentType] else { return }
        let type = declared.split(separator: ";", maxSplits: 1)[0].trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/json" else {
            throw CollectorError(.unsupportedMediaType, "the body must be application/json, not \(declared)")
        }
    }

    @Sendable func ingest(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let site = try await authenticate(request, context).requireSite()
        try requireJSON(request)
        var request = request
        var body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw CollectorError(.bodyTooLarge, "the body is larger than \(maxBodyBytes) bytes")
        }
        if let encoding = request.headers[.contentEncoding]?.lowercased(), encoding != "identity" {
            guard encoding == "gzip" else { throw CollectorError(.badParameter, "Content-Encoding \(encoding) is not supported; use gzip") }
            do {
                body = try body.decompress(with: .gzip(), maxSize: maxBodyBytes)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                throw CollectorError(.bodyTooLarge, "the body is larger than \(maxBodyBytes) bytes once decompressed")
            } catch {
                throw CollectorError(.malformedJSON, "the gzip body cannot be decompressed (\(error))")
            }
        }
        let batch = try BatchDecoding.decodeKeepingJSON(Data(body.readableBytesView))
        let ack = try await collector.ingest(batch, from: .site(site))
        return try json(ack, status: .accepted)
    }

    @Sendable func plan(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let site = try await authenticate(request, context).requireSite()
        let plan = try collector.plan(site: site)
        let etag = "\"\(plan.version)\""
        if let match = request.headers[.ifNoneMatch],
           match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag || $0 == "*" }) {
            return Response(status: .notModified, headers: [.eTag: etag])
        }
        return try json(plan, status: .ok, headers: [.eTag: etag])
    }

    @Sendable func readiness(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        try await authenticate(request, context).requireNOC()
        var dimension: RollUpDimension?
        if let value = formQuery(request)["group_by"] {
            guard let parsed = RollUpDimension(rawValue: value) else {
                let known = RollUpDimension.allCases.map(\.rawValue).joined(separator: ", ")
                throw CollectorError(.badParameter, "group_by must be one of \(known), not \(value)")
            }
            dimension = parsed
        }
        return try json(try await collector.readiness(groupBy: dimension), status: .ok)
    }

    @Sendable func sites(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        try await authenticate(request, context).requireNOC()
        let query = formQuery(request)
        let filter = try SiteFilter(verdict: query["verdict"], reason: query["reason"], province: query["province"],
                                    formerDistrict: query["former_district"])
        let limit = try integer(query["limit"], name: "limit", default: 100, in: 1...1000)
        let offset = try integer(query["offset"], name: "offset", default: 0, in: 0...Int(Int32.max))
        return try json(try await collector.sites(filter: filter, limit: limit, offset: offset), status: .ok)
    }

    @Sendable func site(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        try await authenticate(request, context).requireNOC()
        let code = try context.parameters.require("code")
        return try json(try await collector.site(code: code), status: .ok)
    }

    @Sendable func history(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        try await authenticate(request, context).requireNOC()
        let code = try context.parameters.require("code")
        let query = formQuery(request)
        let to = try date(query["to"], name: "to") ?? Date()
        let from = try date(query["from"], name: "from") ?? to.addingTimeInterval(-7 * 86400)
        return try json(try await collector.history(code: code, from: from, to: to), status: .ok)
    }

    /// Query parameters as `FormData` decodes them.
    func formQuery(_ request: Request) -> [String: String] {
        FormData.parse(request.uri.query ?? "")
    }

    func integer(_ text: String?, name: String, default value: Int, in range: ClosedRange<Int>) throws(CollectorError) -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw CollectorError(.badParameter, "\(name) must be an integer in \(range.lowerBound)…\(range.upperBound), not \(text)")
        }
        return number
    }

    /// `lang=vi|en`, Vietnamese when absent.
    func language(_ text: String?) throws(CollectorError) -> Language {
        guard let text else { return .vi }
        guard let language = Language(rawValue: text) else { throw CollectorError(.badParameter, "lang must be vi or en, not \(text)") }
        return language
    }

    /// ISO 8601, with or without fractional seconds ("2026-01-05T00:00:00Z").
    private func date(_ text: String?, name: String) throws(CollectorError) -> Date? {
        guard let text else { return nil }
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions.insert(.withFractionalSeconds)
        guard let date = plain.date(from: text) ?? fractional.date(from: text) else {
            throw CollectorError(.badParameter, "\(name) must be an ISO 8601 time like 2026-01-05T00:00:00Z, not \(text)")
        }
        return date
    }
}
