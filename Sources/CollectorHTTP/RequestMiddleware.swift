import CollectorCore
import Foundation
import Hummingbird
import Logging
import Metrics
import SansangAPI
import ReadinessModel
import Synchronization

/// The collector's routes: path templates ("{code}" matches one segment) and their methods.
final class RouteTable: Sendable {
    private let entries = Mutex<[(segments: [Substring], method: String)]>([])

    /// A GET route answers HEAD too (the router's `autoGenerateHeadEndpoints`).
    func add(_ path: String, _ method: HTTPRequest.Method) {
        entries.withLock { entries in
            entries.append((path.split(separator: "/"), method.rawValue))
            if method == .get { entries.append((path.split(separator: "/"), HTTPRequest.Method.head.rawValue)) }
        }
    }

    /// The methods `path` answers, in the order registered (empty: no such path).
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        return entries.withLock { entries in
            var methods: [String] = []
            for entry in entries where entry.segments.count == segments.count
                && zip(entry.segments, segments).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) && !methods.contains(entry.method) {
                methods.append(entry.method)
            }
            return methods
        }
    }
}

/// Logs every request (method, path, status, duration, caller), counts it by route and status, and
/// turns every error into an `APIErrorBody` with its stable code — unknown routes included.
struct RequestMiddleware: RouterMiddleware {
    typealias Context = CollectorRequestContext
    let logger: Logger
    let factory: any MetricsFactory
    /// Every route's path and methods, to answer 405 with `Allow` for a path that exists with other methods.
    var routes: RouteTable = RouteTable()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = errorResponse(error, request: request)
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        if request.uri.path.hasPrefix("/api/"), response.headers[.cacheControl] == nil {
            // Site data and tokens' answers: never kept by a proxy or a browser cache.
            response.headers[.cacheControl] = "no-store"
        }
        let elapsed = ContinuousClock.now - start
        let route = context.endpointPath ?? "unmatched"
        let status = response.status.code
        Counter(label: "sansang_http_requests_total",
                dimensions: [("route", route), ("method", request.method.rawValue), ("status", String(status))],
                factory: factory).increment()
        Metrics.Timer(label: "sansang_http_request_duration_seconds", dimensions: [("route", route)], factory: factory)
            .record(duration: elapsed)
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        logger.info("request", metadata: [
            "method": "\(LogText(request.method.rawValue))", "path": "\(LogText(request.uri.path))", "status": "\(status)",
            "duration_ms": "\(String(format: "%.1f", milliseconds))", "caller": "\(LogText(context.caller.name ?? "anonymous"))",
        ])
        return response
    }

    private func errorResponse(_ error: any Error, request: Request) -> Response {
        let failure: CollectorError
        var allow: String?
        switch error {
        case let error as CollectorError:
            failure = error
        case let error as any HTTPResponseError:
            switch error.status {
            case .notFound:
                let allowed = routes.methods(for: request.uri.path)
                if !allowed.isEmpty, !allowed.contains(request.method.rawValue) {
                    failure = CollectorError(.methodNotAllowed,
                                             "\(request.uri.path) answers \(allowed.joined(separator: ", ")), not \(request.method.rawValue)")
                    allow = allowed.joined(separator: ", ")
                } else {
                    failure = CollectorError(.notFound, "no such endpoint: \(request.method.rawValue) \(request.uri.path)")
                }
            case .contentTooLarge: failure = CollectorError(.bodyTooLarge, "the body is too large")
            case .methodNotAllowed: failure = CollectorError(.notFound, "no such endpoint: \(request.method.rawValue) \(request.uri.path)")
            default:
                failure = error.status.code >= 500 ? CollectorError(.internalError, "internal error")
                    : CollectorError(.badParameter, error.status.reasonPhrase)
            }
        default:
            failure = CollectorError(.internalError, "internal error")
        }
        if failure.code == .internalError {
            logger.error("request failed", metadata: ["path": "\(LogText(request.uri.path))", "error": "\(LogText("\(error)"))"])
        }
        var headers: HTTPFields = [.contentType: "application/json"]
        if failure.code == .unauthenticated || failure.code == .tokenRevoked { headers[.wwwAuthenticate] = "Bearer" }
        if let seconds = Self.retryAfterSeconds(of: failure.code) { headers[.retryAfter] = String(seconds) }
        if let allow { headers[.allow] = allow }
        let body = APIErrorBody.json(failure.code, failure.message)
        return Response(status: Self.status(of: failure.code), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Refusals that pass: when to try again.
    static func retryAfterSeconds(of code: APIErrorCode) -> Int? {
        switch code {
        case .unknownSite: 60
        case .unavailable, .rateLimited: 5
        default: nil
        }
    }

    static func status(of code: APIErrorCode) -> HTTPResponse.Status {
        switch code {
        case .malformedJSON, .invalidReport, .unsupportedFormat, .badParameter: .badRequest
        case .unauthenticated, .tokenRevoked: .unauthorized
        case .forbidden, .siteMismatch, .enrolmentCodeUsed, .enrolmentCodeExpired, .enrolmentCodeUnknown: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .bodyTooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .rateLimited: .tooManyRequests
        case .unknownSite: .conflict
        case .unavailable: .serviceUnavailable
        case .requestTimeout: .requestTimeout
        case .internalError: .internalServerError
        }
    }
}
