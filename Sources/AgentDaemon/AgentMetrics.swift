import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ReadinessModel
import ServiceLifecycle
import Spool
import Synchronization

/// The agent's own numbers for Prometheus (`metrics.listen`, off by default): each probe's last result and
/// duration, the spool, reports and SNMP notifications, the throughput budget, the build.
public final class AgentMetrics: Sendable {
    public struct Probe: Sendable, Hashable {
        public var kind: String
        public var ok: Bool
        public var seconds: Double?
        public var at: Date
    }

    /// Counted by the services as they work; the rest is read at each scrape.
    public struct Counters: Sendable {
        public var probes: [String: Probe] = [:]
        public var reportsSent = 0
        public var reportsAcknowledged = 0
        public var reportsRejected = 0
        public var throughputBytesToday: Int64 = 0
        public var throughputBudgetBytes: Int64 = 0
        public init() {}
    }

    private let counters = Mutex(Counters())

    public init() {}

    func probe(_ name: String, kind: String, ok: Bool, seconds: Double?, at: Date = Date()) {
        counters.withLock { $0.probes[name] = Probe(kind: kind, ok: ok, seconds: seconds, at: at) }
    }

    func sent(_ count: Int) { counters.withLock { $0.reportsSent += count } }
    func acknowledged(_ count: Int) { counters.withLock { $0.reportsAcknowledged += count } }
    func rejected(_ count: Int) { counters.withLock { $0.reportsRejected += count } }
    func throughput(bytesToday: Int64, budget: Int64) {
        counters.withLock {
            $0.throughputBytesToday = bytesToday
            $0.throughputBudgetBytes = budget
        }
    }

    public var snapshot: Counters { counters.withLock { $0 } }

    /// The Prometheus text exposition format (0.0.4). Pure.
    public static func render(_ counters: Counters, spool: SpoolStatus?, notifications: NotificationCounters?, now: Date,
                              version: String) -> String {
        var text = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: [(String, String)], value: Double)]) {
            guard !samples.isEmpty else { return }
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples {
                let labels = sample.labels.isEmpty ? ""
                    : "{" + sample.labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
                text += "\(name)\(labels) \(number(sample.value))\n"
            }
        }
        family("sansang_agent_build_info", "gauge", "The agent's version (always 1).", [([("version", version)], 1)])
        let probes = counters.probes.sorted { $0.key < $1.key }
        family("sansang_agent_probe_success", "gauge", "Whether each probe's last run succeeded (1) or not (0).",
               probes.map { ([("probe", $0.key), ("kind", $0.value.kind)], $0.value.ok ? 1 : 0) })
        family("sansang_agent_probe_duration_seconds", "gauge", "How long each probe's last run took.",
               probes.compactMap { probe in probe.value.seconds.map { ([("probe", probe.key), ("kind", probe.value.kind)], $0) } })
        family("sansang_agent_probe_last_run_timestamp_seconds", "gauge", "When each probe last ran (Unix time).",
               probes.map { ([("probe", $0.key), ("kind", $0.value.kind)], $0.value.at.timeIntervalSince1970) })
        if let spool {
            family("sansang_agent_spool_reports", "gauge", "Reports in the spool, waiting to be acknowledged.", [([], Double(spool.depth))])
            family("sansang_agent_spool_bytes", "gauge", "Bytes of the spool's records.", [([], Double(spool.bytes))])
            family("sansang_agent_spool_oldest_age_seconds", "gauge", "Age of the oldest report in the spool (0 when empty).",
                   [([], spool.oldestGeneratedAt.map { max(0, now.timeIntervalSince($0)) } ?? 0)])
        }
        family("sansang_agent_reports_sent_total", "counter", "Reports posted to the collector (retries included).",
               [([], Double(counters.reportsSent))])
        family("sansang_agent_reports_acknowledged_total", "counter", "Reports the collector acknowledged (stored or duplicate).",
               [([], Double(counters.reportsAcknowledged))])
        family("sansang_agent_reports_rejected_total", "counter", "Reports the collector refused for good (moved to rejected/).",
               [([], Double(counters.reportsRejected))])
        if let notifications {
            family("sansang_agent_snmp_notifications_sent_total", "counter", "SNMP notifications queued for sending.",
                   [([], Double(notifications.queued))])
            family("sansang_agent_snmp_notifications_acknowledged_total", "counter", "INFORMs acknowledged and traps sent.",
                   [([], Double(notifications.acknowledged))])
            family("sansang_agent_snmp_notifications_undelivered_total", "counter", "Notifications given up (expired or pushed out).",
                   [([], Double(notifications.undelivered))])
            family("sansang_agent_snmp_notifications_pending", "gauge", "Notifications waiting for an acknowledgement.",
                   [([], Double(notifications.pending))])
        }
        family("sansang_agent_throughput_budget_used_bytes", "gauge", "Bytes the throughput tests used of the current budget day.",
               [([], Double(counters.throughputBytesToday))])
        family("sansang_agent_throughput_budget_bytes", "gauge", "The profile's daily throughput byte budget (0 before the first test).",
               [([], Double(counters.throughputBudgetBytes))])
        return text
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

/// Serves `GET /metrics` on `metrics.listen` (plain HTTP; keep it on loopback or a management network).
struct MetricsService: Service {
    let host: String
    let port: Int
    let metrics: AgentMetrics
    let spool: Spool
    let notifier: AgentNotifier?
    let logger: Logger

    func run() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: child)
                }
            }
        logger.info("metrics on http://\(host):\(server.channel.localAddress?.port ?? port)/metrics")
        try await withGracefulShutdownHandler {
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        group.addTask { try? await answer(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    private func answer(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var path = ""
            for try await part in inbound {
                switch part {
                case .head(let head): path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
                case .body: continue
                case .end:
                    let found = path == "/metrics"
                    let body = found
                        ? AgentMetrics.render(metrics.snapshot, spool: await spool.status(), notifications: await notifier?.counters(),
                                              now: Date(), version: SansangVersion.current)
                        : "not found: only /metrics is served here\n"
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain")
                    headers.add(name: "Content-Length", value: String(body.utf8.count))
                    try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: found ? .ok : .notFound, headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body))))
                    try await outbound.write(.end(nil))
                }
            }
        }
    }
}
