import CollectorAlerts
import CollectorCore
import CollectorReports
import CompressNIO
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOCore
import Logging
import Prometheus
import ReadinessModel
import Synchronization
import SansangAPI

/// The collector's HTTP API (docs/api.md, openapi.yaml) on Hummingbird 2.
public enum CollectorApp {
    /// The OpenAPI document served at /openapi.yaml (a resource of this module: one source of truth).
    public static let openAPIDocument: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return "" }
        return text
    }()

    /// The routes, with the middleware that logs, counts and turns every error into JSON.
    public static func router(collector: Collector, registry: PrometheusCollectorRegistry, maxBodyBytes: Int = 4 << 20,
                              alerts: AlertEngine? = nil, reports: WeeklyReports? = nil, enrolment: Enrolment? = nil,
                              logger: Logger = Logger(label: "sansang.http"),
                              extraRoutes: @Sendable (Router<CollectorRequestContext>) -> Void = { _ in }) -> Router<CollectorRequestContext> {
        // HEAD is answered wherever GET is (RFC 9110 §9.3.2).
        let router = Router(context: CollectorRequestContext.self, options: .autoGenerateHeadEndpoints)
        let routes = RouteTable()
        router.add(middleware: RequestMiddleware(logger: logger, factory: PrometheusMetricsFactory(registry: registry), routes: routes))
        defer { for route in router.routes { routes.add(route.path.description, route.method) } }
        let api = APIHandlers(collector: collector, maxBodyBytes: maxBodyBytes)
        // The API's routes are defined once, in SansangAPI, for the collector and its clients.
        func path(_ route: APIRoute) -> RouterPath { RouterPath(route.pattern) }
        router.post(path(.reports), use: api.ingest)
        router.post(path(.enroll), use: EnrolmentHandler(enrolment: enrolment ?? Enrolment(store: collector.store)).enroll)
        router.get(path(.plan), use: api.plan)
        router.get(path(.readiness), use: api.readiness)
        router.get(path(.sites), use: api.sites)
        router.get(path(.site), use: api.site)
        router.get(path(.siteHistory), use: api.history)
        if let alerts {
            let handlers = AlertHandlers(engine: alerts, api: api)
            router.get(path(.alerts), use: handlers.alerts)
            router.get(path(.alertNotifications), use: handlers.notifications)
            router.get(path(.silences), use: handlers.silences)
            router.post(path(.silences), use: handlers.addSilence)
            router.delete(path(.silence), use: handlers.expireSilence)
        }
        if let reports {
            router.get(path(.weeklyReport), use: ReportHandlers(reports: reports, api: api).weekly)
        }
        router.get("/openapi.yaml") { _, _ in
            text(openAPIDocument, contentType: "application/yaml")
        }
        router.get("/metrics") { _, _ in
            text(registry.emitToString(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/healthz") { _, _ in
            try json(["status": "ok"], status: .ok)
        }
        router.get("/readyz") { _, _ in
            guard await collector.isReady() else {
                throw CollectorError(.unavailable, "the database does not answer or no inventory is loaded")
            }
            return try json(["status": "ready"], status: .ok)
        }
        // The dashboard (CollectorDashboard) and anything else served beside the API.
        extraRoutes(router)
        return router
    }

    /// The server: plain HTTP, or HTTPS when the configuration names a certificate and key.
    public static func application(
        collector: Collector, configuration: CollectorConfiguration, registry: PrometheusCollectorRegistry,
        alerts: AlertEngine? = nil, reports: WeeklyReports? = nil, enrolment: Enrolment? = nil,
        certificate: ReloadableCertificate? = nil, logger: Logger,
        extraRoutes: @Sendable (Router<CollectorRequestContext>) -> Void = { _ in },
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let router = router(collector: collector, registry: registry, maxBodyBytes: configuration.maxBodyBytes, alerts: alerts,
                            reports: reports, enrolment: enrolment, logger: logger, extraRoutes: extraRoutes)
        // Slow or silent connections are closed after the idle timeout, a body not whole after body_timeout_s gets a 408;
        // beyond max_connections, refused with a 503.
        let connections = ConnectionCount(limit: configuration.maxConnections, factory: PrometheusMetricsFactory(registry: registry))
        let bodyTimeout = TimeAmount.seconds(Int64(configuration.bodyTimeoutSeconds))
        var server: HTTPServerBuilder = .http1(configuration: .init(
            additionalChannelHandlers: [ConnectionGuard(count: connections, bodyTimeout: bodyTimeout)],
            idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds))))
        if let tls = configuration.tls {
            let reloadable = try certificate ?? ReloadableCertificate(certFile: tls.certFile, keyFile: tls.keyFile)
            server = try .tls(server, tlsConfiguration: reloadable.serverConfiguration())
        }
        return Application(
            router: router, server: server,
            configuration: .init(address: .hostname(configuration.listen.host, port: configuration.listen.port),
                                 serverName: "sansang-collector"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.listen.port) },
            logger: logger)
    }
}

/// The request context: Hummingbird's core plus who the request came from, for the request log.
public struct CollectorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Filled in by the handler that authenticates; read by the logging middleware after it returns.
    public let caller = CallerBox()
    /// The client's IP address ("unknown" when the channel has none), for login limits.
    public let remoteAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

/// A shared slot for the caller's name: handlers get a copy of the context, the middleware its own.
public final class CallerBox: Sendable {
    private let value = Mutex<String?>(nil)
    public var name: String? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

func text(_ body: String, contentType: String) -> Response {
    Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body)))
}

func json(_ value: some Encodable, status: HTTPResponse.Status, headers: HTTPFields = [:]) throws -> Response {
    var fields = headers
    fields[.contentType] = "application/json"
    let data = try ReportCoding.encoder().encode(value)
    return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
