import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SNMP
import Synchronization
import Testing
import TestSupport

/// A UDP port on loopback that takes every datagram and never answers: a manager that is down behind a firewall
/// that drops. It counts what it was sent, so a test knows a request is on its way and waiting.
final class BlackHole: Sendable {
    let port: UInt16
    private let socket: Int32
    private let count = Mutex(0)

    var peer: String { "udp:127.0.0.1:\(port)" }

    init() throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw CommandFailure(argv: ["socket"], status: errno, output: "") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else {
            close(fd)
            throw CommandFailure(argv: ["bind"], status: errno, output: "")
        }
        socket = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    /// Datagrams received so far (reads what waits, without waiting).
    func received() -> Int {
        count.withLock { count in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while recv(socket, &buffer, buffer.count, Int32(MSG_DONTWAIT)) >= 0 { count += 1 }
            return count
        }
    }

    deinit { close(socket) }
}

/// One slow peer must not delay another: every net-snmp call of the process runs on one thread, so before the
/// session work was asynchronous an INFORM to a manager that does not answer (or the engine ID discovery of one)
/// held that thread for timeout × attempts, and the collector's receiver (INFORM acknowledgements) and the
/// agent's switch probe waited behind it.
@Suite(.withTestAgent) struct SlowPeerTests {
    /// The black hole's requests wait 2 × 5 s; everything measured below finishes well inside that.
    static let silentTimeout = Duration.seconds(5)
    static let silentRetries = 1
    /// What an answer from a peer on loopback may take, on a busy machine, while the black hole waits.
    static let promptly = Duration.seconds(1)

    static func security(_ name: String, engineID: [UInt8]? = nil) -> SNMPv3Security {
        SNMPv3Security(user: name, level: .authPriv, authProtocol: .sha256, authPassphrase: "\(name)-auth",
                       privacyProtocol: .aes, privacyPassphrase: "\(name)-priv", engineID: engineID)
    }

    @Test func aSilentInformTargetDelaysNeitherTheReceiverNorTheSwitchProbe() async throws {
        let agent = try TestAgent.shared
        let hole = try BlackHole()
        // One silent manager whose engine ID is configured (the INFORM itself waits) and one whose engine is to be
        // discovered (the discovery probe waits).
        let knownEngine: [UInt8] = [0x80, 0x00, 0x1f, 0x88, 0x04] + Array("black-hole".utf8)
        let silentInform = SNMPSessionConfiguration(peer: hole.peer, timeout: Self.silentTimeout, retries: Self.silentRetries,
                                                    version: .v3(Self.security("slow-manager", engineID: knownEngine)))
        let silentDiscovery = SNMPSessionConfiguration(peer: hole.peer, timeout: Self.silentTimeout, retries: Self.silentRetries,
                                                       version: .v3(Self.security("slow-manager-2")))
        let receiverUser = NotificationReceiverTests.user("slow-peer-rx")
        let managerUser = Self.security("slow-peer-trapd")

        try await withTrapDaemon(config: NotificationTests.config([managerUser])) { manager in
            try await NotificationReceiverTests.withReceiver({ $0.users = [NotificationUser(receiverUser)] }) { receiver, receiverPeer in
                let started = ContinuousClock.now
                let inform = Task { () -> SNMPError? in
                    do throws(SNMPError) {
                        let session = try await SNMPSession.open(silentInform)
                        do throws(SNMPError) {
                            try await session.inform(Payload.notification(marker: "into-the-void"))
                            await session.close()
                            return nil
                        } catch {
                            await session.close()
                            return error
                        }
                    } catch { return error }
                }
                let discovery = Task { () -> SNMPError? in
                    do throws(SNMPError) {
                        let session = try await SNMPSession.open(silentDiscovery)
                        await session.close()
                        return nil
                    } catch { return error }
                }
                // Both are on the wire and waiting for an answer that never comes.
                try await waitUntil(timeout: 3, "the black hole to receive the INFORM and the discovery probe") { hole.received() >= 2 }

                // The switch probe's requests: v3 GETs and a walk of the interface table against snmpd.
                var timings: [String: Duration] = [:]
                for round in 1...5 {
                    let start = ContinuousClock.now
                    let values = try await withSNMPSession(agent.v3(TestAgent.users[1])) { try await $0.get([MIB.sysName0]) }
                    #expect(values.first?.value.string == agent.sysName)
                    timings["v3 open + GET \(round)"] = ContinuousClock.now - start
                }
                let walkStart = ContinuousClock.now
                let rows = try await withSNMPSession(agent.v3(TestAgent.users[3])) { try await $0.walk(MIB.ifDescr) }
                #expect(!rows.isEmpty)
                timings["v3 walk of ifDescr"] = ContinuousClock.now - walkStart

                // The receiver acknowledges a real snmpinform (engine discovery, time sync, the INFORM: three
                // exchanges, each answered on the SNMP thread); it exits 0 only when acknowledged.
                var iterator = receiver.notifications.makeAsyncIterator()
                let ackStart = ContinuousClock.now
                try await NotificationReceiverTests.runCLI(
                    ["snmpinform", "-t", "1", "-r", "0"] + NotificationReceiverTests.cli(receiverUser)
                        + [receiverPeer, "4200", "1.3.6.1.4.1.99.1", "1.3.6.1.4.1.99.2.0", "s", "beside-the-void"])
                timings["snmpinform acknowledged by our receiver"] = ContinuousClock.now - ackStart
                let notification = try await NotificationReceiverTests.next(receiver, &iterator, count: 1)
                #expect(notification.varBinds.first?.value == .octetString(Array("beside-the-void".utf8)))

                // Our own INFORM to a manager that answers (snmptrapd) is acknowledged promptly too.
                let managerStart = ContinuousClock.now
                let marker = "answered-\(UUID().uuidString.prefix(8))"
                try await withSNMPSession(SNMPSessionConfiguration(peer: manager.peer, timeout: .seconds(2), retries: 0,
                                                                   version: .v3(managerUser))) { session in
                    try await session.inform(Payload.notification(marker: marker))
                }
                timings["our INFORM acknowledged by snmptrapd"] = ContinuousClock.now - managerStart

                let window = ContinuousClock.now - started
                for (what, elapsed) in timings.sorted(by: { $0.key < $1.key }) {
                    // snmpinform is a process of its own: its start-up is in its time, and it gave up after 1 s.
                    let bound = what.hasPrefix("snmpinform") ? Self.promptly * 2 : Self.promptly
                    #expect(elapsed < bound, "\(what) took \(elapsed) while the black hole's requests waited")
                }
                // All of it happened while the black hole's requests were still waiting.
                let silentWait = Self.silentTimeout * (Self.silentRetries + 1)
                #expect(window < silentWait - .seconds(1), "measured within \(window); the black hole waits \(silentWait)")

                let informError = await inform.value
                let discoveryError = await discovery.value
                let waited = ContinuousClock.now - started
                #expect(informError?.code == .timeout, "\(String(describing: informError))")
                #expect(discoveryError?.code == .timeout, "\(String(describing: discoveryError))")
                #expect(waited >= silentWait - .milliseconds(100), "the silent requests waited their time: \(waited)")
                #expect(hole.received() >= 4, "each silent request was sent twice")
                try await manager.waitForLog([".1.3.6.1.4.1.99.2.0 = STRING: \"\(marker)\""])
            }
        }
    }
}
