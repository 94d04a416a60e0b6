import Foundation
import Testing
import TestSupport

/// The agent's INFORM queue is on disk: INFORMs queued for a NOC manager that is down survive a SIGKILL of the agent,
/// and once the manager is up the restarted agent delivers every one of them, once.
@Suite(.serialized) struct NotificationQueueRestartTests {
    /// One queued INFORM as its file says (docs/snmp-notifications.md#the-queues-on-disk).
    struct Queued: Hashable, CustomStringConvertible {
        let trapOID: String
        let uptime: UInt32
        let bootId: String
        var description: String { "\(trapOID) uptime \(uptime) boot \(bootId)" }

        /// Whether one line of snmptrapd's log (-On: numeric OIDs, one notification a line) is this notification.
        func matches(_ line: Substring) -> Bool {
            line.contains(".1.3.6.1.2.1.1.3.0 = Timeticks: (\(uptime))") && line.contains("OID: .\(trapOID)")
                && line.contains("STRING: \"\(bootId)\"")
        }
    }

    static let bootIdOID = "1.3.6.1.4.1.8072.9999.9999.7474.1.8.0"

    static func queuedFiles(_ directory: URL) throws -> [Queued] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil).flatMap { target in
            try FileManager.default.contentsOfDirectory(at: target, includingPropertiesForKeys: nil)
        }.filter { $0.pathExtension == "json" }.map { file in
            // Plain errors, not #require: a caller polling while files come and go takes an error as "not yet".
            guard let object = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any],
                  let bindings = object["var_binds"] as? [[String: String]],
                  let hex = bindings.first(where: { $0["oid"] == bootIdOID })?["value"],
                  let trapOID = object["trap_oid"] as? String, let uptime = (object["uptime"] as? NSNumber)?.uint32Value
            else { throw CommandFailure(argv: ["read", file.path], status: -1, output: "not a queued notification") }
            let bytes = stride(from: 0, to: hex.count, by: 2).compactMap { offset -> UInt8? in
                let start = hex.index(hex.startIndex, offsetBy: offset)
                return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)
            }
            return Queued(trapOID: trapOID, uptime: uptime, bootId: String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test func informsQueuedForADownManagerSurviveSIGKILLAndArriveOnce() async throws {
        try await withTemporaryDirectory { directory in
            let managerPort = try freeLoopbackPort(udp: true)
            try await withPipeline { pipeline in
                try await pipeline.startCollector()
                let agent = try await pipeline.addAgent(site: "20242", reportInterval: 0.5,
                                                        extraConfig: SNMPPipelineTests.agentNotifications(ports: [managerPort], heartbeat: 0.3))
                let queue = pipeline.directory.appendingPathComponent("agent-20242/state/notifications")
                try agent.start()
                // The manager is down: the verdict change and the heartbeats wait, each in a file.
                try await waitUntil(timeout: 30, "INFORMs queued on disk") { try Self.queuedFiles(queue).count >= 4 }
                await agent.kill9()
                // sysUpTime counts whole seconds: two heartbeats of one second are the same notification, so each
                // content is expected as many times as it was queued.
                let queued = Dictionary(try Self.queuedFiles(queue).map { ($0, 1) }, uniquingKeysWith: +)
                #expect(queued.values.reduce(0, +) >= 4)

                // The manager comes up on its address, then the agent starts again.
                let state = directory.appendingPathComponent("trapd-state")
                try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
                let config = directory.appendingPathComponent("snmptrapd.conf")
                try """
                    createUser \(SNMPPipelineTests.user) SHA-256 "\(SNMPPipelineTests.auth)" AES "\(SNMPPipelineTests.privacy)"
                    authUser log \(SNMPPipelineTests.user) priv
                    """.write(to: config, atomically: true, encoding: .utf8)
                try await withDaemon(
                    ["snmptrapd", "-f", "-Lo", "-C", "-c", config.path, "-On", "-M", "/dev/null", "udp:127.0.0.1:\(managerPort)"],
                    log: directory.appendingPathComponent("snmptrapd.log"),
                    environment: ["SNMP_PERSISTENT_DIR": state.path, "MIBS": ""]
                ) { manager in
                    try await waitUntil(timeout: 20, "snmptrapd to start") { manager.log.contains("NET-SNMP version") }
                    try agent.start()
                    func arrivals(_ notification: Queued) -> Int {
                        manager.log.split(separator: "\n").filter(notification.matches).count
                    }
                    try await waitUntil(timeout: 60, "every INFORM queued before the kill to reach the manager") {
                        queued.allSatisfy { arrivals($0.key) >= $0.value }
                    }
                    // Delivered ones leave the queue; none comes a second time.
                    try await waitUntil(timeout: 20, "the delivered files to go") {
                        try Set(Self.queuedFiles(queue)).isDisjoint(with: queued.keys)
                    }
                    try await Task.sleep(for: .seconds(2))
                    for (notification, times) in queued {
                        #expect(arrivals(notification) == times, "\(notification) queued \(times) times, arrived \(arrivals(notification))")
                    }
                    #expect(agent.log.contains("notifications queued before the restart are sent again"))
                }
            }
        }
    }
}
