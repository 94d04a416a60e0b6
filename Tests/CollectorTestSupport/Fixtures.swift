import CollectorCore
import CollectorStore
import Foundation
import Inventory
import Metrics
import ReadinessModel
import TestSupport

/// The example inventory of the repository (inventory/danang.yaml + inventory/profiles.yaml).
public func exampleInventory() throws -> Inventory {
    try InventoryLoader.load(paths: [packageRoot.appendingPathComponent("inventory/danang.yaml").path,
                                     packageRoot.appendingPathComponent("inventory/profiles.yaml").path])
}

/// Sites of the example inventory the tests use.
public enum ExampleSite {
    /// Phường Hải Châu (Hải Châu).
    public static let haiChau = "20242"
    /// Phường Hòa Cường (Hải Châu).
    public static let hoaCuong = "20257"
    /// Phường Thanh Khê (Thanh Khê).
    public static let thanhKhe = "20209"
    /// Đặc khu Hoàng Sa: no office.
    public static let hoangSa = "20333"
    /// Xã Trà Leng: wan target overridden to 100 Mbit/s.
    public static let traLeng = "20938"
}

/// A report that meets every target of the site's effective profile (`lanMbps` below 10000 makes the
/// LAN fall short; `downService` fails one service).
public func readyReport(_ inventory: Inventory, site code: String, boot: String = "boot-1", seq: UInt64, at: Date,
                        intervalSeconds: Int = 60, lanMbps: Int = 10000, downService: String? = nil,
                        gap: GapRecord? = nil) -> Report {
    guard let site = inventory.site(code: code), let profile = inventory.effectiveProfile(for: site) else {
        preconditionFailure("site \(code) is not an office of the example inventory")
    }
    let links = profile.links.map { link -> LinkReport in
        switch link.role.judgedBy {
        case .speedEvidence:
            return LinkReport(role: link.role, interface: "eth0", speed: [SpeedReading(source: .nic, speedMbps: lanMbps)])
        case .throughput:
            let rate = Double(link.targetMbps)
            return LinkReport(role: link.role, throughput: ThroughputMeasurement(
                server: "iperf.test", measuredAt: at, mbps: [.upload: rate, .download: rate]))
        }
    }
    let services = profile.services.map { check in
        ServiceResult(name: check.name, kind: check.kind, ok: check.name != downService,
                      reason: check.name == downService ? "connect_refused" : nil, totalMilliseconds: 50,
                      certificateDaysLeft: 200, lossPercent: 0, checkedAt: at)
    }
    return Report(site: code, agent: AgentIdentity(version: "test", hostname: "office-\(code)", bootId: boot), seq: seq,
                  generatedAt: at, intervalSeconds: intervalSeconds, links: links, services: services,
                  clock: ClockReading(server: "ntp.test", offsetMilliseconds: 3), gap: gap)
}

/// A collector on a fresh SQLite file in `directory`, with the example inventory.
public func makeCollector(in directory: URL, metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance) async throws
    -> Collector {
    let store = try SQLiteStore(path: directory.appendingPathComponent("collector.sqlite").path)
    try await store.migrate()
    return Collector(store: store, inventory: try exampleInventory(), metricsFactory: metricsFactory)
}
