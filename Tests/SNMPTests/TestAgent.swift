import Foundation
import SNMP
import Testing
import TestSupport

/// A real snmpd on a free loopback port, configured for these tests, owned by a `DaemonScope` (stopped by PID
/// when the scope ends, its log attached when a test fails in it).
final class TestAgent: Sendable {
    /// The SNMPv3 users of the agent: every authPriv protocol pair the library and snmpd support, plus
    /// authNoPriv and noAuthNoPriv users.
    static let users: [SNMPv3Security] = {
        var users = [
            (SNMPv3Security.AuthProtocol.md5, SNMPv3Security.PrivacyProtocol.des),
            (.sha, .aes), (.sha224, .aes), (.sha256, .aes256), (.sha384, .aes192), (.sha512, .aes256),
        ].map { auth, privacy in
            SNMPv3Security(user: "priv-\(auth)-\(privacy)", level: .authPriv,
                           authProtocol: auth, authPassphrase: "auth-\(auth)-secret",
                           privacyProtocol: privacy, privacyPassphrase: "priv-\(privacy)-secret")
        }
        users.append(SNMPv3Security(user: "authonly", level: .authNoPriv, authProtocol: .sha256,
                                    authPassphrase: "authonly-secret"))
        users.append(SNMPv3Security(user: "noauth", level: .noAuthNoPriv))
        return users
    }()

    let port: UInt16
    let community = "sansang-ro"
    /// Unique per run, so that a test reading it proves it talked to this agent.
    let sysName = "sansang-\(UUID().uuidString.prefix(8))"
    let sysLocation = "UBND xã Phú Lương"
    /// The kernel's ifIndex of lo, which snmpd uses as its ifIndex.
    let loopbackIndex: UInt
    static let overriddenHighSpeed: UInt32 = 1000
    private let daemon: Daemon

    var peer: String { "udp:127.0.0.1:\(port)" }

    init(directory: URL, daemons: DaemonScope) async throws {
        port = try freeLoopbackPort(udp: true)
        let ifindex = try String(contentsOfFile: "/sys/class/net/lo/ifindex", encoding: .utf8)
        loopbackIndex = try #require(UInt(ifindex.trimmingCharacters(in: .whitespacesAndNewlines)))

        var config = """
            rocommunity \(community) 127.0.0.1
            sysName \(sysName)
            sysLocation \(sysLocation)
            sysContact noc@example.invalid
            override 1.3.6.1.2.1.31.1.1.1.15.\(loopbackIndex) unsigned \(Self.overriddenHighSpeed)

            """
        for user in Self.users {
            switch user.level {
            case .authPriv:
                config += "createUser \(user.user) \(user.authProtocol.configName) \(user.authPassphrase) "
                    + "\(user.privacyProtocol.configName) \(user.privacyPassphrase)\nrouser \(user.user) priv\n"
            case .authNoPriv:
                config += "createUser \(user.user) \(user.authProtocol.configName) \(user.authPassphrase)\n"
                    + "rouser \(user.user) auth\n"
            case .noAuthNoPriv:
                config += "createUser \(user.user)\nrouser \(user.user) noauth\n"
            }
        }
        let configURL = directory.appendingPathComponent("snmpd.conf")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        let state = directory.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)

        daemon = try daemons.start(
            ["snmpd", "-f", "-Lo", "-C", "-c", configURL.path, "udp:127.0.0.1:\(port)"],
            log: directory.appendingPathComponent("snmpd.log"),
            environment: ["SNMP_PERSISTENT_DIR": state.path, "MIBS": ""])
        // Ready when it answers a GET (with the CLI, so that the code under test is not its own witness).
        let (port, community) = (port, community)
        try await daemon.waitUntilReady(timeout: 15, "to answer on port \(port)") {
            try await run(["snmpget", "-v2c", "-c", community, "-t", "0.2", "-r", "0", "-On",
                     "udp:127.0.0.1:\(port)", "1.3.6.1.2.1.1.5.0"],
                    environment: ["MIBS": "", "SNMP_PERSISTENT_DIR": state.path])
            return true
        }
    }

    /// A v2c configuration for this agent.
    func v2c(community: String? = nil, timeout: Duration = .seconds(2), retries: Int = 1) -> SNMPSessionConfiguration {
        SNMPSessionConfiguration(peer: peer, timeout: timeout, retries: retries,
                                 version: .v2c(community: community ?? self.community))
    }

    /// A v3 configuration for this agent.
    func v3(_ security: SNMPv3Security, timeout: Duration = .seconds(2), retries: Int = 1) -> SNMPSessionConfiguration {
        SNMPSessionConfiguration(peer: peer, timeout: timeout, retries: retries, version: .v3(security))
    }

    /// The agent of the running suite (see `WithTestAgent`).
    @TaskLocal static var current: TestAgent?

    static var shared: TestAgent {
        get throws { try #require(current, "the suite needs the .withTestAgent trait") }
    }
}

/// Starts one snmpd for a whole suite and stops it after the suite's tests (which run in parallel against it);
/// when one of them fails, snmpd's log is attached.
struct WithTestAgent: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: () async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            try await withDaemons { daemons in
                let agent = try await TestAgent(directory: directory, daemons: daemons)
                try await TestAgent.$current.withValue(agent) { try await function() }
            }
        }
    }
}

extension Trait where Self == WithTestAgent {
    static var withTestAgent: Self { WithTestAgent() }
}

/// OIDs used by the tests (SNMPv2-MIB, IF-MIB, IP-MIB, SNMP-FRAMEWORK-MIB).
enum MIB {
    static let system = oid("1.3.6.1.2.1.1")
    static let sysDescr0 = oid("1.3.6.1.2.1.1.1.0")
    static let sysObjectID0 = oid("1.3.6.1.2.1.1.2.0")
    static let sysUpTime0 = oid("1.3.6.1.2.1.1.3.0")
    static let sysContact = oid("1.3.6.1.2.1.1.4")
    static let sysName = oid("1.3.6.1.2.1.1.5")
    static let sysName0 = oid("1.3.6.1.2.1.1.5.0")
    static let sysLocation0 = oid("1.3.6.1.2.1.1.6.0")
    static let ifNumber0 = oid("1.3.6.1.2.1.2.1.0")
    static let ifTable = oid("1.3.6.1.2.1.2.2")
    static let ifIndex = oid("1.3.6.1.2.1.2.2.1.1")
    static let ifDescr = oid("1.3.6.1.2.1.2.2.1.2")
    static let ifInOctets = oid("1.3.6.1.2.1.2.2.1.10")
    static let ifHCInOctets = oid("1.3.6.1.2.1.31.1.1.1.6")
    static let ifHighSpeed = oid("1.3.6.1.2.1.31.1.1.1.15")
    static let ipAdEntAddr = oid("1.3.6.1.2.1.4.20.1.1")
    static let snmpEngineID0 = oid("1.3.6.1.6.3.10.2.1.1.0")
    /// net-snmp's sysObjectID on Linux (NET-SNMP-TC::linux).
    static let netSnmpLinux = oid("1.3.6.1.4.1.8072.3.2.10")

    private static func oid(_ string: String) -> OID {
        do { return try OID(string) } catch { fatalError("\(error)") }
    }
}
