import Foundation
import SNMP
import Testing
import TestSupport

/// A real snmptrapd on a free loopback port with the given configuration lines, logging every notification
/// it accepts (numeric OIDs, typed values) to its log; owned by a `DaemonScope`.
final class TestTrapDaemon: Sendable {
    let port: UInt16
    private let daemon: Daemon

    var peer: String { "udp:127.0.0.1:\(port)" }

    init(directory: URL, config: String, daemons: DaemonScope) async throws {
        port = try freeLoopbackPort(udp: true)
        let configURL = directory.appendingPathComponent("snmptrapd.conf")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        let state = directory.appendingPathComponent("trapd-state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        daemon = try daemons.start(
            ["snmptrapd", "-f", "-Lo", "-C", "-c", configURL.path, "-On", "-M", "/dev/null", "udp:127.0.0.1:\(port)"],
            log: directory.appendingPathComponent("snmptrapd.log"),
            environment: ["SNMP_PERSISTENT_DIR": state.path, "MIBS": ""])
        let daemon = daemon
        try await daemon.waitUntilReady(timeout: 20, "to start") { daemon.log.contains("NET-SNMP version") }
    }

    var log: String { daemon.log }

    /// Waits until the log holds every one of `texts` (snmptrapd logs a notification on one line).
    func waitForLog(_ texts: [String], timeout: Double = 10) async throws {
        let daemon = daemon
        try await waitUntil(timeout: timeout, "snmptrapd to log \(texts)") {
            let log = daemon.log
            return texts.allSatisfy { log.contains($0) }
        }
    }
}

/// Runs `body` with a fresh snmptrapd configured with `config`, stopped afterwards on every path (its log
/// attached when the test fails).
func withTrapDaemon(config: String, _ body: (TestTrapDaemon) async throws -> Void) async throws {
    try await withTemporaryDirectory { directory in
        try await withDaemons { daemons in
            try await body(try await TestTrapDaemon(directory: directory, config: config, daemons: daemons))
        }
    }
}

extension SNMPv3Security {
    /// This user as an snmpd.conf / snmptrapd.conf `createUser` line (optionally for another engine).
    func createUserLine(engineID: [UInt8]? = nil) -> String {
        let engine = engineID.map { " -e 0x" + $0.map { String(format: "%02x", $0) }.joined() } ?? ""
        var line = "createUser\(engine) \(user)"
        if level != .noAuthNoPriv { line += " \(authProtocol.configName) \"\(authPassphrase)\"" }
        if level == .authPriv { line += " \(privacyProtocol.configName) \"\(privacyPassphrase)\"" }
        return line
    }
}

/// OIDs and values the notification tests send.
enum Payload {
    static let trapOID = oid("1.3.6.1.4.1.99.1")
    static let marker = oid("1.3.6.1.4.1.99.2.0")

    /// One binding of every value type, and a unique string marker first.
    static func bindings(marker text: String) -> [VarBind] {
        [
            VarBind(oid: marker, value: .octetString(Array(text.utf8))),
            VarBind(oid: oid("1.3.6.1.4.1.99.3.0"), value: .integer(-5)),
            VarBind(oid: oid("1.3.6.1.4.1.99.4.0"), value: .counter32(7)),
            VarBind(oid: oid("1.3.6.1.4.1.99.5.0"), value: .ipAddress(SNMPValue.IPv4Address(10, 1, 2, 3))),
            VarBind(oid: oid("1.3.6.1.4.1.99.6.0"), value: .timeticks(1234)),
            VarBind(oid: oid("1.3.6.1.4.1.99.7.0"), value: .objectIdentifier(oid("1.3.6.1.9"))),
            VarBind(oid: oid("1.3.6.1.4.1.99.8.0"), value: .counter64(1_234_567_890_123)),
            VarBind(oid: oid("1.3.6.1.4.1.99.9.0"), value: .gauge32(42)),
            VarBind(oid: oid("1.3.6.1.4.1.99.10.0"), value: .null),
            VarBind(oid: oid("1.3.6.1.4.1.99.11.0"), value: .opaque([0x01, 0x02])),
        ]
    }

    /// How snmptrapd -On logs `bindings(marker:)` (Opaque is left out: its text depends on the library's
    /// opaque-type decoding).
    static func logged(marker text: String) -> [String] {
        [
            ".1.3.6.1.2.1.1.3.0 = Timeticks: (4200)",
            ".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.99.1",
            ".1.3.6.1.4.1.99.2.0 = STRING: \"\(text)\"",
            ".1.3.6.1.4.1.99.3.0 = INTEGER: -5",
            ".1.3.6.1.4.1.99.4.0 = Counter32: 7",
            ".1.3.6.1.4.1.99.5.0 = IpAddress: 10.1.2.3",
            ".1.3.6.1.4.1.99.6.0 = Timeticks: (1234)",
            ".1.3.6.1.4.1.99.7.0 = OID: .1.3.6.1.9",
            ".1.3.6.1.4.1.99.8.0 = Counter64: 1234567890123",
            ".1.3.6.1.4.1.99.9.0 = Gauge32: 42",
            ".1.3.6.1.4.1.99.10.0 = NULL",
        ]
    }

    static func notification(marker text: String) -> SNMPNotification {
        SNMPNotification(trapOID: trapOID, uptime: 4200, varBinds: bindings(marker: text))
    }

    static func oid(_ string: String) -> OID {
        do { return try OID(string) } catch { fatalError("\(error)") }
    }
}
