import Alerting
import CollectorAlerts
import CollectorCore
import CollectorReports
import CollectorHTTP
import CollectorStore
import CollectorTestSupport
import CompressNIO
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import ReadinessModel
import SansangAPI
import Synchronization
import TestSupport

/// A collector on a temp SQLite file with the example inventory, served live on loopback, plus tokens.
struct APIFixture {
    let collector: Collector
    let registry: PrometheusCollectorRegistry
    let siteTokens: [String: String]
    let nocToken: String
    let adminToken: String
    /// The alert engine with the repository's alerts/ (not run on a timer: tests call `evaluate`).
    let alerts: AlertEngine
    let directory: URL

    static func run<T>(maxBodyBytes: Int = 4 << 20, configure: @Sendable (inout CollectorConfiguration) -> Void = { _ in },
                       _ body: @Sendable (APIFixture, any TestClientProtocol) async throws -> T) async throws -> T {
        try await withTemporaryDirectory { dir in
            let registry = PrometheusCollectorRegistry()
            let collector = try await makeCollector(in: dir, metricsFactory: PrometheusMetricsFactory(registry: registry))
            var tokens: [String: String] = [:]
            for site in [ExampleSite.haiChau, ExampleSite.hoaCuong, ExampleSite.traLeng] {
                tokens[site] = try await collector.tokens.issue(site: site).token
            }
            let noc = try await collector.tokens.issue(nocUser: "alice", role: .read).token
            let admin = try await collector.tokens.issue(nocUser: "trực ban", role: .admin).token
            var quiet = Logger(label: "test")
            quiet.logLevel = .warning
            let alerts = AlertEngine(collector: collector,
                                     configuration: try AlertConfiguration.load(path: packageRoot.appendingPathComponent("alerts").path),
                                     logger: quiet, metricsFactory: PrometheusMetricsFactory(registry: registry))
            try await collector.evaluateAll()
            var configuration = CollectorConfiguration()
            configuration.listen.port = 0
            configuration.maxBodyBytes = maxBodyBytes
            configure(&configuration)
            var logger = Logger(label: "test")
            logger.logLevel = .warning
            let app = try CollectorApp.application(collector: collector, configuration: configuration, registry: registry,
                                                   alerts: alerts, reports: WeeklyReports(collector: collector, settings: .init()),
                                                   logger: logger)
            let fixture = APIFixture(collector: collector, registry: registry, siteTokens: tokens, nocToken: noc, adminToken: admin,
                                     alerts: alerts, directory: dir)
            return try await app.test(.live) { client in try await body(fixture, client) }
        }
    }
}

func bearer(_ token: String?) -> HTTPFields {
    guard let token else { return [:] }
    return [.authorization: "Bearer \(token)"]
}

func encode(_ value: some Encodable) throws -> ByteBuffer {
    ByteBuffer(bytes: try ReportCoding.encoder().encode(value))
}

func gzip(_ buffer: ByteBuffer) throws -> ByteBuffer {
    var input = buffer
    return try input.compress(with: .gzip())
}

func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
    try ReportCoding.decoder().decode(type, from: Data(response.body.readableBytesView))
}

func errorCode(_ response: TestResponse) -> String? {
    (try? decode(APIErrorBody.self, response))?.error.code
}

/// Real responses kept for validation against openapi.yaml (scripts/validate-api-responses.py).
final class ResponseLog: Sendable {
    private let items = Mutex<[[String: Any & Sendable]]>([])

    /// Keeps `response` as an answer of the documented `path` template (e.g. "/api/v1/sites/{code}").
    func keep(_ path: String, _ method: String, _ response: TestResponse) throws {
        let body = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
        let item: [String: Any & Sendable] = ["path": path, "method": method, "status": Int(response.status.code),
                                               "body": JSONValue(body)]
        items.withLock { $0.append(item) }
    }

    /// Runs the validator; throws with its output when a response does not match its schema.
    func validate(in directory: URL) async throws -> String {
        let file = directory.appendingPathComponent("responses.json")
        let array = items.withLock { $0.map { $0.mapValues { ($0 as? JSONValue)?.value ?? $0 } } }
        try JSONSerialization.data(withJSONObject: array).write(to: file)
        return try await run(["python3", packageRoot.appendingPathComponent("scripts/validate-api-responses.py").path,
                        packageRoot.appendingPathComponent("Sources/CollectorHTTP/openapi.yaml").path, file.path])
    }

    var count: Int { items.withLock { $0.count } }
}

/// A JSONSerialization value carried across concurrency domains (it is immutable once parsed).
struct JSONValue: @unchecked Sendable {
    let value: Any
    init(_ value: Any) { self.value = value }
}
